"""Coordinate transforms between grids, a file's geographic CRS and WGS 84, in batches.

Navigation files give grid easting/northing (SPS, interpolated preplot points),
lat/lon on the file's own geographic CRS (ED50, NAD27, ETRS89, WGS 84…) or both;
Dougal stores WGS 84 geometry and the project grid. Transforms run over whole
arrays at once (pyproj on numpy arrays: a million points in a fraction of a
second) because a Python loop over single points would dominate ingest time.

A file's lat/lon reach WGS 84 through its ``Datum``: the transformation the
header gives (an EPSG operation code, else seven ``+towgs84`` parameters), else
the best operation PROJ has for the data's area. Realisations of WGS 84 (G1762,
G2139, G2296…, and the ensemble EPSG:4326) are taken as EPSG:4326: they differ by
centimetres. Grid coordinates go through the grid's own geographic CRS, and so
through the same datum operation when that is the file's datum: the grid and the
lat/lon of a file land on the same WGS 84 point.

pyproj is imported inside the functions, not at module import: loading it and its
database costs a Lambda cold start that most requests (which never transform
anything) should not pay. Transformers are cached for the life of the container.
Axis order is always x/y (easting, northing and longitude, latitude), whatever
the CRS definition says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from pyproj import CRS, Transformer

__all__ = [
    "WGS84",
    "Datum",
    "GeodesyError",
    "from_wgs84",
    "grid_distance_azimuth",
    "grid_to_wgs84",
    "grid_to_wgs84_arrays",
    "grid_unit",
    "on_wgs84",
    "to_wgs84",
    "transform",
    "wgs84_to_grid",
    "wgs84_to_grid_arrays",
]

WGS84 = 4326
WGS84_DATUM = "World Geodetic System 1984"  # the ensemble and every realisation (G730 … G2296) start so

Area = tuple[int, int, int, int]
"""An area of interest in whole degrees (west, south, east, north): the key transformers are cached by."""


class GeodesyError(ValueError):
    """A CRS cannot be used (unknown EPSG code, no transformation, bad input)."""


@dataclass(frozen=True, slots=True)
class Datum:
    """How a file's lat/lon reach WGS 84: its geographic CRS and the transformation its header gives.

    ``epsg`` None means WGS 84. ``towgs84`` is seven position-vector Helmert parameters (PROJ's
    ``+towgs84``): when the header gives them they are used, being what the file's writer applied;
    else ``operation``, an EPSG coordinate operation code; with neither, PROJ's best operation for
    the data's area.
    """

    epsg: int | None = None
    operation: int | None = None
    towgs84: tuple[float, ...] | None = None

    @property
    def is_wgs84(self) -> bool:
        return on_wgs84(self.epsg)


@lru_cache(maxsize=64)
def _crs(epsg: int) -> CRS:
    import pyproj  # lazy on purpose: see the module docstring

    try:
        return pyproj.CRS.from_epsg(epsg)
    except pyproj.exceptions.CRSError as exc:
        raise GeodesyError(f"EPSG:{epsg} is not a CRS PROJ knows: {exc}") from None


def _horizontal(crs: CRS) -> CRS:
    return crs.sub_crs_list[0] if crs.is_compound and crs.sub_crs_list else crs


def _datum_name(epsg: int) -> str:
    geodetic = _horizontal(_crs(epsg)).geodetic_crs
    datum = geodetic.datum if geodetic is not None else None
    return datum.name if datum is not None else ""


@lru_cache(maxsize=64)
def on_wgs84(epsg: int | None) -> bool:
    """True when a CRS (geographic, projected or compound) is on WGS 84: the ensemble or any realisation."""
    if epsg is None or epsg == WGS84:
        return True
    return _datum_name(epsg).startswith(WGS84_DATUM)


@lru_cache(maxsize=64)
def _geodetic_epsg(epsg: int) -> int | None:
    """The EPSG code of a grid's geographic CRS (ED50 4230 for ED50 / UTM 31N), None when it has none."""
    geodetic = _horizontal(_crs(epsg)).geodetic_crs
    return geodetic.to_epsg() if geodetic is not None else None


def _same_datum(a: int | None, b: int | None) -> bool:
    if a is None or b is None:
        return on_wgs84(a) and on_wgs84(b)
    return a == b or _datum_name(a) == _datum_name(b)


