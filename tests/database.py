"""The test database, shared by the integration and the browser tests."""

from __future__ import annotations


def truncate_all() -> None:
    """Empty every table of the test database (the migrations' own bookkeeping and PostGIS's excepted)."""
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
