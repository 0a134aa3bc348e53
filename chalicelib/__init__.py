"""Dougal: seismic production and data analysis, as a serverless application.

Everything under this package is shipped in the Lambda zip. Keep module-level
imports light: Lambda cold start pays for every import done at load time.
"""

__version__ = "0.1.0"
API_VERSION = "0.3.1"