@lru_cache(maxsize=32)
def grid_unit(epsg: int) -> tuple[str, float]:
    """The unit of a projected CRS's axes and metres per unit: ('metre', 1.0), ('US survey foot', 0.3048006…)."""
    crs = _horizontal(_crs(epsg))
    axis = crs.axis_info[0] if crs.axis_info else None
    if not crs.is_projected or axis is None or not axis.unit_conversion_factor:
        raise GeodesyError(f"EPSG:{epsg} is not a projected CRS: it cannot be a grid")
    return axis.unit_name or "metre", float(axis.unit_conversion_factor)


@lru_cache(maxsize=32)
def _transformer(source: int, target: int) -> Transformer:
    import pyproj  # lazy on purpose: see the module docstring

    try:
        return pyproj.Transformer.from_crs(pyproj.CRS.from_epsg(source), pyproj.CRS.from_epsg(target), always_xy=True)
    except pyproj.exceptions.ProjError as exc:
        raise GeodesyError(f"cannot transform EPSG:{source} to EPSG:{target}: {exc}") from None


@lru_cache(maxsize=32)
def _projection(epsg: int) -> Transformer:
    """Grid → its own geographic CRS (lon/lat): the projection alone, no datum change."""
    import pyproj

    crs = _horizontal(_crs(epsg))
    if crs.geodetic_crs is None:
        raise GeodesyError(f"EPSG:{epsg} has no geographic CRS")
    try:
        return pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    except pyproj.exceptions.ProjError as exc:
        raise GeodesyError(f"cannot use the grid EPSG:{epsg}: {exc}") from None


class _Shift:
    """One datum operation, lon/lat in and out, applied forwards (to WGS 84) or backwards."""

    def __init__(
        self,
        transformer: Transformer | None,
        *,
        inverse: bool = False,
        lat_first: bool = False,
        note: str | None = None,
    ) -> None:
        self.transformer = transformer
        self.inverse = inverse
        self.lat_first = lat_first
        self.note = note
        """What a user should know about the operation chosen (PROJ's best needed a grid not installed)."""

    def apply(self, x: Any, y: Any, *, to_wgs84: bool) -> tuple[Any, Any]:
        if self.transformer is None:
            return x, y
        direction = "INVERSE" if self.inverse == to_wgs84 else "FORWARD"
        if self.lat_first:
            out_y, out_x = self.transformer.transform(y, x, direction=direction)
        else:
            out_x, out_y = self.transformer.transform(x, y, direction=direction)
        return out_x, out_y


def _lat_first(crs: CRS | None) -> bool:
    return crs is not None and bool(crs.axis_info) and crs.axis_info[0].direction in ("north", "south")


def _from_operation(datum: Datum) -> _Shift:
    import pyproj

    code = datum.operation
    try:
        transformer = pyproj.Transformer.from_pipeline(f"EPSG:{code}")
    except pyproj.exceptions.ProjError as exc:
        raise GeodesyError(
            f"the header's transformation EPSG:{code} cannot be applied here ({exc}); nothing imported"
        ) from None
    source, target = transformer.source_crs, transformer.target_crs
    source_code = source.to_epsg() if source is not None else None
    target_code = target.to_epsg() if target is not None else None
    if _same_datum(source_code, datum.epsg) and on_wgs84(target_code):
        return _Shift(transformer, inverse=False, lat_first=_lat_first(source))
    if _same_datum(target_code, datum.epsg) and on_wgs84(source_code):
        return _Shift(transformer, inverse=True, lat_first=_lat_first(target))
    raise GeodesyError(
        f"the header's transformation EPSG:{code} ({transformer.description}) does not go from "
        f"EPSG:{datum.epsg} to WGS 84; nothing imported"
    )


def _from_towgs84(datum: Datum) -> _Shift:
    import pyproj

    if datum.epsg is None:
        raise GeodesyError("the header gives datum shifts but not the datum they apply to; nothing imported")
    ellipsoid = _crs(datum.epsg).ellipsoid
    if ellipsoid is None or datum.towgs84 is None:
        raise GeodesyError(f"EPSG:{datum.epsg} has no ellipsoid for the header's datum shifts")
    params = ",".join(repr(float(v)) for v in datum.towgs84)
    source = pyproj.CRS.from_proj4(
        f"+proj=longlat +a={ellipsoid.semi_major_metre!r} +rf={ellipsoid.inverse_flattening!r} "
        f"+towgs84={params} +no_defs +type=crs"
    )
    return _Shift(pyproj.Transformer.from_crs(source, pyproj.CRS.from_epsg(WGS84), always_xy=True))


