"""Map views of a project: preplot lines, sequence tracks and events at their shotpoints, as geometries."""

from __future__ import annotations

from chalicelib.db import Row, cursor, page
from chalicelib.db.queries import queries

Q = queries("gis")


def line_features(pid: str, tolerance: float) -> list[Row]:
    with cursor() as conn:
        return conn.execute(Q.line_features, {"pid": pid, "tolerance": tolerance}).fetchall()


def sequence_tracks(pid: str, tolerance: float) -> list[Row]:
    with cursor() as conn:
        return conn.execute(Q.sequence_tracks, {"pid": pid, "tolerance": tolerance}).fetchall()


def event_positions(pid: str, limit: int, offset: int) -> tuple[list[Row], int]:
    with cursor() as conn:
        return page(conn, Q.event_positions, Q.count_event_positions, {"pid": pid, "limit": limit, "offset": offset})


def sequence_profile(pid: str, sequence: int) -> list[Row]:
    with cursor() as conn:
        return conn.execute(Q.sequence_profile, {"pid": pid, "sequence": sequence}).fetchall()
