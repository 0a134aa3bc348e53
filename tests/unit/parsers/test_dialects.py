"""The readers against files written the way real navigation systems write them.

Each fixture in ``tests/fixtures/dialects`` reproduces one trap seen in the field
(written by hand in that writer's style). Expected numbers are computed here,
independently of the readers: datum shifts with pyproj from EPSG's own
transformation, unit factors from their definitions.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.parsers import ParseError, p111, p190, sps
from chalicelib.parsers.records import FileHeader

DIALECTS = Path(__file__).parents[2] / "fixtures" / "dialects"
US_FOOT = 1200 / 3937


def lines(name: str) -> list[str]:
    """A fixture's lines as a text stream gives them (endings kept)."""
    return (DIALECTS / name).read_text(encoding="utf-8").splitlines(keepends=True)


def wgs84_from(header: FileHeader, lon: float, lat: float) -> tuple[float, float]:
    """Lat/lon as written, to WGS 84, the way the ingest is asked to: header CRS and its transformation."""
    from pyproj import CRS, Transformer

    assert header.geographic_epsg is not None
    source = CRS.from_epsg(header.geographic_epsg)
    if header.transformation is not None and header.transformation.towgs84 is not None:
        towgs84 = ",".join(f"{v!r}" for v in header.transformation.towgs84)
        ellipsoid = source.ellipsoid
        assert ellipsoid is not None
        source = CRS.from_proj4(
            f"+proj=longlat +a={ellipsoid.semi_major_metre} +rf={ellipsoid.inverse_flattening} +towgs84={towgs84}"
        )
    transformer = Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    x, y = transformer.transform(lon, lat)
    return x, y


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    from pyproj import Geod

    return float(Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2])


def ed50_expected(lon: float, lat: float) -> tuple[float, float]:
    """EPSG's ED50 to WGS 84 (18), operation 1311, applied by pyproj itself."""
    from pyproj import Transformer

    transformer = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=axisswap +order=2,1 +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        "+step +proj=push +v_3 +step +proj=cart +ellps=intl "
        "+step +proj=helmert +x=-89.5 +y=-93.8 +z=-123.1 +rx=0 +ry=0 +rz=-0.156 +s=1.2 +convention=position_vector "
        "+step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 "
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg +step +proj=axisswap +order=2,1"
    )
    y, x = transformer.transform(lat, lon)
    return x, y


# --------------------------------------------------------------------------- datums


@pytest.mark.parametrize("name", ["p111_ed50_position_vector.p111", "p111_ed50_coordinate_frame.p111"])
def test_p111_ed50_lat_lon_with_the_header_transformation(name: str) -> None:
    reader = p111.read_shots(lines(name))
    shots = list(reader)
    header = reader.header
    assert (header.geographic_epsg, header.grid_epsg) == (4230, 23031)
    assert header.transformation is not None
    # Coordinate-frame rotations are stored with their sign flipped: both files say the same thing.
    assert header.transformation.towgs84 == pytest.approx((-89.5, -93.8, -123.1, 0.0, 0.0, -0.156, 1.2))
    first = shots[0]
    assert (first.lat, first.lon) == (59.0, 2.5)  # as written, on ED50
    wgs84 = wgs84_from(header, first.lon, first.lat)
    expected = ed50_expected(2.5, 59.0)
    assert distance_m(wgs84, expected) < 0.1
    # The ED50 → WGS 84 shift in the North Sea: about 64 m south, 94 m west of the ED50 numbers.
    from pyproj import Geod

    azimuth, _, shift = Geod(ellps="WGS84").inv(2.5, 59.0, *expected)
    north = shift * math.cos(math.radians(azimuth))
    east = shift * math.sin(math.radians(azimuth))
    assert north == pytest.approx(-64, abs=3) and east == pytest.approx(-94, abs=3)


def test_p111_transformation_named_by_code() -> None:
    reader = p111.read_shots(lines("p111_ed50_position_vector.p111"))
    list(reader)
    assert reader.header.transformation is not None
    assert (reader.header.transformation.epsg, reader.header.transformation.name) == (1311, "ED50 to WGS 84 (18)")


