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


def staging_duplicate(conn: Connection) -> tuple[int, int, int] | None:
    """A (line, point, index) the staging table holds twice, if any."""
    row = conn.execute(Q.staging_duplicates).fetchone()
    return (row["line"], row["point"], row["point_index"]) if row else None


def mark_staging_alternatives(conn: Connection) -> None:
    """Mark every staged point that is not the lowest index of its line/point as an alternative."""
    conn.execute(Q.mark_alternatives)


class _Repeat(Exception):
    def __init__(self, point: tuple[int, int, int]) -> None:
        self.point = point


def merge_staging(conn: Connection, pid: str, lines: set[int]) -> tuple[int, int, int] | None:
    """Lines in the file (``lines``) are redefined by it; other lines stay. ntba, remarks, meta are kept.

    A point the file gives twice undoes the merge and is returned as (line, point, index). Into lines
    new to the project (a first preplot: the big loads) the primary key refuses a repeat, so the staging
    table is searched for it only then; lines the project had are searched first.
    """
    from psycopg import errors as pg

    try:
        with conn.transaction():  # a savepoint
            new_lines = [row["line"] for row in conn.execute(Q.new_lines, {"pid": pid})]
            params = {"pid": pid, "new_lines": new_lines}
            if new_lines:  # lines the project did not have: plain inserts, no conflict handling
                conn.execute(Q.insert_new_points, {"pid": pid, "lines": new_lines})
            if lines - set(new_lines):  # lines the project had: removals and changes
                # An unchanged point given twice updates nothing, so no key refuses it: look for repeats.
                duplicate = staging_duplicate(conn)
                if duplicate:
                    raise _Repeat(duplicate)
                conn.execute(Q.analyze_staging)  # temporary tables are never analysed automatically
                conn.execute(Q.remove_points_not_in_staging, params)
                conn.execute(Q.upsert_points, params)
    except _Repeat as repeat:
        return repeat.point
    except (pg.UniqueViolation, pg.CardinalityViolation):
        return staging_duplicate(conn)
    # Preplot loads are rare and big: fresh statistics keep the figures' queries on good plans.
    conn.execute(Q.analyze_points)
    return None


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
