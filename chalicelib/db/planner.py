"""The plan (planned sequences) and what the planner reads: preplot points, production, findings, downtime."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.db import Connection, Row, jsonb
from chalicelib.db.queries import queries

Q = queries("planner")


def lock_plan(conn: Connection, pid: str) -> Row | None:
    """The project row, locked for the rest of the transaction (one writer of a plan at a time)."""
    return conn.execute(Q.lock_plan, {"pid": pid}).fetchone()


def list_planned(conn: Connection, pid: str) -> list[Row]:
    """The plan by sequence (ts0/ts1 as datetimes, as the other queries give them)."""
    found = conn.execute(Q.list_planned, {"pid": pid}).fetchone()
    rows: list[Row] = found["plan"] if found else []
    for row in rows:
        for key in ("ts0", "ts1"):
            if row[key] is not None:
                row[key] = datetime.fromisoformat(row[key])
    return rows


def list_planned_text(conn: Connection, pid: str) -> list[Row]:
    return conn.execute(Q.list_planned_text, {"pid": pid}).fetchall()


def get_planned(conn: Connection, pid: str, sequence: int) -> Row | None:
    return conn.execute(Q.get_planned, {"pid": pid, "sequence": sequence}).fetchone()


def _values(pid: str, row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "pid": pid,
        "meta": jsonb(row["meta"]),
        "geometry": jsonb(row["geometry"]),
    }


def insert_planned(conn: Connection, pid: str, row: dict[str, Any]) -> None:
    conn.execute(Q.insert_planned, _values(pid, row))


def update_planned(conn: Connection, pid: str, old_sequence: int, row: dict[str, Any]) -> None:
    conn.execute(Q.update_planned, {**_values(pid, row), "old_sequence": old_sequence})


def delete_planned(conn: Connection, pid: str, sequence: int) -> None:
    conn.execute(Q.delete_planned, {"pid": pid, "sequence": sequence})


def sequence_taken(conn: Connection, pid: str, sequence: int) -> bool:
    row = conn.execute(Q.sequence_taken, {"pid": pid, "sequence": sequence}).fetchone()
    return bool(row and row["taken"])


def highest_sequence(conn: Connection, pid: str) -> int | None:
    row = conn.execute(Q.highest_sequence, {"pid": pid}).fetchone()
    return int(row["highest"]) if row and row["highest"] is not None else None


def line_exists(conn: Connection, pid: str, line: int) -> bool:
    row = conn.execute(Q.line_exists, {"pid": pid, "line": line}).fetchone()
    return bool(row and row["found"])


def line_points_between(conn: Connection, pid: str, line: int, low: int, high: int) -> list[Row]:
    """Preplot points of a line from ``low`` to ``high`` (inclusive), by increasing point number."""
    return conn.execute(Q.line_points_between, {"pid": pid, "line": line, "low": low, "high": high}).fetchall()


def plan_context(conn: Connection, pid: str) -> Row:
    row = conn.execute(Q.plan_context, {"pid": pid}).fetchone()
    assert row is not None
    return dict(row)


def infill_points(conn: Connection, pid: str) -> list[Row]:
    return conn.execute(Q.infill_points, {"pid": pid}).fetchall()


def qc_rejected_points(conn: Connection, pid: str) -> list[Row]:
    return conn.execute(Q.qc_rejected_points, {"pid": pid}).fetchall()


def last_position(conn: Connection, pid: str) -> Row | None:
    return conn.execute(Q.last_position, {"pid": pid}).fetchone()


def production_since(conn: Connection, pid: str, since: datetime) -> list[Row]:
    return conn.execute(Q.production_since, {"pid": pid, "since": since}).fetchall()


def remaining(conn: Connection, pid: str) -> Row:
    row = conn.execute(Q.remaining, {"pid": pid}).fetchone()
    assert row is not None
    return dict(row)


def downtime_events(conn: Connection, pid: str, since: datetime, until: datetime) -> list[Row]:
    return conn.execute(Q.downtime_events, {"pid": pid, "since": since, "until": until}).fetchall()
