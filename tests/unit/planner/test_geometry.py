"""A planned sequence's figures: vertices kept where the line bends, length, azimuth."""

from __future__ import annotations

import math
import random

import pytest

from chalicelib.services.planner.geometry import azimuth, kept_vertices, length


def test_a_straight_line_with_rounded_coordinates_keeps_its_ends():
    rng = random.Random(4)
    heading = math.radians(60.0)
    points = [
        (
            round(470000 + 25 * i * math.sin(heading) + rng.uniform(-0.05, 0.05), 1),
            round(6560000 + 25 * i * math.cos(heading) + rng.uniform(-0.05, 0.05), 1),
        )
        for i in range(500)
    ]
    kept = kept_vertices(points)
    assert kept == [0, 499]
    chord = [points[0], points[-1]]
    assert length(chord) == pytest.approx(25 * 499, abs=0.2)
    assert azimuth(points) == pytest.approx(60.0, abs=0.001)
    assert azimuth(points[::-1]) == pytest.approx(240.0, abs=0.001)


def test_a_dog_leg_keeps_its_corner_and_a_curve_its_shape():
    leg = [(float(x), 0.0) for x in range(0, 101, 10)] + [(100.0, float(y)) for y in range(10, 101, 10)]
    assert kept_vertices(leg) == [0, 10, 20]
    assert length([leg[i] for i in kept_vertices(leg)]) == pytest.approx(200.0)
    assert azimuth(leg) == pytest.approx(45.0)
    arc = [(1000 * math.sin(a / 100), 1000 * math.cos(a / 100)) for a in range(0, 158)]
    kept = kept_vertices(arc)
    assert 2 < len(kept) < len(arc)
    for i in range(len(arc)):  # every point left out lies within a metre of the kept polyline
        a = max(k for k in kept if k <= i)
        b = min(k for k in kept if k >= i)
        if a == b:
            continue
        (x0, y0), (x1, y1), (x, y) = arc[a], arc[b], arc[i]
        offset = abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / math.hypot(x1 - x0, y1 - y0)
        assert offset <= 1.0


@pytest.mark.parametrize(
    ("end", "expected"), [((0, 10), 0.0), ((10, 0), 90.0), ((0, -10), 180.0), ((-10, 0), 270.0), ((-10, 10), 315.0)]
)
def test_azimuth_is_clockwise_from_grid_north(end, expected):
    assert azimuth([(0.0, 0.0), (float(end[0]), float(end[1]))]) == pytest.approx(expected)
    assert azimuth([(5.0, 5.0), (5.0, 5.0)]) is None