def test_p111_nad27_grid_in_us_survey_feet() -> None:
    from pyproj import Transformer

    reader = p111.read_shots(lines("p111_nad27_us_feet.p111"))
    (shot,) = list(reader)
    header = reader.header
    assert (header.geographic_epsg, header.grid_epsg) == (4267, 32040)
    assert (header.grid_unit, header.grid_unit_metres) == ("US survey foot", pytest.approx(US_FOOT))
    assert header.transformation is not None
    assert (header.transformation.epsg, header.transformation.towgs84) == (15851, None)
    # The grid is in feet: NAD27 lat/lon and the State Plane grid agree through pyproj.
    e, n = Transformer.from_crs("EPSG:4267", "EPSG:32040", always_xy=True).transform(shot.lon, shot.lat)
    assert (shot.easting, shot.northing) == (pytest.approx(e, abs=0.05), pytest.approx(n, abs=0.05))


def test_p111_wgs84_realisation_is_declared_as_written() -> None:
    reader = p111.read_shots(lines("p111_wgs84_g2139.p111"))
    list(reader)
    assert (reader.header.geographic_epsg, reader.header.grid_epsg) == (9755, 32631)


def test_p111_epsg_code_from_a_seapro_comment() -> None:
    reader = p111.read_preplot(lines("p111_seapro_comment_epsg.p111"))
    points = list(reader)
    assert (reader.header.grid_epsg, reader.header.geographic_epsg) == (32621, 4326)
    assert [p.point for p in points] == [2113, 2114, 2115]


def test_p190_ed50_datum_as_plotted_and_its_shifts() -> None:
    reader = p190.read_shots(lines("p190_ed50.p190"))
    shots = list(reader)
    header = reader.header
    assert (header.geographic_epsg, header.grid_epsg, header.grid_unit) == (4230, 23031, "metre")
    assert header.transformation is not None
    # H1600 gives WGS 84 → ED50; the reader reports ED50 → WGS 84.
    assert header.transformation.towgs84 == pytest.approx((-89.5, -93.8, -123.1, 0.0, 0.0, -0.156, 1.2))
    first = shots[0]
    assert first.lat == pytest.approx(59.0) and first.lon == pytest.approx(2.5)
    assert distance_m(wgs84_from(header, first.lon, first.lat), ed50_expected(2.5, 59.0)) < 0.1


def test_p190_epsg_code_from_a_trinav_comment() -> None:
    reader = p190.read_preplot(lines("p190_trinav_comment_epsg.p190"))
    points = list(reader)
    assert (reader.header.grid_epsg, reader.header.geographic_epsg) == (32621, 4326)
    assert [p.point for p in points] == [2113, 2114, 2115]


@pytest.mark.parametrize(
    ("name", "unit", "metres"),
    [("sps21_us_feet.sps", "US survey foot", US_FOOT), ("sps1_factor_to_metre.sps", "US survey foot", US_FOOT)],
)
def test_sps_grid_unit(name: str, unit: str, metres: float) -> None:
    reader = sps.read_preplot(lines(name))
    points = list(reader)
    assert (reader.header.grid_unit, reader.header.grid_unit_metres) == (unit, pytest.approx(metres))
    assert points[0].easting == 3284562.3


# --------------------------------------------------------------------------- receivers


def test_p111_receivers_only_file() -> None:
    reader = p111.read_shots(lines("p111_obn_receivers.p111"))
    assert list(reader) == []
    nodes = reader.receivers
    assert [(r.line, r.point, r.node, r.objref) for r in nodes] == [
        (3001, 101, "N0101", 10),
        (3001, 102, "N0102", 10),
        (3003, 101, "N0301", 10),
    ]
    first = nodes[0]
    assert (first.easting, first.northing, first.depth, first.lat, first.lon) == (
        471274.02,
        6540159.46,
        95.2,
        59.0,
        2.5,
    )
    assert first.tstamp is None and first.lineno == 22
    preplot = p111.read_preplot(lines("p111_obn_receivers.p111"))
    assert list(preplot) == [] and len(preplot.receivers) == 3


def test_p190_receivers_only_file() -> None:
    reader = p190.read_shots(lines("p190_receivers.p190"))
    assert list(reader) == []
    assert [(r.point, r.node, r.objref, r.easting, r.depth) for r in reader.receivers] == [
        (101, "1/101", 1, 471274.0, 95.2),
        (102, "1/102", 1, 471302.9, 95.4),
        (103, "1/103", 1, 471331.8, 95.6),
        (104, "1/104", 1, 471360.7, 95.8),
    ]
    preplot = p190.read_preplot(lines("p190_receivers.p190"))
    assert list(preplot) == [] and len(preplot.receivers) == 4