def _best(epsg: int, area: Area | None) -> _Shift:
    """PROJ's best available operation for the area, one for the whole area (no step inside a file)."""
    import warnings

    import pyproj
    from pyproj.transformer import AreaOfInterest, TransformerGroup

    aoi = AreaOfInterest(*area) if area is not None else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "best transformation is not available" (a grid not installed)
            group = TransformerGroup(_crs(epsg), pyproj.CRS.from_epsg(WGS84), always_xy=True, area_of_interest=aoi)
    except pyproj.exceptions.ProjError as exc:
        raise GeodesyError(f"cannot transform EPSG:{epsg} to WGS 84: {exc}") from None
    if not group.transformers:
        raise GeodesyError(f"PROJ has no available transformation from EPSG:{epsg} to WGS 84 here")
    chosen = group.transformers[0]
    note = None
    if not group.best_available and group.unavailable_operations:
        better = group.unavailable_operations[0]
        grids = ", ".join(g.short_name for g in better.grids if not g.available) or "a grid"
        accuracy = f", accuracy {chosen.accuracy:g} m" if chosen.accuracy is not None and chosen.accuracy >= 0 else ""
        note = (
            f"PROJ's best operation from EPSG:{epsg} to WGS 84 here, {better.name}, needs {grids}, which is not "
            f"installed: {_operation_name(chosen)} was used{accuracy}"
        )
    return _Shift(chosen, note=note)


def _operation_name(transformer: Transformer) -> str:
    """The datum operation of a transformer, without the axis swaps PROJ wraps it in."""
    steps = [s for s in transformer.description.split(" + ") if not s.startswith("axis order change")]
    return " + ".join(steps) or transformer.description


def operation_note(datum: Datum, lons: Any, lats: Any) -> str | None:
    """What ``to_wgs84`` of these points has to say about the operation it applies (else None)."""
    x, y = _arrays(lons, lats)
    if datum.is_wgs84 or x.size == 0:
        return None
    return _shift(datum, _area(x, y)).note


@lru_cache(maxsize=64)
def _shift(datum: Datum, area: Area | None) -> _Shift:
    if datum.is_wgs84:
        return _Shift(None)
    if datum.towgs84 is not None:  # the file's own numbers: what its writer applied
        return _from_towgs84(datum)
    if datum.operation is not None:
        return _from_operation(datum)
    assert datum.epsg is not None
    return _best(datum.epsg, area)


def _area(lons: Any, lats: Any) -> Area | None:
    """Whole degrees around the finite points: transformers stay cached across chunks of one survey."""
    import numpy as np

    ok = np.isfinite(lons) & np.isfinite(lats)
    if not ok.any():
        return None
    x, y = lons[ok], lats[ok]
    west, east = max(math.floor(float(x.min())), -180), min(math.ceil(float(x.max())), 180)
    south, north = max(math.floor(float(y.min())), -90), min(math.ceil(float(y.max())), 90)
    return west, south, max(east, west + 1), max(north, south + 1)


def _arrays(xs: Any, ys: Any) -> tuple[Any, Any]:
    import numpy as np  # lazy like pyproj: keep both off the cold-start import path

    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise GeodesyError(f"need two flat sequences of equal length, got shapes {x.shape} and {y.shape}")
    return x, y


