"""Deployment templates and the post-processing of `chalice package` output (see README.md)."""
