"""The audit trail: rows added inside the caller's transaction, and pages of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb, page
from chalicelib.db.queries import queries

Q = queries("audit")


def record(
    conn: Connection,
    actor: str,
    role: str | None,
    source: str | None,
    route: str,
    pid: str | None,
    ids: dict[str, Any],
    before: Any,
    after: Any,
) -> None:
    conn.execute(
        Q.record,
        {
            "actor": actor,
            "role": role,
            "source": source,
            "route": route,
            "pid": pid,
            "ids": jsonb(ids),
            "before": None if before is None else jsonb(before),
            "after": None if after is None else jsonb(after),
        },
    )


def list_audit(
    pid: str | None,
    since: datetime | None,
    actor: str | None,
    projects: list[str] | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    params = {"pid": pid, "since": since, "actor": actor, "projects": projects, "limit": limit, "offset": offset}
    with cursor() as conn:
        return page(conn, Q.list_audit, Q.count_audit, params)


def line_state(conn: Connection, pid: str, line: int) -> Row | None:
    return conn.execute(Q.line_state, {"pid": pid, "line": line}).fetchone()


def sequence_state(conn: Connection, pid: str, sequence: int) -> Row | None:
    return conn.execute(Q.sequence_state, {"pid": pid, "sequence": sequence}).fetchone()


def account_state(conn: Connection, name: str) -> list[Row]:
    return conn.execute(Q.account_state, {"name": name}).fetchall()
