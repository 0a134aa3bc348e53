"""The contract tests use the integration fixtures (real PostGIS, moto, the Chalice test client)."""

from tests.integration.conftest import aws, clean_tables, client, cluster, database_url, settings_env  # noqa: F401
