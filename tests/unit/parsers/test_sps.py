"""SPS preplots, revision 2.1 and 1: S records only, whole line and point numbers, clear rejections."""

from __future__ import annotations

import pytest

from chalicelib.parsers import ParseError, PreplotRecord, sps
from tests.unit.parsers.files import fixture_lines


def fields(records: list[PreplotRecord]) -> list[tuple[int, int, int, float | None, float | None]]:
    return [(r.lineno, r.line, r.point, r.easting, r.northing) for r in records]


def test_rev21_source_points() -> None:
    reader = sps.read_preplot(fixture_lines("sps21_preplot.sps"))
    records = list(reader)
    # CRLF everywhere, a tab in the blank columns 22-23 (line 6), a record ending at column 65 (line 7);
    # the R and X records are not source points.
    assert fields(records) == [
        (5, 5210, 2576, 470246.1, 6560527.5),
        (6, 5210, 2577, 470270.5, 6560539.9),
        (7, 5210, 2578, 470295.0, 6560552.3),
        (8, 5212, 2578, 470320.0, 6560509.0),
        (9, 5212, 2577, 470295.6, 6560496.6),
    ]
    assert all(r.lon is None and r.lat is None for r in records)  # SPS has grid coordinates only
    header = reader.header
    assert (header.format, header.version, header.grid_epsg) == ("sps21", "SPS V2.1 revised Jan, 2006", 32631)
    assert header.line_names == ["5210", "5212"]


def test_rev1_columns() -> None:
    reader = sps.read_preplot(fixture_lines("sps1_preplot.sps"))
    assert fields(list(reader)) == [
        (4, 5210, 2576, 470246.1, 6560527.5),
        (5, 5210, 2577, 470270.5, 6560539.9),
    ]
    assert (reader.header.format, reader.header.version, reader.header.grid_epsg) == ("sps1", "SPS001", 32631)


def test_revision_from_the_data_columns_without_a_header() -> None:
    reader = sps.read_preplot(fixture_lines("sps21_no_header.sps"))
    assert [r.point for r in reader] == [2576, 2577]
    assert reader.header.format == "sps21"


def test_forced_revision() -> None:
    reader = sps.read_preplot(fixture_lines("sps1_preplot.sps"), rev="1")
    assert [r.point for r in reader] == [2576, 2577]
    with pytest.raises(ValueError, match="unknown SPS revision"):
        sps.read_preplot([], rev="3")


@pytest.mark.parametrize(
    ("name", "lineno", "reason"),
    [
        ("sps21_shifted.sps", 3, "columns 22-23 should be blank, found '1A': wrong column widths?"),
        ("sps21_short.sps", 3, "record too short (61 columns, need 65)"),
        ("sps21_bad_easting.sps", 2, "bad easting '4702A6.1' in columns 47-55"),
    ],
)
def test_rejects_with_the_line_number(name: str, lineno: int, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        list(sps.read_preplot(fixture_lines(name)))
    assert (caught.value.lineno, caught.value.reason) == (lineno, reason)


def test_keeps_a_fractional_point_rounded_with_its_exact_value() -> None:
    records = list(sps.read_preplot(fixture_lines("sps21_fraction.sps")))
    assert [(r.point, r.exact_point) for r in records] == [(2576, None), (2577, 2576.5)]


def test_keeps_a_fractional_line_and_rejects_an_unknown_record() -> None:
    lines = fixture_lines("sps21_no_header.sps")
    record = list(sps.read_preplot([lines[0], lines[1].replace("5210.00", "5210.25")]))[-1]
    assert (record.line, record.exact_line, record.point, record.exact_point) == (5210, 5210.25, 2577, None)
    with pytest.raises(ParseError, match=r"^line 2: unknown record id 'Z'$"):
        list(sps.read_preplot([lines[0], "Z" + lines[1][1:]]))
