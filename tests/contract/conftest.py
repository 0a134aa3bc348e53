"""Contract tests run like integration tests: fresh settings, empty tables after each test."""

from tests.contract.test_contract import spec, survey_project  # noqa: F401 - the contract and a surveyed project
from tests.integration.conftest import clean_tables, settings_env  # noqa: F401
