"""Datums, grid units, true headings and dog-leg lines, through the real import pipeline.

Files from ``tests/fixtures/dialects`` and the simulator's dialects are uploaded to
the local S3 and imported by the worker; the stored positions and figures are
compared with numbers computed here with pyproj, independently of the ingest.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dougal_sim import simulator as sim
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, api, files, run_qc, survey, upload

DIALECTS = Path(__file__).parents[1] / "fixtures" / "dialects"
START = datetime(2021, 10, 8, 9, 0, tzinfo=UTC)
US_FOOT = 1200 / 3937
# The written ED50 lat/lon of the fixtures' two shots (lon, lat).
ED50_SHOTS = [(2.5, 59.0), (2.5005, 59.0002)]


def fixture(name: str) -> str:
    return (DIALECTS / name).read_text(encoding="utf-8")


def stored_shots(sequence: int = 55) -> list[dict[str, Any]]:
    from chalicelib import db

    return (
        db.connection()
        .execute(
            "SELECT point, objref, lon, lat, easting, northing FROM shot WHERE sequence = %s ORDER BY tstamp, objref",
            (sequence,),
        )
        .fetchall()
    )


def stored_points(line: int) -> list[dict[str, Any]]:
    from chalicelib import db

    return (
        db.connection()
        .execute("SELECT point, lon, lat, easting, northing FROM preplot_point WHERE line = %s ORDER BY point", (line,))
        .fetchall()
    )


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    from pyproj import Geod

    return float(Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2])


def helmert(params: tuple[float, ...], points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """ED50 (International 1924) lon/lat → WGS 84 through seven position-vector parameters, by PROJ."""
    from pyproj import Transformer

    pipeline = (
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 "
        "+step +proj=cart +ellps=intl +step +proj=helmert "
        "+x={} +y={} +z={} +rx={} +ry={} +rz={} +s={} +convention=position_vector "
        "+step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 +step +proj=unitconvert +xy_in=rad +xy_out=deg"
    ).format(*params)
    transformer = Transformer.from_pipeline(pipeline)
    return [tuple(float(v) for v in transformer.transform(lon, lat)) for lon, lat in points]  # type: ignore[misc]


EPSG_1311 = (-89.5, -93.8, -123.1, 0.0, 0.0, -0.156, 1.2)  # ED50 to WGS 84 (18), position vector
SURVEY_PARAMS = (-84.5, -96.2, -118.6, 0.1, 0.2, -0.3, 0.8)  # p111_ed50_towgs84_only: a survey's own


def best_for_area(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """PROJ's own choice for ED50 → WGS 84 over the points' bounding box."""
    from pyproj import Transformer
    from pyproj.aoi import AreaOfInterest

    lons, lats = [p[0] for p in points], [p[1] for p in points]
    transformer = Transformer.from_crs(
        "EPSG:4230",
        "EPSG:4326",
        always_xy=True,
        area_of_interest=AreaOfInterest(min(lons), min(lats), max(lons), max(lats)),
    )
    return [tuple(float(v) for v in transformer.transform(lon, lat)) for lon, lat in points]  # type: ignore[misc]


def to_grid(epsg: int, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    return [tuple(float(v) for v in transformer.transform(lon, lat)) for lon, lat in points]  # type: ignore[misc]


# ------------------------------------------------------------------ datums of P1/11 shots


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("p111_ed50_position_vector.p111", EPSG_1311),
        ("p111_ed50_coordinate_frame.p111", EPSG_1311),
        ("p111_ed50_towgs84_only.p111", SURVEY_PARAMS),
        ("p111_ed50_operation_code.p111", EPSG_1311),  # EPSG:1311 by code only: PROJ's definition of it
    ],
)
def test_ed50_shots_go_to_wgs84_with_the_header_transformation(project, name, params):
    from chalicelib import aws

    upload(aws, "alpha/final/ed50.p111", fixture(name))
    assert [f["status"] for f in files()] == ["imported"], files()
    shots = stored_shots()
    assert len(shots) == (1 if "frame" in name else 2)
    expected = helmert(params, ED50_SHOTS[: len(shots)])
    for shot, want in zip(shots, expected, strict=True):
        assert distance_m((shot["lon"], shot["lat"]), want) < 0.1
    # The header's operation, not PROJ's own choice for the area (metres apart: the test can tell).
    assert distance_m(expected[0], best_for_area(ED50_SHOTS)[0]) > 0.5
    # The project grid (WGS 84 / UTM 31N) is computed from the WGS 84 position, not taken from ED50's grid.
    for shot, (e, n) in zip(shots, to_grid(32631, expected), strict=True):
        assert math.hypot(shot["easting"] - e, shot["northing"] - n) < 0.1


def test_ed50_shots_without_transformation_use_the_best_operation_for_their_area(project):
    from pyproj import Geod

    from chalicelib import aws

    upload(aws, "alpha/final/ed50.p111", fixture("p111_ed50_no_transformation.p111"))
    assert [f["status"] for f in files()] == ["imported"], files()
    expected = best_for_area(ED50_SHOTS)
    shots = stored_shots()
    for shot, want in zip(shots, expected, strict=True):
        assert distance_m((shot["lon"], shot["lat"]), want) < 0.1
    # ED50 at 59 N 2.5 E: the WGS 84 position is about 64 m south and 94 m west of the ED50 numbers.
    azimuth, _, shift = Geod(ellps="WGS84").inv(2.5, 59.0, shots[0]["lon"], shots[0]["lat"])
    assert shift * math.cos(math.radians(azimuth)) == pytest.approx(-64, abs=3)
    assert shift * math.sin(math.radians(azimuth)) == pytest.approx(-94, abs=3)


def best_in_whole_degrees(epsg: int, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """PROJ's best operation from ``epsg`` to WGS 84 for the whole degrees around the points, asserted to be
    available here (no grid missing), applied by pyproj."""
    from pyproj.aoi import AreaOfInterest
    from pyproj.transformer import TransformerGroup

    lons, lats = [p[0] for p in points], [p[1] for p in points]
    aoi = AreaOfInterest(math.floor(min(lons)), math.floor(min(lats)), math.ceil(max(lons)), math.ceil(max(lats)))
    group = TransformerGroup(f"EPSG:{epsg}", "EPSG:4326", always_xy=True, area_of_interest=aoi)
    assert group.best_available, [t.description for t in group.unavailable_operations]
    best = group.transformers[0]
    return [tuple(float(v) for v in best.transform(lon, lat)) for lon, lat in points]  # type: ignore[misc]


GULF_SHOTS = [(-91.5, 27.5), (-91.4995, 27.5002)]  # (lon, lat) as the NAD27 fixtures write them


@pytest.mark.parametrize(
    ("name", "epsg", "written", "grid"),
    [
        ("p111_nad27_no_transformation.p111", 4267, GULF_SHOTS, 32615),
        ("p190_nad27.p190", 4267, GULF_SHOTS, 32615),
        ("p111_etrs89.p111", 4258, ED50_SHOTS, 32631),
    ],
)
def test_nad27_and_etrs89_shots_without_transformation_are_transformed(aws, name, epsg, written, grid):
    """No transformation in the header: PROJ's best operation for the data's area (whole degrees around it).
    NAD27 in the Gulf of Mexico (offshore, 27-28 N 91-92 W): its best operation needs no grid; ETRS89 in the
    North Sea: EPSG's ETRS89 to WGS 84 (1), a null transformation."""
    from chalicelib import aws as clients

    make_project("gulf", configuration={**CONFIGURATION, "grid": {"epsg": grid}})
    upload(clients, f"gulf/final/1052101055S00000.{name.rsplit('.', 1)[1]}", fixture(name))
    assert [f["status"] for f in files("gulf")] == ["imported"], files("gulf")
    expected = best_in_whole_degrees(epsg, written)
    shots = stored_shots()
    assert len(shots) == 2
    for shot, want in zip(shots, expected, strict=True):
        assert distance_m((shot["lon"], shot["lat"]), want) < 0.1
    for shot, (e, n) in zip(shots, to_grid(grid, expected), strict=True):
        assert math.hypot(shot["easting"] - e, shot["northing"] - n) < 0.1
    moved = distance_m(written[0], (shots[0]["lon"], shots[0]["lat"]))
    if epsg == 4267:
        assert moved > 10  # NAD27 is tens of metres off WGS 84 here: the positions were transformed
    else:
        assert moved < 0.01  # ETRS89 to WGS 84 (1) is null: written and stored agree