def _run(transform: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """Apply a transform to arrays; a one-element array goes as a scalar (numpy warns otherwise)."""
    import numpy as np

    if x.size == 0:
        return x.copy(), y.copy()
    if x.size == 1:
        one_x, one_y = transform(float(x[0]), float(y[0]))
        return np.array([float(one_x)]), np.array([float(one_y)])
    out_x, out_y = transform(x, y)
    return np.asarray(out_x, dtype=np.float64), np.asarray(out_y, dtype=np.float64)


def to_wgs84(datum: Datum, lons: Any, lats: Any, area: Area | None = None) -> tuple[Any, Any]:
    """Lon/lat on ``datum`` → WGS 84 lon/lat (numpy arrays); ``area`` defaults to the points' own."""
    x, y = _arrays(lons, lats)
    if datum.is_wgs84 or x.size == 0:
        return x, y
    shift = _shift(datum, area if area is not None else _area(x, y))
    return _run(lambda a, b: shift.apply(a, b, to_wgs84=True), x, y)


def from_wgs84(datum: Datum, lons: Any, lats: Any, area: Area | None = None) -> tuple[Any, Any]:
    """WGS 84 lon/lat → lon/lat on ``datum`` (numpy arrays)."""
    x, y = _arrays(lons, lats)
    if datum.is_wgs84 or x.size == 0:
        return x, y
    shift = _shift(datum, area if area is not None else _area(x, y))
    return _run(lambda a, b: shift.apply(a, b, to_wgs84=False), x, y)


def _grid_datum(epsg: int, datum: Datum | None) -> Datum:
    """The datum a grid's geographic CRS goes to WGS 84 with: the file's when the grid is on it."""
    base = _geodetic_epsg(epsg)
    if datum is not None and _same_datum(base, datum.epsg):
        return datum
    return Datum(base if base is not None and not on_wgs84(base) else None)


def grid_to_wgs84_arrays(epsg: int, eastings: Any, northings: Any, datum: Datum | None = None) -> tuple[Any, Any]:
    """Grid easting/northing → WGS 84 lon/lat (numpy arrays): the grid's projection, then its datum's
    operation (``datum``'s when the grid is on it, so grid and lat/lon of one file agree)."""
    x, y = _arrays(eastings, northings)
    projection = _projection(epsg)
    lon, lat = _run(projection.transform, x, y)
    return to_wgs84(_grid_datum(epsg, datum), lon, lat)


def wgs84_to_grid_arrays(epsg: int, lons: Any, lats: Any, datum: Datum | None = None) -> tuple[Any, Any]:
    """WGS 84 lon/lat → grid easting/northing (numpy arrays), the inverse of ``grid_to_wgs84_arrays``."""
    x, y = _arrays(lons, lats)
    lon, lat = from_wgs84(_grid_datum(epsg, datum), x, y)
    projection = _projection(epsg)
    return _run(lambda a, b: projection.transform(a, b, direction="INVERSE"), lon, lat)


def transform(
    source: int, target: int, xs: Sequence[float] | Any, ys: Sequence[float] | Any
) -> tuple[list[float], list[float]]:
    """Transform x/y ordinates (easting/northing or lon/lat) from one EPSG CRS to another.

    Accepts lists, tuples or numpy arrays of equal length and returns two lists.
    Points outside the CRS's domain come back as ``inf``; callers that care check
    with ``math.isfinite``.
    """
    x, y = _arrays(xs, ys)
    if x.size == 0:
        return [], []
    if source == target:
        return x.tolist(), y.tolist()
    out_x, out_y = _run(_transformer(source, target).transform, x, y)
    return out_x.tolist(), out_y.tolist()


def grid_to_wgs84(
    epsg: int, eastings: Sequence[float] | Any, northings: Sequence[float] | Any, datum: Datum | None = None
) -> tuple[list[float], list[float]]:
    """Grid easting/northing in ``epsg`` → (longitudes, latitudes) in WGS 84 degrees."""
    if datum is None and on_wgs84(epsg):
        return transform(epsg, WGS84, eastings, northings)
    lon, lat = grid_to_wgs84_arrays(epsg, eastings, northings, datum)
    return lon.tolist(), lat.tolist()


def wgs84_to_grid(
    epsg: int, lons: Sequence[float] | Any, lats: Sequence[float] | Any, datum: Datum | None = None
) -> tuple[list[float], list[float]]:
    """WGS 84 longitudes/latitudes → (eastings, northings) in grid ``epsg``."""
    if datum is None and on_wgs84(epsg):
        return transform(WGS84, epsg, lons, lats)
    e, n = wgs84_to_grid_arrays(epsg, lons, lats, datum)
    return e.tolist(), n.tolist()


def grid_distance_azimuth(e0: float, n0: float, e1: float, n1: float) -> tuple[float, float]:
    """Grid distance (grid units) and grid azimuth (degrees clockwise from grid north, [0, 360)).

    Plain plane geometry: QC compares shot spacing and line heading with the
    preplot, both in the same grid, where this is what "distance" means. Multiply
    by the grid's metres per unit (``grid_unit``) for metres.
    """
    de = e1 - e0
    dn = n1 - n0
    azimuth = math.degrees(math.atan2(de, dn)) % 360.0
    if azimuth >= 360.0:  # -1e-17 % 360 rounds to 360.0
        azimuth = 0.0
    return math.hypot(de, dn), azimuth
