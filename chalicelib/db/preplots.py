"""Preplot lines and points: bulk loading and the per-line figures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg.types.json import Jsonb

from chalicelib.db import cursor, transaction
from chalicelib.db.queries import queries

Q = queries("preplots")


def copy_staging(conn: Any, rows: Iterable[bytes]) -> None:
    """COPY text rows (line, point, easting, northing, lon, lat) into the staging table."""
    conn.execute(Q.create_staging)
    with conn.cursor().copy("COPY preplot_staging (line, point, easting, northing, lon, lat) FROM STDIN") as copy:
        for chunk in rows:
            copy.write(chunk)
    conn.execute("ANALYZE preplot_staging")  # temporary tables are never analysed automatically


def staging_duplicate(conn: Any) -> tuple[int, int] | None:
    row = conn.execute(Q.staging_duplicates).fetchone()
    return (row["line"], row["point"]) if row else None


def merge_staging(conn: Any, pid: str) -> None:
    """Lines in the file are redefined by it; other lines stay. ntba, remarks, meta are kept."""
    new_lines = [row["line"] for row in conn.execute(Q.new_lines, {"pid": pid})]
    params = {"pid": pid, "new_lines": new_lines}
    if new_lines:  # lines the project did not have: plain inserts, no conflict handling
        conn.execute(Q.insert_new_points, {"pid": pid, "lines": new_lines})
    conn.execute(Q.remove_points_not_in_staging, params)
    conn.execute(Q.upsert_points, params)
    # Preplot loads are rare and big: fresh statistics keep the figures' queries on good plans.
    conn.execute("ANALYZE preplot_point")


def refresh_line_stats(conn: Any, pid: str, lines: list[int] | None) -> None:
    conn.execute(Q.refresh_line_stats, {"pid": pid, "lines": lines})


def list_lines(pid: str) -> list[dict[str, Any]]:
    with cursor() as conn:
        return conn.execute(Q.list_lines, {"pid": pid}).fetchall()


def update_line(
    pid: str,
    line: int,
    remarks: str | None,
    meta: dict[str, Any] | None,
    ntba: bool | None,
    incr: bool | None,
    complete: bool | None,
) -> bool:
    with transaction() as conn:
        found = conn.execute(
            Q.update_line,
            {
                "pid": pid,
                "line": line,
                "remarks": remarks,
                "meta": Jsonb(meta) if meta is not None else None,
                "ntba": ntba,
                "incr": incr,
            },
        ).fetchone()
        if found is None:
            return False
        if complete is True:
            conn.execute(Q.set_virgin_points_ntba, {"pid": pid, "line": line})
        elif complete is False:
            conn.execute(Q.clear_points_ntba, {"pid": pid, "line": line})
        refresh_line_stats(conn, pid, [line])
        return True


def project_point_statistics(conn: Any, pid: str) -> dict[str, Any]:
    row = conn.execute(Q.project_point_statistics, {"pid": pid}).fetchone()
    assert row is not None
    return dict(row)
