"""Preplot lines and points: bulk loading and the per-line figures."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb, page, pgcopy
from chalicelib.db.queries import queries

Q = queries("preplots")


def lock_preplot(conn: Connection, pid: str) -> None:
    """One preplot import of a project at a time (until the transaction ends): each sees the lines
    the previous one left, so it knows which of its lines are new."""
    conn.execute(Q.lock_preplot, {"pid": pid})


def line_numbers(conn: Connection, pid: str) -> set[int]:
    """The project's preplot lines."""
    return {row["line"] for row in conn.execute(Q.line_numbers, {"pid": pid})}


def point_rows(pid: str, line: Any, point: Any, index: Any, e: Any, n: Any, lon: Any, lat: Any) -> bytes:
    """Binary COPY rows for ``copy_points`` (numpy columns; line and point within 32 bits)."""
    columns = [("text", pid), ("int4", line), ("int4", point), ("int2", index)]
    return pgcopy.rows([*columns, ("float8", e), ("float8", n), ("float8", lon), ("float8", lat)], len(line))


def staging_rows(
    line: Any, point: Any, index: Any, e: Any, n: Any, lon: Any, lat: Any, exact_line: Any, exact_point: Any
) -> bytes:
    """Binary COPY rows for ``copy_staging`` (numpy columns; NaN: no exact line or point number)."""
    columns = [("int4", line), ("int4", point), ("int2", index), ("float8", e), ("float8", n)]
    more = [("float8", lon), ("float8", lat), ("float8", exact_line), ("float8", exact_point)]
    return pgcopy.rows([*columns, *more], len(line))


_KEY = re.compile(r"\)=\(.*, (-?\d+), (-?\d+), (-?\d+)\) already exists")


def copy_points(conn: Connection, chunks: Iterable[bytes]) -> tuple[int, int, int] | None:
    """COPY ``point_rows`` chunks straight into ``preplot_point``: the points of lines new to the
    project (the caller holds ``lock_preplot``). A point given twice undoes the COPY and is returned
    as (line, point, index).

    A writer thread sends the rows while the caller prepares the next chunk, so reading the file
    and the server's COPY overlap.
    """
    from psycopg import errors as pg

    try:
        with conn.transaction():  # a savepoint
            pgcopy.copy(conn, Q.copy_points, chunks)
    except pg.UniqueViolation as exc:
        found = _KEY.search(exc.diag.message_detail or "")
        if found is None:
            raise
        line, point, index = (int(v) for v in found.groups())
        return line, point, index
    return None


def insert_lines(conn: Connection, pid: str, lines: list[int]) -> None:
    """The preplot lines of points ``copy_points`` loaded."""
    conn.execute(Q.insert_lines, {"pid": pid, "lines": lines})


def mark_point_alternatives(conn: Connection, pid: str, lines: list[int]) -> None:
    """In ``lines``, mark every point that is not the lowest index of its line/point as an alternative."""
    conn.execute(Q.mark_point_alternatives, {"pid": pid, "lines": lines})


ExactNumbers = tuple[int, int, int, float | None, float | None]
"""(line, point, index, the line number as written, the point number as written)."""


def set_exact_numbers(conn: Connection, pid: str, exact: list[ExactNumbers]) -> None:
    """Keep the line and point numbers as written (line, point, index, exact line, exact point) in the
    points' meta, where they are not whole numbers."""
    columns = [list(column) for column in zip(*exact, strict=True)]
    names = ("lines", "points", "indexes", "exact_lines", "exact_points")
    conn.execute(Q.set_exact_numbers, {"pid": pid, **dict(zip(names, columns, strict=True))})


def copy_staging(conn: Connection, chunks: Iterable[bytes]) -> None:
    """COPY ``staging_rows`` chunks into the staging table (points of lines the project has)."""
    conn.execute(Q.create_staging)
    pgcopy.copy(conn, Q.copy_staging, chunks)


def staging_duplicate(conn: Connection) -> tuple[int, int, int] | None:
    """A (line, point, index) the staging table holds twice, if any."""
    row = conn.execute(Q.staging_duplicates).fetchone()
    return (row["line"], row["point"], row["point_index"]) if row else None


def mark_staging_alternatives(conn: Connection) -> None:
    """Mark every staged point that is not the lowest index of its line/point as an alternative."""
    conn.execute(Q.mark_alternatives)


def merge_staging(conn: Connection, pid: str) -> tuple[int, int, int] | None:
    """The staged points redefine their lines (lines the project has): points not staged are removed,
    the others inserted or changed; ntba, remarks and meta are kept. A point staged twice changes
    nothing and is returned as (line, point, index)."""
    # An unchanged point given twice updates nothing, so no key refuses it: look for repeats first.
    duplicate = staging_duplicate(conn)
    if duplicate:
        return duplicate
    conn.execute(Q.analyze_staging)  # temporary tables are never analysed automatically
    conn.execute(Q.remove_points_not_in_staging, {"pid": pid})
    conn.execute(Q.upsert_points, {"pid": pid})
    return None


def analyze_points(conn: Connection) -> None:
    """Preplot loads are rare and big: fresh statistics keep the figures' queries on good plans."""
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