def test_p190_receivers_take_the_time_of_their_shot() -> None:
    reader = p190.read_shots(Path(__file__).parent.joinpath("fixtures", "p190_shots.p190").read_text().splitlines())
    shots = list(reader)
    assert [r.node for r in reader.receivers] == ["1/1", "1/2", "1/3"]
    assert {r.tstamp for r in reader.receivers} == {shots[-1].tstamp}
    assert shots[-1].tstamp == datetime(2021, 10, 8, 10, 38, 17, tzinfo=UTC)


def test_sps_receivers_and_relations() -> None:
    reader = sps.read_preplot(lines("sps21_receivers_relations.sps"))
    assert list(reader) == []
    assert [(r.line, r.point, r.node) for r in reader.receivers] == [
        (3001, 101, "3001.00/101.00"),
        (3001, 102, "3001.00/102.00"),
        (3001, 102, "3001.00/102.00#2"),
    ]
    assert reader.relations == 1


def test_sps_relation_record_is_checked() -> None:
    bad = [*lines("sps21_receivers_relations.sps")[:3], "X  1001   8287311   5210.00   25x6.001    1  4351\n"]
    with pytest.raises(ParseError, match=r"^line 4: bad source point '25x6.00' in columns 28-37$"):
        list(sps.read_preplot(bad))


# --------------------------------------------------------------------------- numbers as writers write them


def test_p111_trinav_decimals_crlf() -> None:
    import io

    from chalicelib.parsers import decode_lines

    raw = (DIALECTS / "p111_trinav_decimals.p111").read_bytes()
    records = raw.splitlines(keepends=True)
    assert len(records) > 10 and all(record.endswith(b"\r\n") for record in records)  # the file really is CRLF
    # The bytes as the import reads them: a binary spool through the readers' own decoding.
    decoded = list(decode_lines(io.BytesIO(raw)))
    assert len(decoded) == len(records) and not any("\r" in line for line in decoded)
    reader = p111.read_shots(decode_lines(io.BytesIO(raw)))
    shots = list(reader)
    assert reader.header.leap_seconds == 18
    # GPS seconds 1317724695.000 since 1980-01-06, less the 18 leap seconds the header writes as 18.0.
    expected = datetime(1980, 1, 6, tzinfo=UTC).timestamp() + 1317724695.0 - 18
    assert shots[0].tstamp.timestamp() == expected
    assert [(s.point, s.objref) for s in shots] == [(2576, 2), (2577, 3), (2578, 2)]
    assert reader.header.comments[0].endswith("counts as 3.000, CRLF")


def test_p111_padded_numeric_fields() -> None:
    """Numbers padded with blanks on either side (`, 5210`, `  2576`, `2576  `, ` 0`): the values as written."""
    reader = p111.read_shots(lines("p111_padded_fields.p111"))
    shots = list(reader)
    gps = datetime(1980, 1, 6, tzinfo=UTC).timestamp() - 18
    assert [(s.line_name, s.line, s.point, s.objref, s.tstamp.timestamp() - gps) for s in shots] == [
        ("1052101055S00000", 5210, 2576, 2, 1317724695.0),
        ("1052101055S00000", 5210, 2577, 3, 1317724705.25),
        ("1052101055S00000", 5210, 2578, 2, 1317724715.5),
    ]
    assert (shots[0].easting, shots[0].northing, shots[0].lat, shots[0].lon) == (
        470246.10,
        6560527.52,
        59.182837962,
        2.479345044,
    )
    assert (shots[1].easting, shots[1].northing) == (470270.54, 6560539.92)


def test_p111_dropped_trailing_fields_plus_signs_escapes_bom() -> None:
    from chalicelib.parsers import decode_lines

    raw = (DIALECTS / "p111_dropped_fields.p111").read_bytes()
    reader = p111.read_shots(decode_lines(raw.splitlines(keepends=True)))
    shots = list(reader)
    assert [(s.line_name, s.line, s.point, s.objref) for s in shots] == [
        ("1052101055S00000", 5210, 2576, 2),
        ("1052101055S00000", 5210, 2577, 3),
        ("1052101055S00000", 5210, 2578, 2),
    ]
    assert reader.header.line_names == ["1052101055S00000"]
    assert (shots[1].easting, shots[1].lat) == (470270.54, 59.182951026)
    assert reader.header.version == "1.1"