def test_nad27_where_the_best_operation_needs_a_missing_grid_says_which_it_used(aws):
    """Onshore Texas PROJ's best NAD27 operation needs NOAA's NADCON5 grid, not installed: the first available
    operation of PROJ's list is used, and the file's message says so."""
    import warnings

    from pyproj.aoi import AreaOfInterest
    from pyproj.transformer import TransformerGroup

    from chalicelib import aws as clients

    make_project("gulf", configuration={**CONFIGURATION, "grid": {"epsg": 32615}})
    upload(clients, "gulf/final/1052101055S00000.p111", fixture("p111_nad27_onshore.p111"))
    [row] = files("gulf")
    assert row["status"] == "imported", row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        group = TransformerGroup(
            "EPSG:4267", "EPSG:4326", always_xy=True, area_of_interest=AreaOfInterest(-96, 29, -95, 30)
        )
    assert not group.best_available
    written = [(-95.5, 29.5), (-95.4995, 29.5002)]
    expected = [tuple(float(v) for v in group.transformers[0].transform(lon, lat)) for lon, lat in written]
    for shot, want in zip(stored_shots(), expected, strict=True):
        assert distance_m((shot["lon"], shot["lat"]), want) < 0.1
    message = row["message"]
    assert message.startswith("warning: PROJ's best operation from EPSG:4267 to WGS 84 here")
    used = group.transformers[0]
    name = next(step for step in used.description.split(" + ") if step.startswith("NAD27 to WGS 84"))
    assert "us_noaa_conus.tif" in message and f"{name} was used, accuracy {used.accuracy:g} m" in message


