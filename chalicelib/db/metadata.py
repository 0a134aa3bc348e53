"""Metadata of a project's elements: read one element's meta object, or lock it for a change and write it back.

Every ``lock_*`` runs inside the caller's transaction and returns ``None`` when the element does not exist.
"""

from __future__ import annotations

from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb
from chalicelib.db.queries import queries

Q = queries("metadata")


def sequence_meta(pid: str, sequence: int) -> Row | None:
    """``meta``, ``meta_final`` and ``has_final`` of a sequence."""
    with cursor() as conn:
        row = conn.execute(Q.sequence_meta, {"pid": pid, "sequence": sequence}).fetchone()
    return dict(row) if row else None


def shot_meta(pid: str, sequence: int, kind: str, point: int) -> dict[str, Any] | None:
    with cursor() as conn:
        row = conn.execute(Q.shot_meta, {"pid": pid, "sequence": sequence, "kind": kind, "point": point}).fetchone()
    return dict(row["meta"]) if row else None


def line_meta(pid: str, line: int) -> dict[str, Any] | None:
    with cursor() as conn:
        row = conn.execute(Q.line_meta, {"pid": pid, "line": line}).fetchone()
    return dict(row["meta"]) if row else None


def lock_sequence_meta(conn: Connection, pid: str, sequence: int) -> Row | None:
    row = conn.execute(Q.lock_sequence_meta, {"pid": pid, "sequence": sequence}).fetchone()
    return dict(row) if row else None


def set_sequence_meta(conn: Connection, pid: str, sequence: int, final: bool, meta: dict[str, Any]) -> None:
    query = Q.set_sequence_meta_final if final else Q.set_sequence_meta
    conn.execute(query, {"pid": pid, "sequence": sequence, "meta": jsonb(meta)})


def lock_shot_meta(conn: Connection, pid: str, sequence: int, kind: str, point: int) -> dict[str, Any] | None:
    rows = conn.execute(Q.lock_shot_meta, {"pid": pid, "sequence": sequence, "kind": kind, "point": point}).fetchall()
    return dict(rows[0]["meta"]) if rows else None


def set_shot_meta(conn: Connection, pid: str, sequence: int, kind: str, point: int, meta: dict[str, Any]) -> None:
    params = {"pid": pid, "sequence": sequence, "kind": kind, "point": point, "meta": jsonb(meta)}
    conn.execute(Q.set_shot_meta, params)


def lock_line_meta(conn: Connection, pid: str, line: int) -> dict[str, Any] | None:
    row = conn.execute(Q.lock_line_meta, {"pid": pid, "line": line}).fetchone()
    return dict(row["meta"]) if row else None


def set_line_meta(conn: Connection, pid: str, line: int, meta: dict[str, Any]) -> None:
    conn.execute(Q.set_line_meta, {"pid": pid, "line": line, "meta": jsonb(meta)})


def lock_point_meta(conn: Connection, pid: str, line: int, point: int) -> dict[str, Any] | None:
    rows = conn.execute(Q.lock_point_meta, {"pid": pid, "line": line, "point": point}).fetchall()
    return dict(rows[0]["meta"]) if rows else None


def set_point_meta(conn: Connection, pid: str, line: int, point: int, meta: dict[str, Any]) -> None:
    conn.execute(Q.set_point_meta, {"pid": pid, "line": line, "point": point, "meta": jsonb(meta)})
