"""What the PDF line log draws beyond the Seis+JSON: the sequence's track."""

from __future__ import annotations

from chalicelib.db import Row, cursor
from chalicelib.db.queries import queries

Q = queries("linelog")


def sequence_track(pid: str, sequence: int, kind: str, points: int) -> list[Row]:
    """About ``points`` shots of the sequence in time order (first and last included)."""
    with cursor() as conn:
        return conn.execute(
            Q.sequence_track, {"pid": pid, "sequence": sequence, "kind": kind, "points": points}
        ).fetchall()
