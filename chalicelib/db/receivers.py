"""Receiver points (ocean-bottom nodes, seismometers): loading at import and the list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.db import Connection, Row, cursor, page
from chalicelib.db.queries import queries

Q = queries("receivers")


def copy_receivers(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows (pid, upload_id, n, kind, sequence, line, point, node, objref, tstamp, depth,
    easting, northing, lon, lat) into the receiver table."""
    with conn.cursor().copy(Q.copy_receivers) as copy:
        for row in rows:
            copy.write_row(row)


def delete_upload_receivers(conn: Connection, pid: str, upload_id: int) -> None:
    conn.execute(Q.delete_upload_receivers, {"pid": pid, "upload_id": upload_id})


def delete_redefined_receivers(conn: Connection, pid: str, kind: str, upload_id: int) -> None:
    conn.execute(Q.delete_redefined_receivers, {"pid": pid, "kind": kind, "upload_id": upload_id})


def list_receivers(pid: str, line: int | None, limit: int, offset: int) -> tuple[list[Row], int]:
    """One page of the project's receivers (optionally of one receiver line) and how many there are."""
    params = {"pid": pid, "line": line, "limit": limit, "offset": offset}
    with cursor() as conn:
        return page(conn, Q.list_receivers, Q.count_receivers, params)
