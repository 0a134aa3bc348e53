"""The database half of ``/health``: can a query be answered at all."""

from __future__ import annotations

from chalicelib.db import cursor
from chalicelib.db.queries import queries

Q = queries("health")


def ping() -> None:
    """One trivial query on this thread's connection; raises a DougalError when the database is unreachable."""
    with cursor() as conn:
        conn.execute(Q.ping)
