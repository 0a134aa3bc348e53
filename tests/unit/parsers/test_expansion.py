"""Preplot lines given by their ends are filled in lazily and within limits (per segment, per file)."""

from __future__ import annotations

import itertools
import tracemalloc

import pytest

from chalicelib import parsers
from chalicelib.parsers import ParseError, PointLimits, p111, p190
from dougal_sim import simulator as sim


def _p111_with_segment(first: int, last: int) -> tuple[list[str], int]:
    """A one-line P1/11 preplot whose only segment runs from ``first`` to ``last`` (grid 25 m a point)."""
    lines = sim.write_p111_preplot(sim.Survey(num_lines=1, points_per_line=50, first_point=1000)).splitlines()
    index = next(i for i, x in enumerate(lines) if x.startswith("N1,2,"))
    f = lines[index].split(",")
    f[7], f[14] = str(first), str(last)
    f[15] = f"{float(f[8]) + 25.0 * (last - first):.3f}"
    f[16] = f[9]
    lines[index] = ",".join(f)
    return lines, index + 1


def _p190_with_ends(first: int, last: int) -> tuple[list[str], int]:
    lines = sim.write_p190_preplot(sim.Survey(num_lines=1, points_per_line=50, first_point=1000)).splitlines()
    index = [i for i, x in enumerate(lines) if x.startswith("V")]
    lines[index[0]] = lines[index[0]][:19] + f"{first:6d}" + lines[index[0]][25:]
    lines[index[1]] = lines[index[1]][:19] + f"{last:6d}" + lines[index[1]][25:]
    return lines, index[1] + 1


@pytest.mark.parametrize("reader", ["p111", "p190"])
def test_a_huge_segment_is_filled_in_lazily(reader):
    """The first points of a 5,000,000-point segment come without building the segment in memory."""
    if reader == "p111":
        lines, _ = _p111_with_segment(1, 5_000_000)
        read = p111.read_preplot(lines, limits=PointLimits(per_segment=10_000_000, per_file=10_000_000))
    else:
        lines, _ = _p190_with_ends(1, 999_999)
        read = p190.read_preplot(lines, limits=PointLimits(per_segment=10_000_000, per_file=10_000_000))
    tracemalloc.start()
    try:
        first = list(itertools.islice(iter(read), 10))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.point for r in first] == list(range(1, 11))
    assert peak < 5 * 1024 * 1024, peak  # a list of the segment's points would take hundreds of MB


def test_a_p111_segment_past_the_limit_is_rejected_naming_its_line_before_any_point():
    lines, lineno = _p111_with_segment(1, 2_000_001)
    made = []
    with pytest.raises(ParseError) as caught:
        for record in p111.read_preplot(lines, limits=PointLimits(per_segment=1_000_000)):
            made.append(record)
    assert caught.value.lineno == lineno
    assert "2000001 points" in str(caught.value) and "1000000" in str(caught.value)
    assert "DOUGAL_MAX_SEGMENT_POINTS" in str(caught.value)
    assert made == []


def test_p190_end_points_past_the_limit_are_rejected_naming_the_line():
    lines, lineno = _p190_with_ends(1, 500_000)
    with pytest.raises(ParseError) as caught:
        list(p190.read_preplot(lines, limits=PointLimits(per_segment=1000)))
    assert caught.value.lineno == lineno and "1000" in str(caught.value)


@pytest.mark.parametrize("fmt", ["p111", "p190"])
def test_a_file_past_the_limit_of_points_is_rejected(fmt):
    srv = sim.Survey(num_lines=4, points_per_line=60, first_point=1000)
    text = sim.write_p111_preplot(srv) if fmt == "p111" else sim.write_p190_preplot(srv)
    limits = PointLimits(per_segment=100, per_file=200)
    with pytest.raises(ParseError) as caught:
        list(_reader(fmt, text, limits))
    assert "200" in str(caught.value) and "DOUGAL_MAX_PREPLOT_POINTS" in str(caught.value)
    # Within the limits the same file reads whole.
    assert len(list(_reader(fmt, text, PointLimits(per_segment=100, per_file=240)))) == 240


def _reader(fmt: str, text: str, limits: PointLimits):
    with parsers.point_limits(limits):
        return parsers.preplot_reader(fmt, text.splitlines())


def test_the_limits_in_force_are_those_of_the_block_the_reader_was_made_in():
    lines, _ = _p111_with_segment(1, 5000)
    with parsers.point_limits(PointLimits(per_segment=100)):
        reader = p111.read_preplot(lines)
    with pytest.raises(ParseError):
        list(reader)
    assert len(list(p111.read_preplot(lines))) == 5000  # the defaults outside


@pytest.mark.parametrize(
    ("first", "last", "increment", "expected"),
    [(1000, 1010, 2, [1000, 1002, 1004, 1006, 1008, 1010]), (1010, 1000, 3, [1010, 1007, 1004, 1001, 1000])],
)
def test_segment_points_follow_the_increment_and_end_on_the_given_point(first, last, increment, expected):
    lines, _ = _p111_with_segment(first, last)
    index = next(i for i, x in enumerate(lines) if x.startswith("N1,2,"))
    f = lines[index].split(",")
    f[6] = str(increment)
    lines[index] = ",".join(f)
    assert [r.point for r in p111.read_preplot(lines)] == expected
