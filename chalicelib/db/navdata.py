"""The navigation feed's table: one bulk insert per batch, the queries of ``GET /navdata`` and its GIS views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb, page, transaction
from chalicelib.db.queries import queries

Q = queries("navdata")


def candidate_projects(pids: list[str] | None) -> list[Row]:
    """Unarchived projects (of ``pids`` when given), the newest first, with their configuration."""
    with cursor() as conn:
        return conn.execute(Q.candidate_projects, {"pids": pids}).fetchall()


def insert_navdata(conn: Connection, received: datetime, rows: Sequence[dict[str, Any]]) -> int:
    """Store a batch in one statement; the number of rows that were new."""
    columns = ("tstamp", "lon", "lat", "online", "pid", "sequence", "line", "point", "attempt", "line_name")
    params: dict[str, Any] = {name: [row[name] for row in rows] for name in columns}
    params["data"] = [jsonb(row["data"]) for row in rows]
    params["received"] = received
    found = conn.execute(Q.insert_navdata, params).fetchone()
    return int(found["n"]) if found else 0


def online_events_due(conn: Connection) -> list[Row]:
    """Online sequences (no file imported) whose FSP or LSP system event the feed has moved past."""
    return [r for r in conn.execute(Q.online_events_due).fetchall() if r["fsp_due"] or r["lsp_due"]]


def mark_online_events(
    conn: Connection, pid: str, sequence: int, fsp_ts0: datetime | None, lsp_ts1: datetime | None
) -> None:
    """Remember which first and latest header the sequence's FSP and LSP were written for."""
    params = {"pid": pid, "sequence": sequence, "fsp_ts0": fsp_ts0, "lsp_ts1": lsp_ts1}
    conn.execute(Q.mark_online_events, params)


def drop_shot_headers(conn: Connection, pid: str, sequence: int) -> int:
    """Delete the sequence's online headers whose point is a raw shot of it now; how many went."""
    found = conn.execute(Q.drop_shot_headers, {"pid": pid, "sequence": sequence}).fetchone()
    return int(found["n"]) if found else 0


def feed_ages() -> list[Row]:
    """The feed's newest header time and age, with each unarchived project's ``stale_seconds`` setting."""
    with cursor() as conn:
        return conn.execute(Q.feed_ages).fetchall()


def _filters(
    t0: datetime | None, t1: datetime | None, lon: float | None, lat: float | None, radius: float
) -> dict[str, Any]:
    return {"t0": t0, "t1": t1, "lon": lon, "lat": lat, "radius": radius}


def list_navdata(
    t0: datetime | None,
    t1: datetime | None,
    lon: float | None,
    lat: float | None,
    radius: float,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    """One page of stored items (newest first) within [t0, t1] and ``radius`` metres of (lon, lat) when
    given, and how many match."""
    params = {**_filters(t0, t1, lon, lat, radius), "limit": limit, "offset": offset}
    with cursor() as conn:
        return page(conn, Q.list_navdata, Q.count_navdata, params)


def latest_navdata() -> Row | None:
    with cursor() as conn:
        return conn.execute(Q.latest_navdata).fetchone()


def navdata_line(limit: int, offset: int) -> Row | None:
    with cursor() as conn:
        return conn.execute(Q.navdata_line, {"limit": limit, "offset": offset}).fetchone()


def expire_navdata(default_days: int) -> Row:
    """Delete what is past its retention; how many items and online sequences went."""
    with transaction() as conn:  # one now() for both statements
        bound = conn.execute(Q.expiry_bound, {"default_days": default_days}).fetchone()
        params = {"default_days": default_days, "bound": bound["bound"] if bound else None}
        found = conn.execute(Q.expire_navdata, params).fetchone()
        return found or {"items": 0, "sequences": 0}