def test_a_wgs84_realisation_is_stored_unchanged(project):
    from chalicelib import aws

    upload(aws, "alpha/final/g2139.p111", fixture("p111_wgs84_g2139.p111"))
    assert [f["status"] for f in files()] == ["imported"], files()
    [shot] = stored_shots()
    assert (shot["lon"], shot["lat"]) == (pytest.approx(2.5, abs=1e-9), pytest.approx(59.0, abs=1e-9))
    assert (shot["easting"], shot["northing"]) == (pytest.approx(471274.02), pytest.approx(6540159.46))


def test_a_header_operation_that_cannot_be_applied_rejects_the_file(project, aws):
    # NAD27 to WGS 84 (79) needs NOAA's NADCON5 grid, which is not installed: nothing is guessed.
    make_project("gulf", configuration={**CONFIGURATION, "grid": {"epsg": 32040}})
    upload(aws, "gulf/final/nad27.p111", fixture("p111_nad27_us_feet.p111"))
    [row] = files("gulf")
    assert row["status"] == "rejected"
    assert "EPSG:15851" in row["message"] and "nothing imported" in row["message"]
    assert stored_shots() == []


# ------------------------------------------------------------------ P1/90 on ED50


def test_ed50_p190_preplot_has_no_step_between_given_and_filled_in_points(project):
    from chalicelib import aws

    srv = survey(num_lines=2)
    upload(aws, "alpha/preplot/ed50.p190", sim.write_p190_preplot(srv, dialect="ed50-p190"))
    assert [f["status"] for f in files()] == ["imported"], files()
    for line in srv.lines:
        points = stored_points(line)
        truth = srv.preplot_line(line)
        assert [p["point"] for p in points] == [t.point for t in truth]
        # Every point where the survey put it in WGS 84: the ends (from ED50 lat/lon, 0.01" in the file) and
        # the points filled in between them (from the ED50 grid) alike.
        worst = max(distance_m((p["lon"], p["lat"]), (t.lon, t.lat)) for p, t in zip(points, truth, strict=True))
        assert worst < 0.5
        steps = [
            math.hypot(b["easting"] - a["easting"], b["northing"] - a["northing"])
            for a, b in itertools.pairwise(points)
        ]
        assert min(steps) > 24.5 and max(steps) < 25.5  # 25 m apart all along: no step at the ends


