"""Contract tests run like integration tests: fresh settings, empty tables after each test."""

from tests.integration.conftest import clean_tables, settings_env  # noqa: F401
