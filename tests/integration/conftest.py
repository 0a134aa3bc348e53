"""Integration tests start each test with fresh settings and leave empty tables behind.

The session's database, moto and the Chalice test client are in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def settings_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees fresh settings (and no remembered token versions: account ids restart);
    tests change them with monkeypatch.setenv + reload_settings()."""
    from chalicelib.services.auth import forget_token_states
    from chalicelib.settings import get_settings

    monkeypatch.setenv("DOUGAL_DATABASE_URL", database_url)
    get_settings.cache_clear()
    forget_token_states()
    yield
    get_settings.cache_clear()
    forget_token_states()


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


def reload_settings() -> None:
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