def test_ed50_p190_shots_are_stored_on_wgs84(project):
    from chalicelib import aws

    srv = survey(num_lines=2)
    truth = srv.sequence(55, 5210, start=START)
    upload(aws, f"alpha/final/{truth.line_name}.p190", sim.write_p190(truth, dialect="ed50-p190"))
    assert [f["status"] for f in files()] == ["imported"], files()
    want = {(s.point, s.objref): (s.lon, s.lat) for s in truth.shots}
    shots = stored_shots()
    assert len(shots) == len(want)
    assert max(distance_m((s["lon"], s["lat"]), want[(s["point"], s["objref"])]) for s in shots) < 0.5


def test_ed50_grid_only_shots_go_through_the_header_shifts(project):
    # P1/90 with the ED50 / UTM 31N grid only: ED50 lat/lon from the grid, then the H1600 shifts.
    from pyproj import Transformer

    from chalicelib import aws

    upload(aws, "alpha/final/1052101055S00000.p190", fixture("p190_ed50_grid_only.p190"))
    assert [f["status"] for f in files()] == ["imported"], files()
    grid = [(471272.6, 6540310.2), (471301.5, 6540332.3)]
    to_ed50 = Transformer.from_crs("EPSG:23031", "EPSG:4230", always_xy=True)
    expected = helmert(EPSG_1311, [tuple(float(v) for v in to_ed50.transform(e, n)) for e, n in grid])
    shots = stored_shots()
    assert len(shots) == 2
    for shot, want in zip(shots, expected, strict=True):
        assert distance_m((shot["lon"], shot["lat"]), want) < 0.1
    for shot, (e, n) in zip(shots, to_grid(32631, expected), strict=True):
        assert math.hypot(shot["easting"] - e, shot["northing"] - n) < 0.1


def test_ed50_p111_preplot_segment_ends_and_filled_in_points_agree(client, project):
    # N1 segment ends give ED50 lat/lon and grid; the points between them only the ED50 / UTM 31N grid.
    from pyproj import Transformer

    from chalicelib import aws

    upload(aws, "alpha/preplot/ed50.p111", fixture("p111_ed50_preplot.p111"))
    assert [f["status"] for f in files()] == ["imported"], files()
    points = stored_points(5210)
    assert [p["point"] for p in points] == list(range(1000, 1013))
    grid = [(471000.0, 6540000.0 + 25.0 * k) for k in range(9)] + [
        (471000.0 + 25.0 * k, 6540200.0) for k in (1, 2, 3, 4)
    ]
    to_ed50 = Transformer.from_crs("EPSG:23031", "EPSG:4230", always_xy=True)
    expected = helmert(EPSG_1311, [tuple(float(v) for v in to_ed50.transform(e, n)) for e, n in grid])
    assert max(distance_m((p["lon"], p["lat"]), w) for p, w in zip(points, expected, strict=True)) < 0.1
    steps = [
        math.hypot(b["easting"] - a["easting"], b["northing"] - a["northing"]) for a, b in itertools.pairwise(points)
    ]
    assert max(abs(step - 25.0) for step in steps) < 0.01
    [line] = api(client, "/project/alpha/line")[1]
    assert line["length"] == pytest.approx(300.0, abs=0.05)


# ------------------------------------------------------------------ grid units


