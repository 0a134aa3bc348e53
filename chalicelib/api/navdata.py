"""The real-time navigation feed (spec tag ``navdata``): headers in, the feed by time and position, GIS views."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import route

if TYPE_CHECKING:
    from chalicelib.models import navdata as navdata_models
    from chalicelib.models.navdata import NavIngestResult, NavQuery
    from chalicelib.services import navdata
else:
    navdata = http.lazy_service("chalicelib.services.navdata")
    NavIngestResult, NavQuery = http.lazy_models("chalicelib.models.navdata", "NavIngestResult", "NavQuery")
    navdata_models = http.lazy_service("chalicelib.models.navdata")

bp = Blueprint(__name__)

JSON, GEOJSON = "application/json", "application/geo+json"
GIS_REPRESENTATIONS = (GEOJSON, JSON)

# A field name of the projection: a header key as navigation systems write them, or one of Dougal's
# ``_`` keys. Anything else (quotes, parentheses, operators) is ignored; names never reach SQL anyway.
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
_FIELD_SEPARATORS = re.compile(r"\s*[,;\s]\s*")
MAX_FIELDS = 100
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _number(part: str, value: str, low: float, high: float) -> float:
    if not _NUMBER.fullmatch(value.strip()):
        raise errors.BadRequestError(f"q: {part}: {value[:40]!r} is not a number")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise errors.BadRequestError(f"q: {part}: must be between {low:g} and {high:g}")
    return number


def parse_q(q: str | None) -> dict[str, Any]:
    """``tstamp:…;tolerance:…;pos:lon,lat;radius:…`` as NavQuery fields; 400 naming the part that is wrong."""
    found: dict[str, Any] = {}
    if not q:
        return found
    seen: set[str] = set()
    for raw in q.split(";"):
        part = raw.strip()
        if not part:
            continue
        key, sep, value = part.partition(":")
        key = key.strip()
        if not sep:
            raise errors.BadRequestError(f"q: {part[:40]!r} is not name:value")
        if key in seen:
            raise errors.BadRequestError(f"q: {key} is given twice")
        seen.add(key)
        value = value.strip()
        if key == "tstamp":
            try:
                when = datetime.fromisoformat(value) if len(value) <= 40 else None
            except ValueError:
                when = None
            if when is None:
                raise errors.BadRequestError(f"q: tstamp: {value[:40]!r} is not an ISO-8601 time")
            found["tstamp"] = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        elif key == "tolerance":
            found["tolerance_ms"] = _number("tolerance", value, 0.0, navdata_models.MAX_TOLERANCE_MS)
        elif key == "radius":
            found["radius_m"] = _number("radius", value, 0.0, navdata_models.MAX_RADIUS_M)
        elif key == "pos":
            coordinates = value.split(",")
            if len(coordinates) != 2:
                raise errors.BadRequestError(f"q: pos: {value[:40]!r} is not longitude,latitude")
            found["lon"] = _number("pos", coordinates[0], -180.0, 180.0)
            found["lat"] = _number("pos", coordinates[1], -90.0, 90.0)
        else:
            raise errors.BadRequestError(
                f"q: unknown part {key[:40]!r}; use tstamp, tolerance (ms), pos (lon,lat), radius (m)"
            )
    if "tolerance_ms" in found and "tstamp" not in found:
        raise errors.BadRequestError("q: tolerance needs a tstamp")
    if "radius_m" in found and "lon" not in found:
        raise errors.BadRequestError("q: radius needs a pos")
    return found


def parse_fields(fields: str | None) -> list[str] | None:
    """The projection: names separated by commas, semicolons or blanks; names not of a header key's shape
    are ignored."""
    if fields is None or not fields.strip():
        return None
    names = [name for name in _FIELD_SEPARATORS.split(fields.strip()) if _FIELD.fullmatch(name)]
    return list(dict.fromkeys(names))[:MAX_FIELDS]


@route(bp, "/navdata", methods=("POST",), role=http.USER, vessel=True, response=NavIngestResult, status=(201, 200))
def store_navdata() -> Any:
    """Navigation headers from the vessel: 201 when some were new, 200 when all were already stored."""
    request = bp.current_request
    caller = http.identity(request)
    result = navdata.store_headers(
        http.json_body(request), list(caller.projects) if caller.projects is not None else None
    )
    return http.json_response(result, status=201 if result.stored else 200)


@route(bp, "/navdata")
def list_navdata() -> Any:
    request = bp.current_request
    query = http.query_params(request)
    page = http.page_query(request, default=navdata_models.DEFAULT_NAV_PAGE, maximum=navdata_models.MAX_NAV_PAGE)
    parsed = NavQuery(
        **{
            "tolerance_ms": navdata_models.DEFAULT_TOLERANCE_MS,
            "radius_m": navdata_models.DEFAULT_RADIUS_M,
            **parse_q(query.get("q")),
        },
        fields=parse_fields(query.get("fields")),
        limit=page.limit,
        offset=page.offset,
    )
    items, total = navdata.list_navdata(parsed)
    return http.json_response(items, headers=http.total_header(total))


@route(bp, "/navdata/latest")
def get_latest_navdata() -> Any:
    return http.json_response(navdata.latest())


@route(bp, "/navdata/gis/point", media_types=GIS_REPRESENTATIONS)
def list_navdata_points() -> Any:
    request = bp.current_request
    representation = http.negotiate(request, GIS_REPRESENTATIONS)
    page = http.page_query(request, default=navdata_models.DEFAULT_NAV_PAGE, maximum=navdata_models.MAX_NAV_PAGE)
    features = navdata.point_features(page.limit, page.offset)
    return http.json_response(features, headers={"Content-Type": representation})


@route(bp, "/navdata/gis/line", media_types=GIS_REPRESENTATIONS)
def get_navdata_line() -> Any:
    request = bp.current_request
    representation = http.negotiate(request, GIS_REPRESENTATIONS)
    query = http.query_params(request)
    limit = http.int_param(
        query.get("limit"),
        "limit",
        default=navdata_models.DEFAULT_LINE_VERTICES,
        minimum=navdata_models.MIN_LINE_VERTICES,
        maximum=navdata_models.MAX_NAV_PAGE,
    )
    offset = http.int_param(query.get("offset"), "offset", default=0, minimum=0)
    return http.json_response(navdata.line_feature(limit, offset), headers={"Content-Type": representation})
