"""The survey completion forecast (pure: no I/O).

The window is the last ``days`` days, ending at the end of the last acquired sequence (fewer days
when the survey started less than ``days`` days before; days without production count as such).
Each acquired sequence's preplot points are spread evenly over its ts0..ts1, which gives the
points shot in each 24-hour day of the window (counted back from the window's end), the hours of
shooting and the rate (points per hour of shooting). The rest of the window is line changes,
downtime (the event log's ``Downtime`` events) and whatever else; the shares are fractions of
the window.

Completion: the daily production of the window has a mean ``m`` and a standard deviation ``s``;
the production of ``k`` days is taken as normal with mean ``k·m`` and variance ``k·s²``, and the
date by which the remaining ``R`` points are shot with probability p solves
``k·m + z_p·s·√k = R`` (``z`` = +1.2816 for P10, 0 for P50, -1.2816 for P90), counted from the later
of now and the window's end.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = timedelta(days=1)
Z90 = 1.2815515655446004  # the standard normal's 90th percentile


@dataclass(frozen=True)
class Acquired:
    ts0: datetime
    ts1: datetime
    points: int


@dataclass(frozen=True)
class Outlook:
    window_start: datetime | None
    window_end: datetime | None
    window_days: int
    daily_production: list[float]
    rate: float | None
    shooting_share: float | None
    line_change_share: float | None
    downtime_share: float | None
    completion: tuple[datetime, datetime, datetime] | None


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())


def _points_in(seq: Acquired, start: datetime, end: datetime) -> float:
    span = (seq.ts1 - seq.ts0).total_seconds()
    if span <= 0:
        return float(seq.points) if start < seq.ts1 <= end else 0.0
    return seq.points * _overlap(seq.ts0, seq.ts1, start, end) / span


def _union_seconds(intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> float:
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals if b > start and a < end)
    total, reach = 0.0, None
    for a, b in clipped:
        if reach is None or a > reach:
            total += (b - a).total_seconds()
            reach = b
        elif b > reach:
            total += (b - reach).total_seconds()
            reach = b
    return total


def downtime_intervals(
    events: Iterable[tuple[datetime, datetime | None]], sequence_starts: Sequence[datetime], until: datetime
) -> list[tuple[datetime, datetime]]:
    """Each Downtime event as an interval: from its time to its given end, else to the next sequence's start
    (shooting resumed), else to ``until``."""
    starts = sorted(sequence_starts)
    found = []
    for begin, end in events:
        if end is None:
            end = next((s for s in starts if s > begin), until)
        if end > begin:
            found.append((begin, end))
    return found


def days_to_complete(remaining: float, mean: float, stdev: float, z: float) -> float:
    """Days ``k`` with ``k·mean + z·stdev·√k = remaining`` (``mean`` > 0)."""
    if remaining <= 0:
        return 0.0
    b = z * stdev
    root = (-b + math.sqrt(b * b + 4.0 * mean * remaining)) / (2.0 * mean)
    return root * root


def outlook(
    acquired: Sequence[Acquired],
    downtime: Sequence[tuple[datetime, datetime]],
    remaining: int,
    days: int,
    now: datetime,
    first_acquired: datetime | None = None,
) -> Outlook:
    """``acquired``: the sequences of the window (more are ignored); ``first_acquired``: when the survey's
    first sequence started (the window is no longer than the survey), by default the earliest given."""
    if not acquired:
        return Outlook(None, None, 0, [], None, None, None, None, None)
    end = max(s.ts1 for s in acquired)
    first = first_acquired or min(s.ts0 for s in acquired)
    n_days = max(1, min(days, math.ceil((end - first) / DAY)))
    start = end - n_days * DAY
    inside = [s for s in acquired if s.ts1 > start and s.ts0 < end]
    daily = [sum(_points_in(s, end - (k + 1) * DAY, end - k * DAY) for s in inside) for k in range(n_days)][::-1]
    window = (end - start).total_seconds()
    shooting = _union_seconds(((s.ts0, s.ts1) for s in inside), start, end)
    down = _union_seconds(downtime, start, end)
    gaps = []
    ordered = sorted(inside, key=lambda s: s.ts0)
    for a, b in itertools.pairwise(ordered):
        if b.ts0 > a.ts1:
            gaps.append((a.ts1, b.ts0))
    gap_seconds = _union_seconds(gaps, start, end)
    down_in_gaps = _union_seconds(
        [(max(g0, d0), min(g1, d1)) for g0, g1 in gaps for d0, d1 in downtime if d1 > g0 and d0 < g1], start, end
    )
    total_points = sum(daily)
    rate = total_points / (shooting / 3600.0) if shooting > 0 else None
    mean = statistics.fmean(daily)
    stdev = statistics.stdev(daily) if len(daily) > 1 else 0.0
    completion = None
    if mean > 0:
        origin = max(now, end)
        p10, p50, p90 = (origin + days_to_complete(remaining, mean, stdev, z) * DAY for z in (Z90, 0.0, -Z90))
        completion = (p10, p50, p90)
    return Outlook(
        window_start=start,
        window_end=end,
        window_days=n_days,
        daily_production=daily,
        rate=rate,
        shooting_share=shooting / window,
        line_change_share=(gap_seconds - down_in_gaps) / window,
        downtime_share=down / window,
        completion=completion,
    )
