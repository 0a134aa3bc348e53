"""Preplot lines and points: bulk loading and the per-line figures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb, page
from chalicelib.db.queries import queries

Q = queries("preplots")


def copy_staging(conn: Connection, rows: Iterable[bytes]) -> None:
    """COPY text rows (line, point, easting, northing, lon, lat, point_index, exact_line, exact_point)
    into the staging table."""
    conn.execute(Q.create_staging)
    with conn.cursor().copy(Q.copy_staging) as copy:
        for chunk in rows:
            copy.write(chunk)
    conn.execute(Q.analyze_staging)  # temporary tables are never analysed automatically


def staging_duplicate(conn: Connection) -> tuple[int, int, int] | None:
    """A (line, point, index) the staging table holds twice, if any."""
    row = conn.execute(Q.staging_duplicates).fetchone()
    return (row["line"], row["point"], row["point_index"]) if row else None


def mark_staging_alternatives(conn: Connection) -> None:
    """Mark every staged point that is not the lowest index of its line/point as an alternative."""
    conn.execute(Q.mark_alternatives)


def merge_staging(conn: Connection, pid: str) -> None:
    """Lines in the file are redefined by it; other lines stay. ntba, remarks, meta are kept."""
    new_lines = [row["line"] for row in conn.execute(Q.new_lines, {"pid": pid})]
    params = {"pid": pid, "new_lines": new_lines}
    if new_lines:  # lines the project did not have: plain inserts, no conflict handling
        conn.execute(Q.insert_new_points, {"pid": pid, "lines": new_lines})
    conn.execute(Q.remove_points_not_in_staging, params)
    conn.execute(Q.upsert_points, params)
    # Preplot loads are rare and big: fresh statistics keep the figures' queries on good plans.
    conn.execute(Q.analyze_points)


def refresh_line_stats(conn: Connection, pid: str, lines: list[int] | None) -> None:
    conn.execute(Q.refresh_line_stats, {"pid": pid, "lines": lines})


def list_lines(pid: str, limit: int, offset: int) -> tuple[list[Row], int]:
    """One page of the project's preplot lines and how many there are."""
    params = {"pid": pid, "limit": limit, "offset": offset}
    with cursor() as conn:
        return page(conn, Q.list_lines, Q.count_lines, params)


def update_line(
    conn: Connection,
    pid: str,
    line: int,
    remarks: str | None,
    meta: dict[str, Any] | None,
    ntba: bool | None,
    incr: bool | None,
) -> bool:
    """Set the given properties (None: unchanged); False when there is no such line."""
    params = {
        "pid": pid,
        "line": line,
        "remarks": remarks,
        "meta": jsonb(meta) if meta is not None else None,
        "ntba": ntba,
        "incr": incr,
    }
    return conn.execute(Q.update_line, params).fetchone() is not None


def set_virgin_points_ntba(conn: Connection, pid: str, line: int) -> None:
    conn.execute(Q.set_virgin_points_ntba, {"pid": pid, "line": line})


def clear_points_ntba(conn: Connection, pid: str, line: int) -> None:
    conn.execute(Q.clear_points_ntba, {"pid": pid, "line": line})


def project_point_statistics(conn: Connection, pid: str) -> Row:
    row = conn.execute(Q.project_point_statistics, {"pid": pid}).fetchone()
    assert row is not None
    return dict(row)
