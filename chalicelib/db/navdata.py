"""The navigation feed's table: one bulk insert per batch, the queries of ``GET /navdata`` and its GIS views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.db import Row, cursor, jsonb, page
from chalicelib.db.queries import queries

Q = queries("navdata")


def candidate_projects(pids: list[str] | None) -> list[Row]:
    """Unarchived projects (of ``pids`` when given), the newest first, with their configuration."""
    with cursor() as conn:
        return conn.execute(Q.candidate_projects, {"pids": pids}).fetchall()


def insert_navdata(received: datetime, rows: Sequence[dict[str, Any]]) -> int:
    """Store a batch in one statement; the number of rows that were new."""
    columns = ("tstamp", "lon", "lat", "online", "pid", "sequence", "line", "point", "attempt", "line_name")
    params: dict[str, Any] = {name: [row[name] for row in rows] for name in columns}
    params["data"] = [jsonb(row["data"]) for row in rows]
    params["received"] = received
    with cursor() as conn:
        found = conn.execute(Q.insert_navdata, params).fetchone()
        return int(found["n"]) if found else 0


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
    with cursor() as conn:
        found = conn.execute(Q.expire_navdata, {"default_days": default_days}).fetchone()
        return found or {"items": 0, "sequences": 0}
