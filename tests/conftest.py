"""Test-wide environment and shared fixtures.

Settings for the tests, fake AWS credentials (never the real AWS); one real
PostGIS database per session (a template migrated once, the test database made
from it), moto, and the Chalice test client (whose JSON answers are checked against the served OpenAPI
document, ``tests/openapi_answers.py``). Session fixtures live here, once,
so that every test directory shares the same database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

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

from scripts import localdb

# DOUGAL_TEST_DATABASE names another database, so that two test runs can share one cluster (a test that
# runs pytest itself gives that run databases of its own).
TEST_DB = os.environ.get("DOUGAL_TEST_DATABASE") or "dougal_test"
TEMPLATE_DB = f"{TEST_DB}_template"


@pytest.fixture(scope="session")
def cluster() -> Iterator[localdb.Cluster]:
    cluster = localdb.default_cluster()
    started = localdb.start(cluster)
    yield cluster
    if started:
        localdb.stop(cluster)


@pytest.fixture(scope="session")
def database_url(cluster: localdb.Cluster) -> Iterator[str]:
    import psycopg

    from chalicelib.db.migrate import migrate

    template_url = localdb.ensure_database(cluster, TEMPLATE_DB, recreate=True)
    with psycopg.connect(template_url, autocommit=True) as conn:
        conn.row_factory = psycopg.rows.dict_row
        migrate(conn)
    url = localdb.ensure_database(cluster, TEST_DB, template=TEMPLATE_DB, recreate=True)
    os.environ["DOUGAL_DATABASE_URL"] = url
    yield url
    from chalicelib import db
    from chalicelib.db import queue as db_queue

    db.close()
    db_queue.close_journal()


@pytest.fixture
def aws() -> Iterator[Any]:
    """moto in-process, with the bucket and every queue (each with its DLQ) as ``make run`` creates them."""
    from moto import mock_aws

    from chalicelib import aws as aws_clients
    from chalicelib.settings import get_settings
    from scripts.awsresources import provision

    aws_clients.reset()
    with mock_aws():
        provision(get_settings())
        yield aws_clients
    aws_clients.reset()


@pytest.fixture
def client() -> Iterator[Any]:
    from chalice.test import Client

    from app import app
    from scripts.local_api import thread_local_requests
    from tests.openapi_answers import ValidatingClient

    # Tests that write from several threads need each thread's own current request, as the local server has.
    thread_local_requests(app)
    with Client(app, stage_name="dev") as test_client:
        # Every JSON answer with a documented status is checked against the served OpenAPI document.
        yield ValidatingClient(test_client.http)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Statuses the served document does not list, as the suite's answers gave them (not a failure here)."""
    from tests.openapi_answers import UNDOCUMENTED, VALIDATED

    if VALIDATED:
        terminalreporter.write_line(
            f"openapi: {sum(VALIDATED.values())} JSON answers of {len(VALIDATED)} operations validated"
        )
    for (method, path, status), count in sorted(UNDOCUMENTED.items()):
        terminalreporter.write_line(f"openapi: {method} {path} answered {status} ({count}x), undocumented")
