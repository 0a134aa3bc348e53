"""The outgoing transfer queues and the journal of calls; one function per named query in ``sql/queue.sql``.

The journal (``queue_transfer``) is written on a connection of its own, in autocommit: a call is
on record before it is made, and stays on record when the sender's transaction (which holds the
item's lock) is rolled back because the sender died.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.db import Connection, Row, connect, cursor, jsonb, page, translated
from chalicelib.db.queries import queries

Q = queries("queue")
_journal = threading.local()


def existing_projects(pids: list[str]) -> set[str]:
    with cursor() as conn:
        return {r["pid"] for r in conn.execute(Q.existing_projects, {"pids": pids})}


def insert_items(conn: Connection, queue_id: int, items: list[tuple[str, int, str]]) -> list[Row]:
    """Insert (pid, sequence, mimetype) items; the rows in request order."""
    params = {
        "queue_id": queue_id,
        "pids": [i[0] for i in items],
        "sequences": [i[1] for i in items],
        "mimetypes": [i[2] for i in items],
    }
    rows = conn.execute(Q.insert_items, params).fetchall()
    return sorted(rows, key=lambda r: r["item_id"])


def list_items(
    queue_id: int,
    status: str | None,
    order: str,
    descending: bool,
    limit: int,
    offset: int,
    projects: list[str] | None,
) -> tuple[list[Row], int]:
    params = {
        "queue_id": queue_id,
        "status": status,
        "order": order,
        "descending": descending,
        "limit": limit,
        "offset": offset,
        "projects": projects,
    }
    with cursor() as conn:
        return page(conn, Q.list_items, Q.count_items, params)


def _locked(conn: Connection, query: str, params: dict[str, Any]) -> list[Row]:
    """Run a NOWAIT lock query; an item a sender holds is a 409."""
    from psycopg import errors as pg

    try:
        return conn.execute(query, params).fetchall()
    except pg.LockNotAvailable as exc:
        raise errors.ConflictError("The transfer is being sent right now; it can no longer be cancelled") from exc


def lock_item(conn: Connection, queue_id: int, item_id: int) -> Row | None:
    rows = _locked(conn, Q.lock_item, {"queue_id": queue_id, "item_id": item_id})
    return rows[0] if rows else None


def descendants(conn: Connection, item_id: int) -> list[Row]:
    return conn.execute(Q.descendants, {"item_id": item_id}).fetchall()


def lock_items(conn: Connection, ids: list[int]) -> None:
    _locked(conn, Q.lock_items, {"ids": ids})


def cancel_items(conn: Connection, ids: list[int]) -> list[int]:
    return [r["item_id"] for r in conn.execute(Q.cancel_items, {"ids": ids})]


def claim_due_item(conn: Connection, queue_id: int, now: datetime) -> Row | None:
    """The next due item no other sender holds, locked until ``conn``'s transaction ends."""
    return conn.execute(Q.claim_due_item, {"queue_id": queue_id, "now": now}).fetchone()


def earlier_attempts(conn: Connection, pid: str, sequence: int, item_id: int) -> int:
    row = conn.execute(Q.earlier_attempts, {"pid": pid, "sequence": sequence, "item_id": item_id}).fetchone()
    return int(row["n"]) if row else 0


def chain_transfers(conn: Connection, item_id: int) -> list[Row]:
    return conn.execute(Q.chain_transfers, {"item_id": item_id}).fetchall()


def finish_item(conn: Connection, item_id: int, status: str, results: list[dict[str, Any]]) -> Row | None:
    params = {"item_id": item_id, "status": status, "results": jsonb(results)}
    return conn.execute(Q.finish_item, params).fetchone()


def insert_retry(conn: Connection, parent_id: int, not_before: datetime) -> Row | None:
    return conn.execute(Q.insert_retry, {"parent_id": parent_id, "not_before": not_before}).fetchone()


# ---------------------------------------------------------------- the journal, on its own connection


def _journal_connection() -> Connection:
    conn = getattr(_journal, "conn", None)
    if conn is None or conn.closed or conn.broken:
        conn = connect()
        _journal.conn = conn
    return conn


def close_journal() -> None:
    conn = getattr(_journal, "conn", None)
    if conn is not None:
        conn.close()
        _journal.conn = None


def insert_transfer(item_id: int, key: str, file_name: str, sha256: str, size: int) -> Row:
    """A call about to be made, committed before it is made."""
    params = {"item_id": item_id, "key": key, "file_name": file_name, "sha256": sha256, "size": size}
    with translated():
        row = _journal_connection().execute(Q.insert_transfer, params).fetchone()
    assert row is not None
    return row


def finish_transfer(transfer_id: int, outcome: str, response: dict[str, Any] | None) -> None:
    params = {"id": transfer_id, "outcome": outcome, "response": jsonb(response)}
    with translated():
        _journal_connection().execute(Q.finish_transfer, params)
