"""Infill proposals: what is still to be acquired, as runs of points, in shooting order (pure: no I/O).

A point needs shooting when it is virgin (no sequence that is not NTBP shot it) and not NTBA, or
when QC rejected its shot (an unaccepted ``position_error`` finding that no other sequence made
good). Points already covered by a planned sequence are left to that sequence. Consecutive
points that need shooting make a run; each run is extended by ``run_in`` preplot points at both
ends (within the line) so that the new data overlaps what is there, and runs whose extensions
touch or overlap are merged into one. A run's ``reason`` is ``virgin`` when its line has never
been shot, ``missing`` when it fills a gap in a line already shot, ``qc`` when it only reshoots
rejected shots (a run that mixes them says the first of virgin, missing, qc).

Runs are ordered to keep line changes short: each next run is shot in the direction opposite to
the previous one (increasing or decreasing point numbers) and is the one whose start, in that
direction, is nearest (grid distance) to where the previous one ended.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

REASONS = ("virgin", "missing", "qc")


@dataclass(frozen=True)
class LinePoint:
    point: int
    easting: float
    northing: float
    acquired: bool
    ntba: bool


@dataclass(frozen=True)
class Run:
    """A stretch of one line to shoot, from ``fsp`` to ``lsp`` in the shooting direction."""

    line: int
    fsp: int
    lsp: int
    reason: str


@dataclass
class _Span:
    first: int  # index into the line's points
    last: int
    reason: str


def _reason(a: str, b: str) -> str:
    return a if REASONS.index(a) <= REASONS.index(b) else b


def line_runs(
    line: int,
    points: Sequence[LinePoint],
    rejected: set[int],
    planned: Iterable[tuple[int, int]],
    run_in: int,
) -> list[tuple[_Span, Sequence[LinePoint]]]:
    """The merged spans of one line (points in increasing point order)."""
    covered = [(min(a, b), max(a, b)) for a, b in planned]
    ever_shot = any(p.acquired for p in points)

    def need(p: LinePoint) -> str | None:
        if any(low <= p.point <= high for low, high in covered):
            return None
        if not p.acquired and not p.ntba:
            return "missing" if ever_shot else "virgin"
        if p.point in rejected:
            return "qc"
        return None

    spans: list[_Span] = []
    current: _Span | None = None
    for i, p in enumerate(points):
        why = need(p)
        if why is None:
            current = None
            continue
        if current is None:
            current = _Span(i, i, why)
            spans.append(current)
        else:
            current.last = i
            current.reason = _reason(current.reason, why)
    merged: list[_Span] = []
    for span in spans:
        first, last = max(0, span.first - run_in), min(len(points) - 1, span.last + run_in)
        if merged and first <= merged[-1].last + 1:
            merged[-1].last = last
            merged[-1].reason = _reason(merged[-1].reason, span.reason)
        else:
            merged.append(_Span(first, last, span.reason))
    return [(span, points) for span in merged]


@dataclass(frozen=True)
class Start:
    """Where (grid) and in which direction (+1: increasing points) the vessel last shot."""

    easting: float
    northing: float
    direction: int


def propose(
    lines: dict[int, Sequence[LinePoint]],
    rejected: dict[int, set[int]],
    planned: dict[int, list[tuple[int, int]]],
    run_in: int,
    start: Start | None,
) -> list[Run]:
    """Every run still to shoot, in shooting order."""
    pending = []
    for line in sorted(lines):
        for span, points in line_runs(line, lines[line], rejected.get(line, set()), planned.get(line, []), run_in):
            pending.append((line, span, points))
    if not pending:
        return []
    ordered: list[Run] = []
    if start is None:
        line, span, points = pending.pop(0)
        ordered.append(Run(line, points[span.first].point, points[span.last].point, span.reason))
        here = points[span.last]
        position, direction = (here.easting, here.northing), 1
    else:
        position, direction = (start.easting, start.northing), start.direction
    while pending:
        direction = -direction
        best = min(range(len(pending)), key=lambda i: _cost(pending[i], position, direction))
        line, span, points = pending.pop(best)
        first, last = points[span.first], points[span.last]
        if direction < 0:
            first, last = last, first
        ordered.append(Run(line, first.point, last.point, span.reason))
        position = (last.easting, last.northing)
    return ordered


def _cost(
    item: tuple[int, _Span, Sequence[LinePoint]], position: tuple[float, float], direction: int
) -> tuple[float, int, int]:
    """Distance from ``position`` to where the run starts when shot in ``direction``; then line, point."""
    line, span, points = item
    begin = points[span.first] if direction > 0 else points[span.last]
    return (math.hypot(begin.easting - position[0], begin.northing - position[1]), line, begin.point)
