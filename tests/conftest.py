"""Test-wide environment: settings for the tests, fake AWS credentials, never the real AWS."""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "DOUGAL_JWT_SECRET": "test-signing-key-that-is-long-enough-0123456789",
        "DOUGAL_COOKIE_SECURE": "true",
        "DOUGAL_LOG_LEVEL": "WARNING",
        "POWERTOOLS_LOG_DEDUPLICATION_DISABLED": "1",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("DOUGAL_IMPLICIT_GUEST_NETWORKS", None)
