"""QC runs, acceptances and the rows the tests read; one function per named query in ``sql/qc.sql``."""

from __future__ import annotations

from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb, page
from chalicelib.db.queries import queries

Q = queries("qc")


def lock_sequence(conn: Connection, pid: str, sequence: int) -> Row | None:
    """The sequence with its project's configuration, locked: one regeneration of a sequence at a time."""
    return conn.execute(Q.lock_sequence, {"pid": pid, "sequence": sequence}).fetchone()


def sequence_shots(conn: Connection, pid: str, sequence: int, kind: str) -> list[Row]:
    """The shots of one kind in time order, each with its preplot point (when any) and the line's azimuth."""
    return conn.execute(Q.sequence_shots, {"pid": pid, "sequence": sequence, "kind": kind}).fetchall()


def preplot_points_between(conn: Connection, pid: str, line: int, low: int, high: int) -> list[int]:
    params = {"pid": pid, "line": line, "low": low, "high": high}
    return [r["point"] for r in conn.execute(Q.preplot_points_between, params)]


def acceptances(conn: Connection, pid: str, sequence: int) -> set[tuple[str, int]]:
    return {(r["test"], r["point"]) for r in conn.execute(Q.acceptances, {"pid": pid, "sequence": sequence})}


def current_findings(conn: Connection, pid: str, sequence: int) -> list[Row]:
    """The sequence's current finding instances, locked for the regeneration."""
    return conn.execute(Q.current_findings, {"pid": pid, "sequence": sequence}).fetchall()


def earlier_findings(conn: Connection, pid: str, sequence: int) -> dict[tuple[str, int], int]:
    """(test, point) → event id of findings that were closed: one that comes back keeps its id."""
    return {
        (r["test"], r["point"]): r["id"] for r in conn.execute(Q.earlier_findings, {"pid": pid, "sequence": sequence})
    }


def record_run(
    conn: Connection, pid: str, sequence: int, raw: int | None, final: int | None, configuration: dict[str, Any]
) -> None:
    conn.execute(
        Q.record_run,
        {"pid": pid, "sequence": sequence, "raw": raw, "final": final, "configuration": jsonb(configuration)},
    )


def forget_runs(conn: Connection, pid: str, sequence: int | None) -> None:
    conn.execute(Q.forget_runs, {"pid": pid, "sequence": sequence})


def results(pid: str, sequence: int | None, limit: int, offset: int) -> tuple[list[Row], int]:
    """One row per current finding of a page of checked sequences (a checked sequence with none: one row,
    id null), and how many sequences were checked."""
    params = {"pid": pid, "sequence": sequence, "limit": limit, "offset": offset}
    with cursor() as conn:
        return page(conn, Q.results, Q.count_results, params)


def findings_by_id(conn: Connection, pid: str, ids: list[int]) -> list[Row]:
    return conn.execute(Q.findings_by_id, {"pid": pid, "ids": ids}).fetchall()


def set_acceptance(conn: Connection, pid: str, sequence: int, test: str, point: int, by: str, accepted: bool) -> None:
    key = {"pid": pid, "sequence": sequence, "test": test, "point": point, "by": by}
    conn.execute(Q.accept if accepted else Q.unaccept, key)


def stale_sequences(limit: int) -> list[Row]:
    with cursor() as conn:
        return conn.execute(Q.stale_sequences, {"limit": limit}).fetchall()


def project_sequences(pid: str) -> list[int]:
    with cursor() as conn:
        return [r["sequence"] for r in conn.execute(Q.project_sequences, {"pid": pid})]


def summary(conn: Connection, pid: str) -> Row:
    row = conn.execute(Q.summary, {"pid": pid}).fetchone()
    assert row is not None  # an aggregate always answers one row
    return row


def store_summary(conn: Connection, pid: str, value: dict[str, Any]) -> None:
    conn.execute(Q.store_summary, {"pid": pid, "value": jsonb(value)})


def lock_current_findings(conn: Connection, pid: str, sequence: int | None) -> list[Row]:
    return conn.execute(Q.lock_current_findings, {"pid": pid, "sequence": sequence}).fetchall()
