"""P1/11: shots and preplots resolved through the header, and every rejection naming its line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from chalicelib.parsers import ParseError, ShotRecord, p111
from tests.unit.parsers.files import fixture_lines


def read(name: str) -> tuple[p111.ShotReader, list[ShotRecord]]:
    reader = p111.read_shots(fixture_lines(name))
    return reader, list(reader)


def key(shot: ShotRecord) -> tuple[int, str, int, int, int, datetime]:
    return (shot.lineno, shot.line_name, shot.line, shot.point, shot.objref, shot.tstamp)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def test_gps_time_flip_flop_and_trailing_records() -> None:
    _, shots = read("p111_gps_flipflop.p111")
    name = "1052101055S00000"
    # Only S1 records are shots: P1 (idle source, vessel), CC, N1 and M1 records are not.
    assert [key(s) for s in shots] == [
        (26, name, 5210, 2576, 2, utc(2021, 10, 8, 10, 37, 57)),
        (30, name, 5210, 2577, 3, utc(2021, 10, 8, 10, 38, 7, 250000)),
        (33, name, 5210, 2578, 2, utc(2021, 10, 8, 10, 38, 17, 500000)),
    ]
    first = shots[0]
    assert (first.easting, first.northing, first.lat, first.lon) == (
        470246.10,
        6560527.52,
        59.182837962,
        2.479345044,
    )


def test_header_is_filled_from_the_header_records() -> None:
    reader, _ = read("p111_gps_flipflop.p111")
    header = reader.header
    assert header.format == "p111"
    assert header.version == "1.1"
    assert header.content == "Final Positions, QC'd"  # \u002C unescaped
    assert (header.grid_epsg, header.geographic_epsg, header.leap_seconds) == (32631, 4326, 18)
    assert header.sequence == 55
    assert header.line_names == ["1052101055S00000"]
    assert header.objects == {1: "VES", 2: "G1", 3: "G2"}
    assert (header.vessel_objref, header.source_objrefs) == (1, [2, 3])
    # Comments before the data belong to the header; the one between shots does not.
    assert header.comments == ["Hand-written: GPS time with 18 leap seconds; flip-flop sources 2 and 3; vessel 1"]
    assert header.records["HC,0,1,0"] == "EQ21205,North Sea test,2021:10:01"


def test_header_is_complete_once_the_first_shot_is_out() -> None:
    reader = p111.read_shots(fixture_lines("p111_gps_flipflop.p111"))
    next(iter(reader))
    assert reader.header.grid_epsg == 32631 and reader.header.leap_seconds == 18


def test_unix_time_northing_first_grid_and_longitude_first_geographic() -> None:
    reader, shots = read("p111_unix_axes.p111")
    assert [key(s) for s in shots] == [
        (17, "L5210", 5210, 2576, 11, utc(2021, 10, 8, 10, 37, 57)),
        (18, "L5210", 5210, 2577, 11, utc(2021, 10, 8, 10, 38, 7, 250000)),
    ]
    first = shots[0]
    assert (first.easting, first.northing, first.lat, first.lon) == (
        470246.10,
        6560527.52,
        59.182837962,
        2.479345044,
    )
    assert (reader.header.grid_epsg, reader.header.geographic_epsg) == (32631, 4326)


def test_date_time_text_and_day_of_year_text_across_midnight() -> None:
    _, shots = read("p111_datetime.p111")
    assert [(s.point, s.tstamp) for s in shots] == [
        (2576, utc(2021, 10, 8, 23, 59, 59, 500000)),  # UTC YYYY:MM:DD:HH:MM:SS
        (2577, utc(2021, 10, 9, 0, 0, 9, 250000)),  # GPS YYYY:DDD:HH:MM:SS, less 18 leap seconds
    ]


def test_simultaneous_sources_compound_crs_and_escaped_line_names() -> None:
    reader, shots = read("p111_simultaneous.p111")
    assert [(s.line_name, s.point, s.objref, s.tstamp) for s in shots] == [
        ("5210-055", 2576, 3, utc(2021, 10, 8, 10, 37, 57)),
        ("5210-055", 2576, 4, utc(2021, 10, 8, 10, 37, 57)),
        ("5210-055", 2577, 3, utc(2021, 10, 8, 10, 38, 7, 250000)),
        ("5210-055", 2577, 4, utc(2021, 10, 8, 10, 38, 7, 250000)),
    ]
    assert (shots[1].easting, shots[1].northing, shots[1].lat, shots[1].lon) == (
        470233.60,
        6560549.17,
        59.183031503,
        2.479123363,
    )
    assert (reader.header.grid_epsg, reader.header.geographic_epsg) == (32631, 4326)


def test_crlf_bom_and_blank_lines_are_tolerated() -> None:
    lines = ["\ufeff\r\n", "\r\n"] + [line.rstrip("\n") + "\r\n" for line in fixture_lines("p111_gps_flipflop.p111")]
    shots = list(p111.read_shots(lines))
    assert [(s.lineno, s.point, s.objref) for s in shots] == [(28, 2576, 2), (32, 2577, 3), (35, 2578, 2)]


def test_records_before_a_bad_one_are_delivered() -> None:
    shots = iter(p111.read_shots(fixture_lines("p111_unknown_objref.p111")))
    assert next(shots).point == 2576
    with pytest.raises(ParseError, match=r"^line 8: OBJREF 7 is not defined"):
        next(shots)


@pytest.mark.parametrize(
    ("name", "lineno", "reason"),
    [
        ("p111_unknown_objref.p111", 8, "OBJREF 7 is not defined in any HC,2,3,0 record"),
        ("p111_unknown_prt.p111", 8, "PRTREF 4 is not defined in any H1,1,0,0 record"),
        ("p111_bad_point.p111", 8, "bad point number '25A7' in field 5"),
        ("p111_bad_line.p111", 8, "bad line number '52I0' in field 4"),
        ("p111_bad_time.p111", 8, "bad time '13177247O5.250' in field 8"),
        ("p111_bad_coordinate.p111", 8, "bad latitude '59.18295X026' in field 16"),
        ("p111_field_count.p111", 8, "S1 record has 28 fields, position record type 1 needs 26"),
        (
            "p111_truncated.p111",
            8,
            "S1 record truncated: 14 fields, position record type 1 needs at least 17",
        ),
        ("p111_no_time_reference.p111", 6, "S1 record before the header defined a time reference (HC,1,2,0)"),
        ("p111_no_prt.p111", 6, "S1 record before the header defined a position record type (H1,1,0,0)"),
        ("p111_no_objects.p111", 6, "S1 record before the header defined a position objects (HC,2,3,0)"),
        (
            "p111_gps_without_leap_seconds.p111",
            2,
            "GPS time reference 1 does not give the GPS-UTC leap seconds",
        ),
        ("p111_undefined_crs.p111", 6, "CRS 9 is not defined (no HC,1,3,0 or HC,1,4,0 record)"),
    ],
)
def test_rejects_with_the_line_number(name: str, lineno: int, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        list(p111.read_shots(fixture_lines(name)))
    assert (caught.value.lineno, caught.value.reason) == (lineno, reason)


def test_an_undefined_objref_is_rejected_even_when_the_header_defines_others() -> None:
    lines = fixture_lines("p111_gps_flipflop.p111")
    lines[25] = lines[25].replace(",2,G1,1,", ",9,G9,1,", 1)
    with pytest.raises(ParseError, match=r"^line 26: OBJREF 9 is not defined"):
        list(p111.read_shots(lines))


@pytest.mark.parametrize("edit", [lambda line: " " + line, lambda line: "s1" + line[2:]])
def test_an_s1_record_is_never_dropped_silently(edit: Callable[[str], str]) -> None:
    lines = fixture_lines("p111_gps_flipflop.p111")
    lines[29] = edit(lines[29])
    with pytest.raises(ParseError, match=r"^line 30: S1 record id must start the line, in capitals"):
        list(p111.read_shots(lines))


def test_time_unit_must_be_defined() -> None:
    lines = [line for line in fixture_lines("p111_gps_flipflop.p111") if ",3,second,time," not in line]
    with pytest.raises(ParseError) as caught:
        list(p111.read_shots(lines))
    assert (caught.value.lineno, caught.value.reason) == (
        7,
        "time reference 1 counts in UNITREF 3, not defined",
    )


# --------------------------------------------------------------------------- preplot


def test_preplot_segments_are_filled_point_by_point() -> None:
    reader = p111.read_preplot(fixture_lines("p111_preplot.p111"))
    points = [(r.lineno, r.line, r.point, r.easting, r.northing, r.lat, r.lon) for r in reader]
    assert points == [
        # Line 5210: two segments sharing 1004 (given once); grid linear by point number.
        (9, 5210, 1000, 470000.0, 6560000.0, 59.178083504, 2.475111441),
        (9, 5210, 1001, 470025.0, 6560000.0, None, None),
        (9, 5210, 1002, 470050.0, 6560000.0, None, None),
        (9, 5210, 1003, 470075.0, 6560000.0, None, None),
        (9, 5210, 1004, 470100.0, 6560000.0, 59.178090557, 2.476860985),
        (10, 5210, 1005, 470125.0, 6560000.0, None, None),
        (10, 5210, 1006, 470150.0, 6560000.0, 59.178094075, 2.477735757),
        # Line 5212: one segment from 1006 down to 1000 at increment 2.
        (12, 5212, 1006, 470150.0, 6559950.0, 59.177645074, 2.477742605),
        (12, 5212, 1004, 470100.0, 6559950.0, None, None),
        (12, 5212, 1002, 470050.0, 6559950.0, None, None),
        (12, 5212, 1000, 470000.0, 6559950.0, 59.177634503, 2.475118323),
    ]
    header = reader.header
    assert (header.content, header.grid_epsg, header.geographic_epsg) == ("Preplots", 32631, 4326)
    assert header.line_names == ["5210", "5212"]


def test_preplot_records_at_the_end_of_a_post_plot() -> None:
    points = [(r.line, r.point) for r in p111.read_preplot(fixture_lines("p111_gps_flipflop.p111"))]
    assert points == [(5210, 2576), (5210, 2577), (5210, 2578)]


@pytest.mark.parametrize(
    ("name", "lineno", "reason"),
    [
        ("p111_preplot_arc.p111", 4, "N1 sub-type '1' not supported (0 line header, 2 straight segment)"),
        ("p111_preplot_unknown_line.p111", 4, "N1 segment for line index 3, which no N1 line record defines"),
    ],
)
def test_preplot_rejects(name: str, lineno: int, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        list(p111.read_preplot(fixture_lines(name)))
    assert (caught.value.lineno, caught.value.reason) == (lineno, reason)
