"""QC runs, acceptances and the rows the tests read; one function per named query in ``sql/qc.sql``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb
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


@dataclass(frozen=True)
class ResultsPage:
    findings: list[Row]  # the page, in (sequence, point, id) order
    sequences: list[int]  # the checked sequences the page shows: its findings' and those without findings
    open_tests: set[tuple[int, str]]  # (sequence, test) with an unaccepted finding, on any page
    total: int  # current findings of the tests on the checked sequences


def results(pid: str, sequence: int | None, tests: list[str], limit: int, offset: int) -> ResultsPage:
    """One page of the current findings of ``tests`` (``limit``/``offset`` count findings) with the checked
    sequences it shows.

    A page shows the sequences of its findings, and the checked sequences without findings that come after
    the previous page's last finding and up to its own last one (the last page: all after it). So a sequence
    without findings is shown by exactly one page, a sequence with findings by each page holding some.
    """
    base = {"pid": pid, "sequence": sequence, "tests": tests}
    before = 1 if offset > 0 else 0
    with cursor() as conn:
        rows = conn.execute(Q.results, {**base, "limit": limit + before + 1, "offset": offset - before}).fetchall()
        total_row = conn.execute(Q.count_results, base).fetchone()
        total = int(total_row["n"]) if total_row else 0
        previous = rows[0] if before and rows else None
        found = rows[before : before + limit]
        following = rows[before + limit] if len(rows) > before + limit else None
        if not found and offset > 0:
            return ResultsPage([], [], set(), total)
        after = previous["sequence"] if previous is not None else None
        upto = found[-1]["sequence"] if found and following is not None else None
        bounds = {**base, "after": after, "upto": upto}
        between = {r["sequence"] for r in conn.execute(Q.checked_sequences, bounds)}
        shown = sorted(between | {r["sequence"] for r in found})
        open_tests = {(r["sequence"], r["test"]) for r in conn.execute(Q.open_tests, {"pid": pid, "sequences": shown})}
    return ResultsPage(found, shown, open_tests, total)


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
