"""P1/90: columns, hemispheres, the missing year, dirty files and line-end preplots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.parsers import ParseError, ShotRecord, p190
from tests.unit.parsers.files import fixture_lines


def read(name: str, **kwargs: object) -> tuple[p190.ShotReader, list[ShotRecord]]:
    reader = p190.read_shots(fixture_lines(name), **kwargs)  # type: ignore[arg-type]
    return reader, list(reader)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def test_shots_are_s_records_one_per_source() -> None:
    _, shots = read("p190_shots.p190")
    # V (vessel), G (receiver group) and R (receiver) records are not shots.
    assert [(s.lineno, s.line_name, s.line, s.point, s.objref, s.tstamp) for s in shots] == [
        (10, "5210", 5210, 2576, 1, utc(2021, 10, 8, 10, 37, 57)),
        (12, "5210", 5210, 2577, 2, utc(2021, 10, 8, 10, 38, 7)),
        (14, "5210", 5210, 2578, 1, utc(2021, 10, 8, 10, 38, 17)),
    ]
    first = shots[0]
    assert (first.easting, first.northing) == (470246.1, 6560527.5)  # run together in columns 47-64
    assert first.lat == pytest.approx(59 + 10 / 60 + 58.22 / 3600, abs=1e-12)
    assert first.lon == pytest.approx(2 + 28 / 60 + 45.64 / 3600, abs=1e-12)


def test_header_gives_year_and_crs() -> None:
    reader, _ = read("p190_shots.p190")
    header = reader.header
    assert (header.format, header.year, header.grid_epsg, header.geographic_epsg) == (
        "p190",
        2021,
        32631,
        4326,
    )
    assert header.records["H0100"] == "NORTH SEA TEST AREA"
    assert header.records["H2600"].startswith("Hand-written: flip-flop")
    assert header.line_names == ["5210"]


def test_the_file_year_wins_over_the_configured_one() -> None:
    _, shots = read("p190_shots.p190", year=1999)
    assert shots[0].tstamp.year == 2021


def test_south_and_west_are_negative_and_the_year_comes_from_configuration() -> None:
    reader, (shot,) = read("p190_south_west.p190", year=2020)
    assert shot.lat == pytest.approx(-(23 + 45 / 60 + 17.50 / 3600), abs=1e-12)
    assert shot.lon == pytest.approx(-(43 + 30 / 60 + 12.25 / 3600), abs=1e-12)
    assert (shot.line_name, shot.line, shot.point, shot.objref) == ("0007", 7, 101, 3)
    assert shot.tstamp == utc(2020, 2, 14, 9, 30, 5)  # day 45
    assert reader.header.year == 2020


def test_midnight_and_240000() -> None:
    _, shots = read("p190_midnight.p190")
    assert [s.tstamp for s in shots] == [
        utc(2021, 10, 8, 23, 59, 50),
        utc(2021, 10, 9, 0, 0, 0),  # day 281 240000
        utc(2021, 10, 9, 0, 0, 10),
    ]


def test_new_year() -> None:
    _, shots = read("p190_new_year.p190", year=2021)
    assert [s.tstamp for s in shots] == [
        utc(2021, 12, 31, 23, 59, 50),
        utc(2022, 1, 1, 0, 0, 0),
        utc(2022, 1, 1, 0, 0, 10),  # day 1 after day 365: the next year
    ]


def test_dirty_file_lowercase_crlf_stray_cr_and_long_lines() -> None:
    reader, shots = read("p190_dirty.p190")
    assert [(s.lineno, s.point, s.objref, s.tstamp) for s in shots] == [
        (3, 2576, 1, utc(2021, 10, 8, 10, 37, 57)),
        (5, 2577, 2, utc(2021, 10, 8, 10, 38, 7)),
    ]
    assert reader.header.year == 2021


@pytest.mark.parametrize(
    ("name", "lineno", "reason"),
    [
        (
            "p190_no_year.p190",
            2,
            "no year for the records: no H0200 survey date in the file and no year configured",
        ),
        ("p190_bad_hemisphere.p190", 3, "bad hemisphere 'X' in latitude"),
        ("p190_short.p190", 3, "record too short (50 columns, need 79)"),
        ("p190_bad_source.p190", 2, "bad source id '#' in column 18 (a digit, a letter or blank)"),
        ("p190_shifted.p190", 3, "bad hemisphere '2' in latitude"),
        ("p190_bad_time.p190", 2, "bad day/time '28110375X' in columns 71-79"),
        ("p190_unknown_record.p190", 2, "unknown record id ' '"),
    ],
)
def test_rejects_with_the_line_number(name: str, lineno: int, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        list(p190.read_shots(fixture_lines(name)))
    assert (caught.value.lineno, caught.value.reason) == (lineno, reason)


@pytest.mark.parametrize(
    ("field", "replacement", "reason"),
    [
        ("591058.22N", "596058.22N", "bad latitude '596058.22N': out of range"),
        ("0022845.64E", "0022845.64Q", "bad hemisphere 'Q' in longitude"),
        ("0022845.64E", "1812845.64E", "bad longitude '1812845.64E': out of range"),
        (" 470246.1", " 47O246.1", "bad easting '47O246.1'"),
        ("  2576", "  25#6", "bad point number '25#6' in columns 20-25"),
        ("281103757", "367103757", "bad day/time '367103757' in columns 71-79"),
        ("281103757", "281106057", "bad day/time '281106057' in columns 71-79"),
    ],
)
def test_rejects_bad_fields(field: str, replacement: str, reason: str) -> None:
    lines = fixture_lines("p190_shots.p190")
    assert field in lines[9]
    lines[9] = lines[9].replace(field, replacement, 1)
    with pytest.raises(ParseError) as caught:
        list(p190.read_shots(lines))
    assert (caught.value.lineno, caught.value.reason) == (10, reason)


@pytest.mark.parametrize(
    ("name", "line"),
    [("5210", 5210), ("0007", 7), ("1052101055S0", 5210), ("2052121055", 5212), ("1052101055S00000", 5210)],
)
def test_default_line_number(name: str, line: int) -> None:
    assert p190.default_line_number(name) == line


def test_a_line_name_without_a_number_is_a_rejection_naming_it() -> None:
    lines = [line.replace("S5210       ", "SNORTH-A    ", 1) for line in fixture_lines("p190_shots.p190")]
    with pytest.raises(ParseError, match=r"^line 10: no line number in line name 'NORTH-A'"):
        list(p190.read_shots(lines))


# --------------------------------------------------------------------------- preplot


def test_preplot_line_ends_are_filled_in() -> None:
    reader = p190.read_preplot(fixture_lines("p190_preplot_ends.p190"))
    points = [(r.lineno, r.line, r.point, r.easting, r.northing, r.lat is not None) for r in reader]
    assert points == [
        (5, 5210, 1000, 470000.0, 6560000.0, True),
        (6, 5210, 1001, 470025.0, 6560000.0, False),
        (6, 5210, 1002, 470050.0, 6560000.0, False),
        (6, 5210, 1003, 470075.0, 6560000.0, False),
        (6, 5210, 1004, 470100.0, 6560000.0, False),
        (6, 5210, 1005, 470125.0, 6560000.0, False),
        (6, 5210, 1006, 470150.0, 6560000.0, True),
        (7, 5212, 1006, 470150.0, 6559950.0, True),
        (8, 5212, 1005, 470125.0, 6559950.0, False),
        (8, 5212, 1004, 470100.0, 6559950.0, False),
        (8, 5212, 1003, 470075.0, 6559950.0, False),
        (8, 5212, 1002, 470050.0, 6559950.0, False),
        (8, 5212, 1001, 470025.0, 6559950.0, False),
        (8, 5212, 1000, 470000.0, 6559950.0, True),
    ]
    assert reader.header.line_names == ["5210", "5212"]
    assert reader.header.grid_epsg == 32631


def test_preplot_keeps_the_step_of_the_given_points() -> None:
    records = list(p190.read_preplot(fixture_lines("p190_preplot_step.p190")))
    assert [(r.point, r.easting, r.lat is None) for r in records] == [
        (1000, 470000.0, False),
        (1002, 470050.0, False),
        (1004, 470100.0, False),
        (1006, 470150.0, True),  # filled in at the file's step of 2
        (1008, 470200.0, False),
    ]


def test_preplot_uses_the_first_position_record_type_only() -> None:
    # S records come first in this file: the V (vessel) records are not the preplot.
    records = list(p190.read_preplot(fixture_lines("p190_shots.p190")))
    assert [(r.lineno, r.point) for r in records] == [(10, 2576), (12, 2577), (14, 2578)]
