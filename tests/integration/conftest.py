"""Integration fixtures: a real PostGIS (the private cluster), moto, and the Chalice test client.

One template database is migrated per session; the test database is made from
it, and every test starts from empty tables (truncated after each test).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from scripts import localdb

TEST_DB = "dougal_test"
TEMPLATE_DB = "dougal_test_template"


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

    db.close()


@pytest.fixture(autouse=True)
def settings_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees fresh settings; tests change them with monkeypatch.setenv + reload_settings()."""
    from chalicelib.settings import get_settings

    monkeypatch.setenv("DOUGAL_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def clean_tables(database_url: str) -> Iterator[None]:
    yield
    from chalicelib import db

    conn = db.connection()
    tables = [
        r["tablename"]
        for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('schema_migration', 'spatial_ref_sys')"
        )
    ]
    if tables:
        from psycopg import sql

        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
        )


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

    with Client(app, stage_name="dev") as test_client:
        yield test_client.http


def reload_settings() -> None:
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
