"""Batch grid <-> WGS 84 transforms and grid distance/azimuth."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chalicelib import geodesy

ROOT = Path(__file__).resolve().parents[2]


def test_a_point_from_a_real_post_plot() -> None:
    # A TRINAV record gives both tuples for one shot: WGS 84 / UTM 21N and WGS 84 lat/lon.
    lons, lats = geodesy.grid_to_wgs84(32621, [509104.45], [923988.68])
    assert lons[0] == pytest.approx(-56.91730798, abs=2e-7)  # 2e-7 degrees is about 2 cm
    assert lats[0] == pytest.approx(8.35901377, abs=2e-7)
    eastings, northings = geodesy.wgs84_to_grid(32621, [-56.91730798], [8.35901377])
    assert (eastings[0], northings[0]) == (
        pytest.approx(509104.45, abs=0.02),
        pytest.approx(923988.68, abs=0.02),
    )


def test_utm_false_origin() -> None:
    lons, lats = geodesy.grid_to_wgs84(32631, [500000.0], [0.0])  # central meridian 3 E on the equator
    assert (lons[0], lats[0]) == (pytest.approx(3.0, abs=1e-12), pytest.approx(0.0, abs=1e-12))


def test_round_trip_in_batches() -> None:
    rng = np.random.default_rng(1)
    eastings = rng.uniform(400_000, 600_000, 10_000)
    northings = rng.uniform(6_400_000, 6_700_000, 10_000)
    lons, lats = geodesy.grid_to_wgs84(32631, eastings, northings)
    back_e, back_n = geodesy.wgs84_to_grid(32631, lons, lats)
    assert isinstance(lons, list) and len(lons) == 10_000
    assert np.max(np.abs(np.asarray(back_e) - eastings)) < 1e-6
    assert np.max(np.abs(np.asarray(back_n) - northings)) < 1e-6


def test_accepts_lists_tuples_and_empty_input() -> None:
    assert geodesy.grid_to_wgs84(32631, (500000.0,), (0.0,))[0] == pytest.approx([3.0])
    assert geodesy.grid_to_wgs84(32631, [], []) == ([], [])
    assert geodesy.transform(4326, 4326, [1.5], [2.5]) == ([1.5], [2.5])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: geodesy.grid_to_wgs84(999999, [1.0], [2.0]), "EPSG:999999 is not a CRS PROJ knows"),
        (lambda: geodesy.grid_to_wgs84(32631, [1.0, 2.0], [2.0]), "equal length"),
    ],
)
def test_rejects(call: object, message: str) -> None:
    with pytest.raises(geodesy.GeodesyError, match=message):
        call()  # type: ignore[operator]


def test_transformer_is_built_once_per_pair() -> None:
    assert geodesy._transformer(32631, 4326) is geodesy._transformer(32631, 4326)
    assert geodesy._transformer(32631, 4326) is not geodesy._transformer(4326, 32631)


def test_importing_does_not_load_pyproj() -> None:
    # Cold starts of requests that never transform anything must not pay for pyproj.
    code = "import sys, chalicelib.geodesy; print('pyproj' in sys.modules, 'numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("end", "distance", "azimuth"),
    [
        ((0.0, 10.0), 10.0, 0.0),
        ((10.0, 0.0), 10.0, 90.0),
        ((0.0, -10.0), 10.0, 180.0),
        ((-10.0, 0.0), 10.0, 270.0),
        ((3.0, 4.0), 5.0, 36.86989764584402),
        ((-1.0, 1.0), 2**0.5, 315.0),
        ((0.0, 0.0), 0.0, 0.0),
    ],
)
def test_grid_distance_azimuth(end: tuple[float, float], distance: float, azimuth: float) -> None:
    d, a = geodesy.grid_distance_azimuth(470000.0, 6560000.0, 470000.0 + end[0], 6560000.0 + end[1])
    assert (d, a) == (pytest.approx(distance), pytest.approx(azimuth))
    assert 0.0 <= a < 360.0


# ------------------------------------------------------------------ datums, units, true azimuths


ED50_18 = (-89.5, -93.8, -123.1, 0.0, 0.0, -0.156, 1.2)  # EPSG:1311's parameters, position vector


def _helmert_expected(lon: float, lat: float) -> tuple[float, float]:
    from pyproj import CRS, Transformer

    params = ",".join(str(v) for v in ED50_18)
    source = CRS.from_proj4(f"+proj=longlat +ellps=intl +towgs84={params} +no_defs +type=crs")
    x, y = Transformer.from_crs(source, "EPSG:4326", always_xy=True).transform(lon, lat)
    return float(x), float(y)


@pytest.mark.parametrize(
    "datum",
    [geodesy.Datum(4230, operation=1311), geodesy.Datum(4230, towgs84=ED50_18), geodesy.Datum(4230, 1311, ED50_18)],
)
def test_ed50_to_wgs84_by_the_header_transformation(datum: geodesy.Datum) -> None:
    lons, lats = geodesy.to_wgs84(datum, [2.5, 2.6], [59.0, 59.1])
    for lon, lat, given in zip(lons, lats, [(2.5, 59.0), (2.6, 59.1)], strict=True):
        want = _helmert_expected(*given)
        assert (lon, lat) == (pytest.approx(want[0], abs=1e-8), pytest.approx(want[1], abs=1e-8))
    back = geodesy.from_wgs84(datum, lons, lats)
    assert np.max(np.abs(np.asarray(back[0]) - [2.5, 2.6])) < 1e-8


def test_an_operation_defined_from_wgs84_is_applied_backwards() -> None:
    # EPSG:9690 is "WGS 84 to GDA2020 (3)": a GDA2020 file naming it goes to WGS 84 by its inverse.
    from pyproj import Transformer

    lons, lats = geodesy.to_wgs84(geodesy.Datum(7844, operation=9690), [115.0, 116.0], [-32.0, -31.0])
    again = Transformer.from_pipeline("EPSG:9690")  # WGS 84 → GDA2020, lat/lon in EPSG order
    lat, lon = again.transform(lats, lons)
    assert np.max(np.abs(np.asarray(lon) - [115.0, 116.0])) < 1e-9
    assert np.max(np.abs(np.asarray(lat) - [-32.0, -31.0])) < 1e-9
    assert abs(lons[0] - 115.0) > 1e-7  # it moved (a metre or so)


def test_an_operation_between_other_datums_is_refused() -> None:
    # EPSG:1173 is NAD27 to WGS 84 (4): not an operation for ED50 lat/lon.
    with pytest.raises(geodesy.GeodesyError, match="does not go from EPSG:4230 to WGS 84"):
        geodesy.to_wgs84(geodesy.Datum(4230, operation=1173), [2.5], [59.0])


@pytest.mark.parametrize("epsg", [4326, 9057, 9755, 10606, 4979, 32631, 32621])
def test_realisations_of_wgs84_are_taken_as_4326(epsg: int) -> None:
    assert geodesy.on_wgs84(epsg)
    lons, lats = geodesy.to_wgs84(geodesy.Datum(epsg), [2.5], [59.0])
    assert (lons[0], lats[0]) == (2.5, 59.0)


@pytest.mark.parametrize("epsg", [4230, 4267, 4258, 23031, 32040])
def test_other_datums_are_not_wgs84(epsg: int) -> None:
    assert not geodesy.on_wgs84(epsg)


def test_a_grid_on_the_file_datum_goes_through_the_same_operation() -> None:
    # ED50 / UTM 31N grid → ED50 lat/lon (projection) → WGS 84 by the file's parameters.
    from pyproj import Transformer

    datum = geodesy.Datum(4230, towgs84=ED50_18)
    e, n = Transformer.from_crs("EPSG:4230", "EPSG:23031", always_xy=True).transform(2.5, 59.0)
    lons, lats = geodesy.grid_to_wgs84(23031, [e], [n], datum)
    want = _helmert_expected(2.5, 59.0)
    assert (lons[0], lats[0]) == (pytest.approx(want[0], abs=1e-8), pytest.approx(want[1], abs=1e-8))
    back_e, back_n = geodesy.wgs84_to_grid(23031, lons, lats, datum)
    assert (back_e[0], back_n[0]) == (pytest.approx(e, abs=0.005), pytest.approx(n, abs=0.005))


@pytest.mark.parametrize(
    ("epsg", "unit", "metres"),
    [(32631, "metre", 1.0), (2278, "US survey foot", 1200 / 3937), (32040, "US survey foot", 1200 / 3937)],
)
def test_grid_unit(epsg: int, unit: str, metres: float) -> None:
    assert geodesy.grid_unit(epsg) == (unit, pytest.approx(metres, rel=1e-12))


def test_a_geographic_crs_is_not_a_grid() -> None:
    with pytest.raises(geodesy.GeodesyError, match="not a projected CRS"):
        geodesy.grid_unit(4326)
