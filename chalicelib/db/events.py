"""Event instances: every edit is a new row; nothing is deleted."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.db import Connection, cursor, jsonb, page
from chalicelib.db.queries import queries

Q = queries("events")


def tick(conn: Connection, pid: str) -> datetime:
    """Lock the project's event log for this transaction; a change time later than any before."""
    row = conn.execute(Q.tick, {"pid": pid}).fetchone()
    assert row is not None
    at: datetime = row["at"]
    return at


def insert_event(
    conn: Connection,
    pid: str,
    at: datetime,
    fields: dict[str, Any],
    *,
    event_id: int | None = None,
    edited: bool = False,
    author: str | None = None,
) -> dict[str, Any]:
    row = conn.execute(
        Q.insert_event,
        {
            "id": event_id,
            "pid": pid,
            "tstamp": fields.get("tstamp"),
            "sequence": fields.get("sequence"),
            "point": fields.get("point"),
            "remarks": fields.get("remarks") or "",
            "labels": list(fields.get("labels") or []),
            "meta": jsonb(fields.get("meta") or {}),
            "at": at,
            "edited": edited,
            "author": author,
        },
    ).fetchone()
    assert row is not None
    return dict(row)


def insert_events(conn: Connection, pid: str, at: datetime, rows: list[dict[str, Any]], author: str) -> list[int]:
    """New events, all in one statement; their ids in the order of ``rows``."""
    found = conn.execute(
        Q.insert_events,
        {
            "pid": pid,
            "at": at,
            "author": author,
            "tstamps": [r.get("tstamp") for r in rows],
            "sequences": [r.get("sequence") for r in rows],
            "points": [r.get("point") for r in rows],
            "remarks": [r.get("remarks") or "" for r in rows],
            "labels": [jsonb(list(r.get("labels") or [])) for r in rows],
            "metas": [jsonb(r.get("meta") or {}) for r in rows],
        },
    ).fetchall()
    return [int(r["id"]) for r in sorted(found, key=lambda r: r["uid"])]


def current_instance(conn: Connection, pid: str, event_id: int) -> dict[str, Any] | None:
    return conn.execute(Q.current_instance, {"pid": pid, "id": event_id}).fetchone()


def latest_instance(conn: Connection, pid: str, event_id: int) -> dict[str, Any] | None:
    return conn.execute(Q.latest_instance, {"pid": pid, "id": event_id}).fetchone()


def close_instance(conn: Connection, uid: int, at: datetime, deleted: bool = False) -> None:
    """End an instance's validity: replaced by an edit, or (``deleted``) removed."""
    conn.execute(Q.close_instance, {"uid": uid, "at": at, "deleted": deleted})


def event_history(pid: str, event_id: int) -> list[dict[str, Any]]:
    with cursor() as conn:
        return conn.execute(Q.event_history, {"pid": pid, "id": event_id}).fetchall()


def list_events(
    pid: str,
    sequences: list[int] | None,
    date0: date | None,
    date1: date | None,
    label: str | None,
    limit: int | None,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    params = {
        "pid": pid,
        "sequences": sequences,
        "date0": date0,
        "date1": date1,
        "label": label,
        "limit": limit,
        "offset": offset,
    }
    unfiltered = sequences is None and date0 is None and date1 is None and label is None
    with cursor() as conn:
        return page(conn, Q.list_events, Q.count_current_events if unfiltered else Q.count_events, params)


def changes_since(pid: str, since: datetime, limit: int) -> list[dict[str, Any]]:
    with cursor() as conn:
        return conn.execute(Q.changes_since, {"pid": pid, "since": since, "limit": limit}).fetchall()


def changes_at(pid: str, at: datetime) -> list[dict[str, Any]]:
    with cursor() as conn:
        return conn.execute(Q.changes_at, {"pid": pid, "at": at}).fetchall()


def others_with_label(conn: Connection, pid: str, sequence: int, label: str, event_id: int) -> list[dict[str, Any]]:
    return conn.execute(
        Q.current_in_sequence_with_label, {"pid": pid, "sequence": sequence, "label": label, "id": event_id}
    ).fetchall()


def strip_single_labels(
    conn: Connection, pid: str, at: datetime, moves: list[tuple[int, str]], keep: list[int], author: str
) -> list[int]:
    """(sequence, label) ``moves``: the other current events of each sequence with the label lose it, each
    by a new instance at ``at``; one statement. The ids of the events changed."""
    if not moves:
        return []
    params = {
        "pid": pid,
        "at": at,
        "author": author,
        "sequences": [sequence for sequence, _ in moves],
        "labels": [label for _, label in moves],
        "keep": keep,
    }
    return [int(r["id"]) for r in conn.execute(Q.strip_single_labels, params)]


def system_events_of_sequence(conn: Connection, pid: str, sequence: int) -> list[dict[str, Any]]:
    return conn.execute(Q.system_events_of_sequence, {"pid": pid, "sequence": sequence}).fetchall()


def sequence_anchor_shots(conn: Connection, pid: str, sequence: int, kind: str) -> list[dict[str, Any]]:
    return conn.execute(Q.sequence_anchor_shots, {"pid": pid, "sequence": sequence, "kind": kind}).fetchall()


def events_waiting_for_shots(conn: Connection, pid: str, sequence: int) -> list[dict[str, Any]]:
    return conn.execute(Q.events_waiting_for_shots, {"pid": pid, "sequence": sequence}).fetchall()


def shot_at(conn: Connection, pid: str, sequence: int, point: int) -> dict[str, Any] | None:
    return conn.execute(Q.shot_at, {"pid": pid, "sequence": sequence, "point": point}).fetchone()


def sequence_shot_kind(conn: Connection, pid: str, sequence: int) -> str | None:
    """``final`` once the sequence is processed, ``raw`` before, None when there is no such sequence."""
    row = conn.execute(Q.sequence_shot_kind, {"pid": pid, "sequence": sequence}).fetchone()
    return str(row["kind"]) if row else None
