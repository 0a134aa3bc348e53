"""A planned sequence's figures from its preplot points (pure: no I/O).

The geometry keeps the points where the line bends: a point that lies within ``TOLERANCE_M`` of the
straight line between the points kept around it is left out (Douglas-Peucker in the grid), so a
straight line of a thousand points is sent as its two ends while a dog-leg keeps its corner. The
tolerance is above the rounding of preplot files (SPS writes grid coordinates to 0.1 m) and far
below any real bend. Length is measured along the kept points in the grid (plane geometry): the
chord for a straight line, the sum of the legs for a bent one. Azimuth is the grid bearing from the
first to the last point, in the shooting direction.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from chalicelib.geodesy import grid_distance_azimuth

TOLERANCE_M = 1.0

Point = tuple[float, float]


def _offset(p: Point, a: Point, b: Point) -> float:
    """Distance from ``p`` to the segment ``a``-``b``."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    span = dx * dx + dy * dy
    if span == 0.0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / span))
    return math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy))


def kept_vertices(points: Sequence[Point], tolerance: float = TOLERANCE_M) -> list[int]:
    """Indices of the points the geometry keeps (always the first and the last)."""
    if len(points) <= 2:
        return list(range(len(points)))
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, at = -1.0, -1
        for i in range(first + 1, last):
            d = _offset(points[i], points[first], points[last])
            if d > worst:
                worst, at = d, i
        if at >= 0 and worst > tolerance:
            keep.add(at)
            stack.append((first, at))
            stack.append((at, last))
    return sorted(keep)


def length(points: Sequence[Point]) -> float:
    return sum(math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(points))


def azimuth(points: Sequence[Point]) -> float | None:
    (e0, n0), (e1, n1) = points[0], points[-1]
    if e0 == e1 and n0 == n1:
        return None
    return grid_distance_azimuth(e0, n0, e1, n1)[1]
