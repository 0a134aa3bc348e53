"""Coordinate transforms between a project's grid CRS and WGS 84, in batches.

Navigation files give grid easting/northing (SPS, interpolated preplot points) or
both; Dougal stores WGS 84 geometry. Transforms run over whole arrays at once
(pyproj on numpy arrays: a million points in a fraction of a second) because a
Python loop over single points would dominate ingest time.

pyproj is imported inside the functions, not at module import: loading it and its
database costs a Lambda cold start that most requests (which never transform
anything) should not pay. Transformers are cached per (source, target) EPSG pair
for the life of the container. Axis order is always x/y (easting, northing and
longitude, latitude), whatever the CRS definition says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from pyproj import Transformer

__all__ = [
    "WGS84",
    "GeodesyError",
    "grid_distance_azimuth",
    "grid_to_wgs84",
    "transform",
    "wgs84_to_grid",
]

WGS84 = 4326


class GeodesyError(ValueError):
    """A CRS cannot be used (unknown EPSG code, no transformation, bad input)."""


@lru_cache(maxsize=32)
def _transformer(source: int, target: int) -> Transformer:
    import pyproj  # lazy on purpose: see the module docstring

    try:
        return pyproj.Transformer.from_crs(pyproj.CRS.from_epsg(source), pyproj.CRS.from_epsg(target), always_xy=True)
    except pyproj.exceptions.ProjError as exc:
        raise GeodesyError(f"cannot transform EPSG:{source} to EPSG:{target}: {exc}") from None


def transform(
    source: int, target: int, xs: Sequence[float] | Any, ys: Sequence[float] | Any
) -> tuple[list[float], list[float]]:
    """Transform x/y ordinates (easting/northing or lon/lat) from one EPSG CRS to another.

    Accepts lists, tuples or numpy arrays of equal length and returns two lists.
    Points outside the CRS's domain come back as ``inf``; callers that care check
    with ``math.isfinite``.
    """
    import numpy as np  # lazy like pyproj: keep both off the cold-start import path

    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise GeodesyError(f"need two flat sequences of equal length, got shapes {x.shape} and {y.shape}")
    if x.size == 0:
        return [], []
    if source == target:
        return x.tolist(), y.tolist()
    transformer = _transformer(source, target)
    if x.size == 1:
        # pyproj treats a one-element array as a scalar and numpy warns about that.
        one_x, one_y = transformer.transform(float(x[0]), float(y[0]))
        return [float(one_x)], [float(one_y)]
    out_x, out_y = transformer.transform(x, y)
    return np.asarray(out_x).tolist(), np.asarray(out_y).tolist()


def grid_to_wgs84(
    epsg: int, eastings: Sequence[float] | Any, northings: Sequence[float] | Any
) -> tuple[list[float], list[float]]:
    """Grid easting/northing in ``epsg`` → (longitudes, latitudes) in WGS 84 degrees."""
    return transform(epsg, WGS84, eastings, northings)


def wgs84_to_grid(
    epsg: int, lons: Sequence[float] | Any, lats: Sequence[float] | Any
) -> tuple[list[float], list[float]]:
    """WGS 84 longitudes/latitudes → (eastings, northings) in grid ``epsg``."""
    return transform(WGS84, epsg, lons, lats)


def grid_distance_azimuth(e0: float, n0: float, e1: float, n1: float) -> tuple[float, float]:
    """Grid distance (metres) and azimuth (degrees clockwise from grid north, [0, 360)).

    Plain plane geometry: QC compares shot spacing and line heading with the
    preplot, both in the same grid, where this is what "distance" means.
    """
    de = e1 - e0
    dn = n1 - n0
    azimuth = math.degrees(math.atan2(de, dn)) % 360.0
    if azimuth >= 360.0:  # -1e-17 % 360 rounds to 360.0
        azimuth = 0.0
    return math.hypot(de, dn), azimuth