def test_a_grid_in_us_survey_feet_gives_metres(client, aws):
    make_project("gulf", configuration={**CONFIGURATION, "grid": {"epsg": 32040}})
    srv = sim.feet_survey(num_lines=2, points_per_line=120)
    upload(aws, "gulf/preplot/gulf.sps", sim.write_sps_preplot(srv, dialect="feet-grid"))
    truth = srv.sequence(55, 5210, start=START)
    upload(aws, "gulf/final/seq055.p111", sim.write_p111(truth, dialect="feet-grid"))
    assert [f["status"] for f in files("gulf")] == ["imported", "imported"], files("gulf")

    status, summary = api(client, "/project/gulf")
    assert status == 200 and summary["grid_unit"] == "US survey foot"
    status, lines = api(client, "/project/gulf/line")
    assert status == 200
    line = next(row for row in lines if row["line"] == 5210)
    assert line["length"] == pytest.approx(119 * 82.0 * US_FOOT, abs=0.05)  # 2,974.2 m, not 9,758 "m"
    shots = sorted(truth.shots, key=lambda s: (s.tstamp, s.objref))
    feet = math.hypot(shots[-1].easting - shots[0].easting, shots[-1].northing - shots[0].northing)
    status, sequence = api(client, "/project/gulf/sequence/55")
    assert status == 200
    assert sequence["length"] == pytest.approx(feet * US_FOOT, abs=0.05)
    assert summary["prod_distance"] == pytest.approx(feet * US_FOOT, abs=0.05)

    # 82 ft every 10 s is 4.86 kn: within the speed limits (3.5-5.5 kn), which stay in knots and metres.
    run_qc()
    from chalicelib import db

    tests = [r["test"] for r in db.connection().execute("SELECT meta -> 'qc' ->> 'test' AS test FROM event")]
    assert "speed" not in tests and "position_error" not in tests


def test_the_summary_reports_the_configured_grid_unit(client, project):
    def put(configuration):
        return client.put(
            "/project/alpha/configuration",
            body=json.dumps(configuration),
            headers={**as_role("master"), "Content-Type": "application/json"},
        )

    assert api(client, "/project/alpha")[1]["grid_unit"] == "metre"
    assert put({**CONFIGURATION, "grid": {"epsg": 2278}}).status_code == 204  # NAD83 / Texas South Central (ftUS)
    assert api(client, "/project/alpha")[1]["grid_unit"] == "US survey foot"
    response = put({**CONFIGURATION, "grid": {"epsg": 4326}})
    assert response.status_code == 400
    assert "configuration.grid.epsg" in json.loads(response.body)["message"]
    assert api(client, "/project/alpha")[1]["grid_unit"] == "US survey foot"


# ------------------------------------------------------------------ true heading


def test_seis_heading_is_geodetic_far_from_the_central_meridian(client, project):
    from pyproj import Geod, Proj

    from chalicelib import aws

    srv = survey(num_lines=2, origin=(680000.0, 6560000.0))  # 180 km east of UTM 31N's central meridian
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, start=START)
    upload(aws, "alpha/final/s.p111", sim.write_p111(truth))
    assert [f["status"] for f in files()] == ["imported", "imported"], files()
    status, document = api(client, "/project/alpha/sequence/55", Accept="application/vnd.seis+json")
    assert status == 200
    heading = document["Sequences"][0]["Entries"][0]["Heading"]
    grid = api(client, "/project/alpha/sequence/55")[1]["azimuth"]
    shots = sorted(truth.shots, key=lambda s: (s.tstamp, s.objref))
    first, last = shots[0], shots[-1]
    geodesic = Geod(ellps="WGS84").inv(first.lon, first.lat, last.lon, last.lat)[0] % 360
    assert heading == pytest.approx(geodesic, abs=1e-5)  # lat/lon written to 1e-9 degrees
    convergence = Proj("EPSG:32631").get_factors(first.lon, first.lat).meridian_convergence
    assert convergence > 2.5
    assert heading - grid == pytest.approx(convergence, abs=0.01)


# ------------------------------------------------------------------ dog-leg lines


def _dogleg_shots(positions: list[tuple[int, float, float]]) -> str:
    """A P1/11 final of sequence 55 on line 5210 (WGS 84 / UTM 31N), one shot every 10 s."""
    header = [line for line in fixture("p111_wgs84_g2139.p111").splitlines() if not line.startswith("S1,")]
    lonlat = [(e, n) for _, e, n in positions]
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)
    records = []
    for k, ((point, e, n), (x, y)) in enumerate(zip(positions, lonlat, strict=True)):
        lon, lat = to_wgs84.transform(x, y)
        records.append(
            f"S1,0,1052101055S00000,5210,{point},{point},1,{1317724695 + 10 * k}.000,2,G1,1,,"
            f"{e:.2f},{n:.2f},,{lat:.9f},{lon:.9f},,,,,1.20,0.90,45.0,,,"
        )
    return "\n".join([*header, *records]) + "\n"


