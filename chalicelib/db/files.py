"""Uploaded files: one row per S3 object version (bucket, key, etag)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.db import Connection, cursor, page
from chalicelib.db.queries import queries

Q = queries("files")


def claim_upload(
    conn: Connection, pid: str | None, bucket: str, key: str, etag: str, size: int | None, created_on: datetime | None
) -> dict[str, Any]:
    """Insert the upload row if new, and lock it for this transaction.

    Concurrent deliveries of the same object queue up on the row lock; the
    first one to commit decides, the others then see its final status.
    """
    params = {"pid": pid, "bucket": bucket, "key": key, "etag": etag, "size": size, "created_on": created_on}
    conn.execute(Q.claim_upload, params)
    row = conn.execute(Q.lock_upload, params).fetchone()
    assert row is not None
    return dict(row)


def lock_content(conn: Connection, pid: str, sha256: str) -> None:
    conn.execute(Q.lock_content, {"pid": pid, "sha256": sha256})


def find_current_content(conn: Connection, pid: str, kind: str, sha256: str) -> dict[str, Any] | None:
    """An upload of these bytes that is still what the project holds (see files.sql), else None."""
    return conn.execute(Q.find_current_content, {"pid": pid, "kind": kind, "sha256": sha256}).fetchone()


def upload_with_content(conn: Connection, upload_id: int, sha256: str) -> dict[str, Any] | None:
    """The upload ``upload_id`` if it holds these bytes, else None."""
    return conn.execute(Q.upload_with_content, {"id": upload_id, "sha256": sha256}).fetchone()


def set_actor(conn: Connection, actor: str) -> None:
    """Name who makes this transaction's changes (kept in the history rows)."""
    conn.execute(Q.set_actor, {"actor": actor})


def finish_upload(conn: Connection, upload_id: int, **fields: Any) -> None:
    params = {
        "id": upload_id,
        "kind": None,
        "format": None,
        "sha256": None,
        "size": None,
        "status": "rejected",
        "message": None,
        "records": None,
        "sequence": None,
    }
    params.update(fields)
    conn.execute(Q.finish_upload, params)


def note_import(conn: Connection, upload_id: int, receivers: int | None, message: str | None) -> None:
    """Receivers read and warnings of an import in progress (part of its transaction, so a rejection drops them)."""
    conn.execute(Q.note_import, {"id": upload_id, "receivers": receivers, "message": message})


def supersede_upload(conn: Connection, upload_id: int, message: str) -> None:
    conn.execute(Q.supersede_upload, {"id": upload_id, "message": message})


def list_files(pid: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    with cursor() as conn:
        return page(conn, Q.list_files, Q.count_files, {"pid": pid, "limit": limit, "offset": offset})