def test_p111_fractional_leap_seconds_rejected() -> None:
    with pytest.raises(ParseError) as caught:
        list(p111.read_shots(lines("p111_leap_fraction.p111")))
    assert caught.value.lineno == 8
    assert caught.value.reason == "bad leap-second count '18.5' in field 8 (want a whole number)"


def test_p111_record_stopping_before_its_coordinates_rejected() -> None:
    text = lines("p111_dropped_fields.p111")
    cut = [line if not line.startswith("S1,0,1052101055S00000,5210,2578") else line[:60] + "\n" for line in text]
    lineno = next(i for i, line in enumerate(cut, 1) if line.startswith("S1,0,1052101055S00000,5210,2578"))
    with pytest.raises(
        ParseError, match=rf"^line {lineno}: S1 record truncated: 11 fields, position record type 1 needs at least 17$"
    ):
        list(p111.read_shots(cut))


# --------------------------------------------------------------------------- dog-leg preplot lines


def test_p111_dogleg_points_follow_each_segment() -> None:
    points = {p.point: p for p in p111.read_preplot(lines("p111_dogleg.p111"))}
    assert sorted(points) == list(range(1000, 1011))
    # North leg: easting constant; east leg: northing constant; last leg north-east.
    assert [points[p].easting for p in (1001, 1002, 1003)] == [470000.0, 470000.0, 470000.0]
    assert [points[p].northing for p in (1001, 1002, 1003)] == pytest.approx([6560025.0, 6560050.0, 6560075.0])
    assert [points[p].easting for p in (1005, 1006, 1007)] == pytest.approx([470025.0, 470050.0, 470075.0])
    assert {points[p].northing for p in (1005, 1006, 1007)} == {6560100.0}
    assert (points[1009].easting, points[1009].northing) == pytest.approx((470117.6775, 6560117.6775))
    # The corner points are the segments' shared ends, given once with their lat/lon.
    assert (points[1004].lineno, points[1004].lat) == (points[1003].lineno, 59.178981506)
    assert points[1008].lat == 59.17898856


# --------------------------------------------------------------------------- P1/90 year, sources, grid only


def test_p190_span_puts_each_day_in_its_year() -> None:
    reader = p190.read_shots(lines("p190_span_year.p190"))
    shots = list(reader)
    assert [s.tstamp for s in shots] == [
        datetime(2021, 1, 10, 10, 37, 57, tzinfo=UTC),
        datetime(2021, 1, 10, 10, 38, 7, tzinfo=UTC),
        datetime(2020, 12, 17, 22, 0, 0, tzinfo=UTC),
    ]
    assert reader.header.warnings == []


def test_p190_configured_year_only_without_a_header_year() -> None:
    reader = p190.read_shots(lines("p190_source_letters.p190"), year=2020)
    shots = list(reader)
    assert shots[0].tstamp.year == 2021
    assert reader.header.warnings == [
        "the header dates the survey in 2021 (H0200) but 2020 is configured; 2021 from the header is used"
    ]
    no_date = [line for line in lines("p190_source_letters.p190") if not line.startswith("H0200")]
    assert next(iter(p190.read_shots(no_date, year=2020))).tstamp.year == 2020


@pytest.mark.parametrize("drop", [None, "H1500"])
def test_p190_nad27_header_is_read_as_nad27(drop: str | None) -> None:
    """``H1500`` (datum as plotted), else ``H1400`` (as surveyed), naming NAD27: the lat/lon are NAD27 (EPSG:4267),
    the UTM grid NAD27's own (EPSG:26715), and no shift is given (the import picks one for the area)."""
    text = [line for line in lines("p190_nad27.p190") if drop is None or not line.startswith(drop)]
    reader = p190.read_shots(text)
    shots = list(reader)
    assert (reader.header.geographic_epsg, reader.header.grid_epsg) == (4267, 26715)
    assert reader.header.transformation is None
    assert [(s.point, round(s.lat, 9), round(s.lon, 9)) for s in shots] == [
        (2576, 27.5, -91.5),
        (2577, 27.5002, -91.4995),
    ]


def test_p190_source_letters_and_blank() -> None:
    shots = list(p190.read_shots(lines("p190_source_letters.p190")))
    assert [(s.source_id, s.objref) for s in shots] == [("A", 1), ("B", 2), (None, None), ("C", None)]


