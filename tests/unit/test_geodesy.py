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