def test_dogleg_line_length_and_qc_along_the_shot_segment(client, aws):
    qc = {"position_error": {"max_inline": 10.0, "max_crossline": 3.0, "max_radial": 20.0}}
    make_project("alpha", configuration={**CONFIGURATION, "qc": qc})
    upload(aws, "alpha/preplot/dogleg.p111", fixture("p111_dogleg.p111"))
    # Three segments: 100 m north (1000-1004), 100 m east (1004-1008), 50 m north-east (1008-1010).
    status, lines = api(client, "/project/alpha/line")
    assert status == 200
    [line] = lines
    assert line["length"] == pytest.approx(250.0, abs=0.01)  # not the 191.4 m from the first to the last point
    # On the east-going second segment: 1005 on its point, 1006 8 m further along the segment (inline),
    # 1007 5 m north of its point (crossline). The line's first-to-last azimuth (45°) would call both
    # partly crossline.
    upload(
        aws,
        "alpha/final/dogleg.p111",
        _dogleg_shots([(1005, 470025.0, 6560100.0), (1006, 470058.0, 6560100.0), (1007, 470075.0, 6560105.0)]),
    )
    assert [f["status"] for f in files()] == ["imported", "imported"], files()
    run_qc()
    from chalicelib import db

    findings = (
        db.connection()
        .execute(
            "SELECT point, meta -> 'qc' AS qc FROM event "
            "WHERE meta -> 'qc' ->> 'test' = 'position_error' ORDER BY point"
        )
        .fetchall()
    )
    assert [f["point"] for f in findings] == [1007]
    assert findings[0]["qc"]["value"] == pytest.approx(5.0, abs=0.01)
    assert "inline +0.0, crossline -5.0" in findings[0]["qc"]["message"]


def test_a_grid_unit_without_a_crs_must_match_the_project_grid(aws):
    # The file gives its grid only as "American feet, factor 0.3048006 to metre", no CRS: its coordinates are
    # taken as the project grid's only when that grid is in US survey feet.
    make_project("gulf", configuration={**CONFIGURATION, "grid": {"epsg": 32040}})
    make_project("north", configuration=CONFIGURATION)
    upload(aws, "gulf/preplot/feet.sps", fixture("sps1_factor_to_metre.sps"))
    upload(aws, "north/preplot/feet.sps", fixture("sps1_factor_to_metre.sps"))
    assert [f["status"] for f in files("gulf")] == ["imported"], files("gulf")
    [rejected] = files("north")
    assert rejected["status"] == "rejected"
    assert "US survey foot" in rejected["message"] and "EPSG:32631" in rejected["message"]
    assert "metre" in rejected["message"]


def test_projects_configured_before_get_their_grid_unit_from_the_migration(client):
    from chalicelib import db
    from chalicelib.db.migrate import MIGRATIONS_DIR

    make_project("gulf", configuration={**CONFIGURATION, "grid": {"epsg": 2278}})
    make_project("north", configuration=CONFIGURATION)
    db.connection().execute((MIGRATIONS_DIR / "0016_grid_units_of_existing_projects.sql").read_text())
    assert api(client, "/project/gulf")[1]["grid_unit"] == "US survey foot"
    assert api(client, "/project/north")[1]["grid_unit"] == "metre"
    row = db.connection().execute("SELECT grid_unit_metres FROM project WHERE pid = 'gulf'").fetchone()
    assert row["grid_unit_metres"] == pytest.approx(1200 / 3937, rel=1e-12)


def test_a_project_without_grid_keeps_the_unit_of_the_files_grid(client, aws):
    configuration = {k: v for k, v in CONFIGURATION.items() if k != "grid"}
    make_project("gulf", configuration=configuration)
    srv = sim.feet_survey(num_lines=2, points_per_line=120)
    upload(aws, "gulf/preplot/gulf.sps", sim.write_sps_preplot(srv, dialect="feet-grid"))
    assert [f["status"] for f in files("gulf")] == ["imported"], files("gulf")
    assert api(client, "/project/gulf")[1]["grid_unit"] == "US survey foot"
    line = next(row for row in api(client, "/project/gulf/line")[1] if row["line"] == 5210)
    assert line["length"] == pytest.approx(119 * 82.0 * US_FOOT, abs=0.05)
