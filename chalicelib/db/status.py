"""What ``/status`` reads of the database: its migration level and versions, the last import of each project."""

from __future__ import annotations

from chalicelib.db import Row, cursor
from chalicelib.db.queries import queries

Q = queries("status")


def database_status() -> Row:
    with cursor() as conn:
        row = conn.execute(Q.database_status).fetchone()
    assert row is not None
    return dict(row)


def last_imports() -> list[Row]:
    with cursor() as conn:
        return [dict(r) for r in conn.execute(Q.last_imports)]


def queue_backlog(queue_id: int, projects: list[str] | None) -> Row:
    with cursor() as conn:
        row = conn.execute(Q.queue_backlog, {"queue_id": queue_id, "projects": projects}).fetchone()
    assert row is not None
    return dict(row)


def failed_transfers(queue_id: int, projects: list[str] | None) -> Row:
    with cursor() as conn:
        row = conn.execute(Q.failed_transfers, {"queue_id": queue_id, "projects": projects}).fetchone()
    assert row is not None
    return dict(row)
