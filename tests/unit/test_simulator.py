"""The simulator's files, read back by the parsers, give exactly the simulator's truth."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import geodesy
from chalicelib.parsers import PreplotRecord, ShotRecord, detect_format, p111, p190, sps
from dougal_sim import simulator
from dougal_sim.simulator import Fault, SequenceTruth, Survey

ONLINE_NAME = re.compile(r"^.*(10|20)([0-9]{4})([0-9])([0-9]{3})S00000$", re.IGNORECASE)
START = datetime(2021, 10, 8, 23, 50, 0, tzinfo=UTC)  # a 60-shot sequence crosses midnight
ONE_HUNDREDTH_ARCSECOND = 0.01 / 3600


@pytest.fixture(scope="module")
def survey() -> Survey:
    return Survey(num_lines=3, points_per_line=60, first_point=1000, azimuth_deg=60.0, seed=7)


@pytest.fixture(scope="module")
def truth(survey: Survey) -> SequenceTruth:
    return survey.sequence(55, 5212, start=START, run_in=3, run_out=2, missing=[1020])


def identity(shot: ShotRecord) -> tuple[str, int, int, int, datetime]:
    return (shot.line_name, shot.line, shot.point, shot.objref, shot.tstamp)


def assert_same_shots(got: list[ShotRecord], expected: list[ShotRecord], metres: float, degrees: float) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert identity(g) == identity(e)
        assert g.easting == pytest.approx(e.easting, abs=metres)
        assert g.northing == pytest.approx(e.northing, abs=metres)
        assert g.lon == pytest.approx(e.lon, abs=degrees)
        assert g.lat == pytest.approx(e.lat, abs=degrees)


# --------------------------------------------------------------------------- P1/11


@pytest.mark.parametrize("time_system", ["gps", "unix", "datetime", "doy"])
@pytest.mark.parametrize("kind", ["raw", "final"])
def test_p111_round_trip(truth: SequenceTruth, kind: str, time_system: str) -> None:
    text = simulator.write_p111(truth, kind=kind, time_system=time_system)
    assert detect_format(text[:4096].encode()) == "p111"
    reader = p111.read_shots(io.StringIO(text))
    shots = list(reader)
    assert_same_shots(shots, truth.shots, metres=0.01, degrees=1e-7)
    assert shots[0].tstamp.date() != shots[-1].tstamp.date()  # crossed midnight
    header = reader.header
    assert (header.grid_epsg, header.geographic_epsg, header.leap_seconds) == (32631, 4326, 18)
    assert (header.sequence, header.line_names) == (55, [truth.line_name])
    assert header.content == ("Final Positions" if kind == "final" else "Raw Positions")
    assert header.source_objrefs == [1, 2] and header.vessel_objref == 3


def test_p111_has_one_s1_per_fired_source_and_p1_for_the_rest(truth: SequenceTruth) -> None:
    records = simulator.write_p111(truth).splitlines()
    s1 = [r for r in records if r.startswith("S1,")]
    p1 = [r for r in records if r.startswith("P1,")]
    assert len(s1) == len(truth.events) and len(p1) == 2 * len(truth.events)  # idle source + vessel
    assert any(r.startswith("N1,") for r in records) and any(r.startswith("M1,") for r in records)


def test_p111_leap_seconds_follow_the_sequence(survey: Survey) -> None:
    truth = survey.sequence(56, 5210, start=datetime(2016, 3, 1, tzinfo=UTC), leap_seconds=17, last_point=1005)
    reader = p111.read_shots(io.StringIO(simulator.write_p111(truth)))
    assert [s.tstamp for s in reader] == [s.tstamp for s in truth.shots]
    assert reader.header.leap_seconds == 17


def test_p111_simultaneous_sources(survey: Survey) -> None:
    truth = survey.sequence(57, 5210, start=START, simultaneous=True, sources=(3, 4), last_point=1009)
    shots = list(p111.read_shots(io.StringIO(simulator.write_p111(truth))))
    assert_same_shots(shots, truth.shots, metres=0.01, degrees=1e-7)
    assert [s.objref for s in shots[:4]] == [3, 4, 3, 4]
    assert shots[0].tstamp == shots[1].tstamp and shots[0].point == shots[1].point


def test_p111_written_to_a_file_object(truth: SequenceTruth) -> None:
    out = io.StringIO()
    assert simulator.write_p111(truth, out=out) == ""
    assert out.getvalue() == simulator.write_p111(truth)


# --------------------------------------------------------------------------- P1/90


def test_p190_round_trip(truth: SequenceTruth) -> None:
    text = simulator.write_p190(truth)
    assert all(len(line) == 80 for line in text.splitlines())
    assert detect_format(text.encode()) == "p190"
    reader = p190.read_shots(io.StringIO(text))
    shots = list(reader)
    expected = [
        ShotRecord(
            0,
            s.line_name[:12],
            s.line,
            s.point,
            s.objref,
            s.tstamp.replace(microsecond=0),  # P1/90 times are whole seconds
            s.easting,
            s.northing,
            s.lon,
            s.lat,
        )
        for s in truth.shots
    ]
    # P1/90 precision: 0.1 m and 0.01 arc second, rounded to half of that.
    assert_same_shots(shots, expected, metres=0.05 + 1e-6, degrees=ONE_HUNDREDTH_ARCSECOND / 2 + 1e-12)
    assert (reader.header.year, reader.header.grid_epsg) == (2021, 32631)


def test_p190_across_new_year(survey: Survey) -> None:
    start = datetime(2021, 12, 31, 23, 58, 0, tzinfo=UTC)
    truth = survey.sequence(58, 5214, start=start, direction=-1, jitter_ms=0)
    shots = list(p190.read_shots(io.StringIO(simulator.write_p190(truth))))
    assert [s.tstamp for s in shots] == [s.tstamp for s in truth.shots]
    assert shots[0].tstamp.year == 2021 and shots[-1].tstamp.year == 2022


# --------------------------------------------------------------------------- preplots


def assert_same_preplot(got: list[PreplotRecord], survey: Survey, metres: float) -> None:
    expected = list(survey.preplot())
    assert [(r.line, r.point) for r in got] == [(r.line, r.point) for r in expected]
    for g, e in zip(got, expected, strict=True):
        assert g.easting == pytest.approx(e.easting, abs=metres)
        assert g.northing == pytest.approx(e.northing, abs=metres)


@pytest.mark.parametrize("rev", ["2.1", "1"])
def test_sps_preplot_round_trip(survey: Survey, rev: str) -> None:
    text = simulator.write_sps_preplot(survey, rev=rev)
    assert detect_format(text.encode()) == ("sps21" if rev == "2.1" else "sps1")
    reader = sps.read_preplot(io.StringIO(text))
    assert_same_preplot(list(reader), survey, metres=0.05 + 1e-6)
    assert reader.header.grid_epsg == 32631


@pytest.mark.parametrize("segments", [1, 3])
def test_p111_preplot_round_trip(survey: Survey, segments: int) -> None:
    reader = p111.read_preplot(io.StringIO(simulator.write_p111_preplot(survey, segments_per_line=segments)))
    records = list(reader)
    assert_same_preplot(records, survey, metres=0.001)
    truth = {(r.line, r.point): r for r in survey.preplot()}
    given = [r for r in records if r.lat is not None]
    assert len(given) == survey.num_lines * (segments + 1)  # segment ends carry the file's lat/lon
    for r in given:
        assert r.lat == pytest.approx(truth[r.line, r.point].lat, abs=1e-8)
        assert r.lon == pytest.approx(truth[r.line, r.point].lon, abs=1e-8)
    assert (reader.header.grid_epsg, reader.header.geographic_epsg) == (32631, 4326)


@pytest.mark.parametrize("endpoints_only", [True, False])
def test_p190_preplot_round_trip(survey: Survey, endpoints_only: bool) -> None:
    text = simulator.write_p190_preplot(survey, endpoints_only=endpoints_only)
    records = list(p190.read_preplot(io.StringIO(text)))
    assert_same_preplot(records, survey, metres=0.05 + 1e-6)


def test_interpolated_points_convert_to_the_truth(survey: Survey) -> None:
    # What the ingest does with points that have grid coordinates only.
    records = list(p190.read_preplot(io.StringIO(simulator.write_p190_preplot(survey))))
    lons, lats = geodesy.grid_to_wgs84(32631, [r.easting for r in records], [r.northing for r in records])
    for lon, lat, expected in zip(lons, lats, survey.preplot(), strict=True):
        assert (lon, lat) == (pytest.approx(expected.lon, abs=1e-6), pytest.approx(expected.lat, abs=1e-6))


# --------------------------------------------------------------------------- the truth itself


def test_line_name_matches_the_configured_pattern() -> None:
    for direction, attempt, sequence in [(1, 0, 55), (-1, 1, 7)]:
        name = simulator.line_name(5210, sequence, attempt=attempt, direction=direction)
        match = ONLINE_NAME.match(name)
        assert match is not None
        assert match.groups() == ("10" if direction > 0 else "20", "5210", str(attempt), f"{sequence:03d}")


def test_run_in_run_out_and_missing_points(survey: Survey, truth: SequenceTruth) -> None:
    points = truth.points
    assert points[0] == survey.first_point - 3 and points[-1] == survey.last_point + 2
    assert 1020 not in points and points == sorted(points)
    times = [s.tstamp for s in truth.shots]
    assert times == sorted(times)
    # The missed shot leaves its time slot empty: the vessel kept moving.
    gap = times[points.index(1021)] - times[points.index(1019)]
    assert timedelta(seconds=19.8) < gap < timedelta(seconds=20.2)


def test_flip_flop_alternates(truth: SequenceTruth) -> None:
    objrefs = [s.objref for s in truth.shots]
    assert set(objrefs) == {1, 2}
    pairs = zip(truth.points, objrefs, strict=True)
    assert all(o == (1 if (p - truth.points[0]) % 2 == 0 else 2) for p, o in pairs)


def test_reshoot_of_part_of_a_line(survey: Survey) -> None:
    truth = survey.sequence(60, 5210, start=START, attempt=1, direction=-1, first_point=1040, last_point=1030)
    assert truth.line_name == "2052101060S00000"
    assert truth.points == list(range(1040, 1029, -1))
    assert all(s.line == 5210 for s in truth.shots)


def test_faults_are_injected_and_recorded(survey: Survey) -> None:
    faults = [
        Fault("shift", 1010, crossline_m=15.0),
        Fault("duplicate", 1015),
        Fault("wrong_source", 1020),
        Fault("slow", 1030, seconds=4.0),
        Fault("fast", 1040, seconds=3.0),
        Fault("gap", 1050, count=3),
    ]
    truth = survey.sequence(61, 5210, start=START, faults=faults, jitter_ms=0, position_noise_m=0.0)
    by_kind = {f.kind: f for f in truth.faults}
    assert set(by_kind) == set(simulator.FAULT_KINDS)
    assert by_kind["gap"].points == (1050, 1051, 1052)
    shots = {s.point: s for s in truth.shots}

    shifted = shots[1010]
    e, n = survey.position(5210, 1010)
    assert geodesy.grid_distance_azimuth(e, n, shifted.easting or 0, shifted.northing or 0)[0] == pytest.approx(15.0)
    assert truth.points.count(1015) == 2
    assert shots[1020].objref == shots[1019].objref  # the flip-flop order broken
    interval = {p: (shots[p].tstamp - shots[p - 1].tstamp).total_seconds() for p in (1030, 1040)}
    assert interval == {1030: 14.0, 1040: 7.0}
    assert not {1050, 1051, 1052} & set(shots)


def test_faults_outside_the_sequence_are_refused(survey: Survey) -> None:
    with pytest.raises(ValueError, match="does not shoot"):
        survey.sequence(62, 5210, start=START, last_point=1005, faults=[Fault("gap", 1030)])
    with pytest.raises(ValueError, match="timezone-aware"):
        survey.sequence(62, 5210, start=datetime(2021, 1, 1))


def test_deterministic(survey: Survey) -> None:
    again = Survey(num_lines=3, points_per_line=60, first_point=1000, azimuth_deg=60.0, seed=7)
    one = simulator.write_p111(survey.sequence(55, 5212, start=START))
    assert one == simulator.write_p111(again.sequence(55, 5212, start=START))
    other = Survey(num_lines=3, points_per_line=60, first_point=1000, azimuth_deg=60.0, seed=8)
    assert one != simulator.write_p111(other.sequence(55, 5212, start=START))


def test_survey_geometry(survey: Survey) -> None:
    first, last = survey.line_ends(5210)
    distance, azimuth = geodesy.grid_distance_azimuth(
        first.easting or 0, first.northing or 0, last.easting or 0, last.northing or 0
    )
    assert distance == pytest.approx(59 * 25.0) and azimuth == pytest.approx(60.0)
    a, b = survey.position(5210, 1000), survey.position(5212, 1000)
    assert geodesy.grid_distance_azimuth(*a, *b) == (pytest.approx(50.0), pytest.approx(150.0))
    assert survey.lines == [5210, 5212, 5214] and survey.num_points == 180


# --------------------------------------------------------------------------- dialects


def test_every_dialect_changes_the_file(truth: SequenceTruth, survey: Survey) -> None:
    plain = {
        "p111": simulator.write_p111(truth),
        "p190": simulator.write_p190(truth),
        "p111-preplot": simulator.write_p111_preplot(survey),
        "p190-preplot": simulator.write_p190_preplot(survey),
        "sps": simulator.write_sps_preplot(survey),
    }
    for kind, dialects in simulator.DIALECT_KINDS.items():
        for dialect in dialects:
            if dialect == "feet-grid":
                continue
            file = simulator.dialect_file(kind, dialect, truth=truth, survey=survey)
            assert file.text != plain[kind], (kind, dialect)


def test_dialect_traits(truth: SequenceTruth, survey: Survey) -> None:
    trinav = simulator.write_p111(truth, dialect="trinav")
    assert ",1,2,18.0,GPS," in trinav and ",2,1,0.0,UTC," in trinav and "\r\n" in trinav
    seapro = simulator.write_p111(truth, dialect="seapro")
    assert seapro.startswith("\ufeffOGP,") and "CC,1,0,0,CRS EPSG Code 32631\n" in seapro
    assert not any(line.endswith(",") for line in seapro.splitlines() if line.startswith("S1,"))
    spectra = simulator.write_p190(truth, dialect="spectra")
    assert {line[17] for line in spectra.splitlines() if line.startswith("S")} == {"A", "B"}
    assert "08 OCT 2021 - 10 OCT 2021" in spectra
    assert "H2600CRS EPSG Code 32631" in simulator.write_p190(truth, dialect="trinav")
    obn = simulator.write_sps_preplot(survey, dialect="obn")
    assert sum(line.startswith("R") for line in obn.splitlines()) == 10
    assert sum(line.startswith("X") for line in obn.splitlines()) == len(survey.lines)


def test_ed50_dialect_writes_ed50_numbers(truth: SequenceTruth) -> None:
    from pyproj import Geod

    file = simulator.dialect_file("p190", "ed50-p190", truth=truth)
    assert "H1500GEODETIC DATUM AS PLOTTED  ED50" in file.text
    wgs84, ed50 = truth.shots[0], file.shots[0]
    _, _, shift = Geod(ellps="WGS84").inv(wgs84.lon, wgs84.lat, ed50.lon, ed50.lat)
    assert 100 < shift < 130  # ED50 numbers are ~110 m from WGS 84 ones in the North Sea
    assert file.header["grid_epsg"] == 23031 and file.header["geographic_epsg"] == 4230


def test_feet_grid_needs_a_feet_survey(truth: SequenceTruth) -> None:
    with pytest.raises(ValueError, match="feet-grid dialect needs a survey in a feet CRS"):
        simulator.write_p111(truth, dialect="feet-grid")
    feet = simulator.feet_survey(num_lines=1, points_per_line=3)
    text = simulator.write_sps_preplot(feet, dialect="feet-grid")
    assert "H20 Map grid unit               US survey feet;" in text


def test_unknown_dialects_are_refused(truth: SequenceTruth, survey: Survey) -> None:
    with pytest.raises(ValueError, match="write_p111 writes no dialect 'ed50-p190'"):
        simulator.write_p111(truth, dialect="ed50-p190")
    with pytest.raises(ValueError, match="sps is not written in dialect 'spectra'"):
        simulator.dialect_file("sps", "spectra", survey=survey)
