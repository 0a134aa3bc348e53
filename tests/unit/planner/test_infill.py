"""Infill: the runs still to shoot (with run-in), why, and the order that keeps line changes short."""

from __future__ import annotations

from chalicelib.services.planner.infill import LinePoint, Run, Start, propose

SPACING = 50.0  # metres between lines
INTERVAL = 25.0  # metres between points


def line(number, first=1, last=100, missing=(), never_shot=False, ntba=()):
    """Points of a line along grid north, ``number`` lines apart east."""
    return [
        LinePoint(p, number * SPACING, p * INTERVAL, acquired=not never_shot and p not in missing, ntba=p in ntba)
        for p in range(first, last + 1)
    ]


def spans(runs):
    return {(r.line, min(r.fsp, r.lsp), max(r.fsp, r.lsp), r.reason) for r in runs}


def test_gaps_come_back_with_their_run_in_and_nothing_else():
    lines = {1: line(1), 2: line(2, missing=[*range(40, 46), 90]), 3: line(3, never_shot=True)}
    found = propose(lines, {}, {}, run_in=5, start=None)
    assert spans(found) == {(2, 35, 50, "missing"), (2, 85, 95, "missing"), (3, 1, 100, "virgin")}


def test_run_in_stops_at_the_line_ends_and_close_runs_merge():
    lines = {1: line(1, missing=[2, 3, 99])}
    assert spans(propose(lines, {}, {}, run_in=4, start=None)) == {(1, 1, 7, "missing"), (1, 95, 100, "missing")}
    # Runs whose run-ins touch (here 12 + 4 and 21 - 4 are neighbours) are one run.
    lines = {1: line(1, missing=[12, 21])}
    assert spans(propose(lines, {}, {}, run_in=4, start=None)) == {(1, 8, 25, "missing")}
    lines = {1: line(1, missing=[12, 22])}
    assert spans(propose(lines, {}, {}, run_in=4, start=None)) == {(1, 8, 16, "missing"), (1, 18, 26, "missing")}


def test_ntba_and_planned_points_are_not_proposed():
    lines = {1: line(1, never_shot=True, ntba=range(1, 51)), 2: line(2, never_shot=True)}
    found = propose(lines, {}, {2: [(100, 1)]}, run_in=0, start=None)
    assert spans(found) == {(1, 51, 100, "virgin")}


def test_qc_rejected_shots_are_reshot_and_a_mixed_run_says_the_first_reason():
    lines = {1: line(1), 2: line(2, missing=[50])}
    found = propose(lines, {1: {30, 31}, 2: {52}}, {}, run_in=2, start=None)
    assert spans(found) == {(1, 28, 33, "qc"), (2, 48, 54, "missing")}


def test_runs_alternate_directions_and_take_the_nearest_start():
    lines = {n: line(n, never_shot=True) for n in (1, 2, 3, 4)}
    # The vessel ended line 5 at point 100, shooting up: next down line 4, up line 3, ...
    found = propose(lines, {}, {}, run_in=0, start=Start(5 * SPACING, 100 * INTERVAL, 1))
    assert found == [
        Run(4, 100, 1, "virgin"),
        Run(3, 1, 100, "virgin"),
        Run(2, 100, 1, "virgin"),
        Run(1, 1, 100, "virgin"),
    ]
    # Without a start: the first run, shot up, then alternating.
    found = propose({1: line(1, missing=range(10, 20)), 7: line(7, missing=range(80, 90))}, {}, {}, 0, None)
    assert found == [Run(1, 10, 19, "missing"), Run(7, 89, 80, "missing")]
    assert propose({1: line(1)}, {}, {}, 10, None) == []