def test_p190_grid_only_detected_and_read() -> None:
    from chalicelib.parsers import detect_format

    assert detect_format((DIALECTS / "p190_grid_only.p190").read_bytes()) == "p190"
    reader = p190.read_shots(lines("p190_grid_only.p190"))
    shots = list(reader)
    assert [(s.easting, s.northing, s.lat, s.lon) for s in shots] == [
        (470246.1, 6560527.5, None, None),
        (470270.5, 6560539.9, None, None),
    ]
    assert reader.header.grid_epsg == 32631


# --------------------------------------------------------------------------- SPS


def test_sps21_integers_without_h00_by_columns() -> None:
    from chalicelib.parsers import detect_format

    assert detect_format((DIALECTS / "sps21_integers_no_h00.sps").read_bytes()) == "sps21"
    reader = sps.read_preplot(lines("sps21_integers_no_h00.sps"))
    assert [(p.line, p.point, p.easting) for p in reader] == [(5210, 2576, 470246.1), (5210, 2577, 470270.5)]
    assert reader.header.format == "sps21"


def test_sps_wrong_columns_named() -> None:
    with pytest.raises(ParseError) as caught:
        list(sps.read_preplot(lines("sps_unreadable_columns.sps")))
    assert caught.value.lineno == 1
    assert "rev 2.1 columns (line 2-11, point 12-21" in caught.value.reason
    assert "rev 1 columns (line 2-17, point 18-25" in caught.value.reason


def test_sps_point_index_gives_separate_points() -> None:
    points = list(sps.read_preplot(lines("sps21_point_index.sps")))
    assert [(p.point, p.index, p.easting) for p in points] == [
        (2576, 1, 470246.1),
        (2577, 1, 470270.5),
        (2577, 2, 470272.5),
        (2578, 1, 470295.0),
    ]


def test_sps_points_rounding_together_rejected_naming_both_lines() -> None:
    with pytest.raises(ParseError) as caught:
        list(sps.read_preplot(lines("sps21_rounding_collision.sps")))
    assert (caught.value.lineno, caught.value.reason) == (
        4,
        "point 2576 of line 5210 (index 1) is given twice:"
        " file line 3 and file line 4 (2576.4) round to the same point",
    )


# --------------------------------------------------------------------------- traps seen in contractors' files


def test_p111_realisation_through_a_compound_crs() -> None:
    reader = p111.read_shots(lines("p111_trinav_compound_g2296.p111"))
    (shot,) = list(reader)
    assert (reader.header.geographic_epsg, reader.header.grid_epsg) == (10606, 32631)
    assert (shot.lat, shot.lon) == (59.0, 2.5)


def test_datum_and_projection_codes_in_comments_are_not_taken_for_the_crs() -> None:
    p111_reader = p111.read_preplot(lines("p111_seapro_comment_epsg.p111"))
    list(p111_reader)
    p190_reader = p190.read_preplot(lines("p190_trinav_comment_epsg.p190"))
    list(p190_reader)
    assert p111_reader.header.grid_epsg == p190_reader.header.grid_epsg == 32621


def test_p190_month_first_survey_date() -> None:
    reader = p190.read_shots(lines("p190_month_first_date.p190"))
    shots = list(reader)
    assert reader.header.year == 2021
    assert shots[0].tstamp == datetime(2021, 10, 8, 10, 37, 57, tzinfo=UTC)


def test_p190_decimal_degrees_detected_as_p190_and_rejected_with_the_line() -> None:
    from chalicelib.parsers import detect_format

    assert detect_format((DIALECTS / "p190_decimal_degrees.p190").read_bytes()) == "p190"
    with pytest.raises(ParseError) as caught:
        list(p190.read_preplot(lines("p190_decimal_degrees.p190")))
    assert caught.value.lineno == 3


def test_streamer_groups_are_not_receiver_points() -> None:
    text = lines("p111_obn_receivers.p111")
    streamer = [line.replace(",13,Ocean Bottom Node,", ",2,Streamer,") for line in text]
    reader = p111.read_shots(streamer)
    assert list(reader) == [] and reader.receivers == []
    shots = (Path(__file__).parent / "fixtures" / "p190_shots.p190").read_text().splitlines()
    with_streamers = [shots[0], "H0104STREAMER DETAILS           1 800 CH 12.5 M", *shots[1:]]
    p190_reader = p190.read_shots(with_streamers)
    assert len(list(p190_reader)) == 3 and p190_reader.receivers == []
