"""What a Seis+JSON document is made of: sequences and the events anchored on their shots."""

from __future__ import annotations

from chalicelib.db import Row, cursor
from chalicelib.db.queries import queries

Q = queries("seis")


def sequences_with_events(pid: str, sequences: list[int] | None) -> tuple[list[Row], list[Row]]:
    """The sequences (all when ``sequences`` is None) and their anchored current events, read together."""
    with cursor() as conn:
        rows = conn.execute(Q.sequences, {"pid": pid, "sequences": sequences}).fetchall()
        numbers = [r["sequence"] for r in rows]
        events = conn.execute(Q.anchored_events, {"pid": pid, "sequences": numbers}).fetchall()
        return rows, events
