"""Receiver points of a project (ocean-bottom nodes, seismometers); not in the API contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.http import route
from chalicelib.models.paging import DEFAULT_LIST_PAGE, MAX_LIST_PAGE

if TYPE_CHECKING:
    from chalicelib.models.receivers import Receiver, ReceiverListQuery
    from chalicelib.services import receivers
else:
    receivers = http.lazy_service("chalicelib.services.receivers")
    Receiver, ReceiverListQuery = http.lazy_models("chalicelib.models.receivers", "Receiver", "ReceiverListQuery")

bp = Blueprint(__name__)

JSON, GEOJSON = "application/json", "application/geo+json"
RECEIVER_REPRESENTATIONS = (JSON, GEOJSON)


@route(
    bp,
    "/project/{project}/receiver",
    media_types=RECEIVER_REPRESENTATIONS,
    response=list[Receiver],
    query=ReceiverListQuery,
)
def list_receivers(project: str) -> Any:
    """Receiver positions by line and point; also as GeoJSON."""
    request = bp.current_request
    representation = http.negotiate(request, RECEIVER_REPRESENTATIONS)
    query = http.query_params(request)
    line = query.get("line")
    parsed = ReceiverListQuery(
        line=http.int_param(line, "line") if line not in (None, "") else None,
        limit=http.int_param(query.get("limit"), "limit", default=DEFAULT_LIST_PAGE, minimum=1, maximum=MAX_LIST_PAGE),
        offset=http.int_param(query.get("offset"), "offset", default=0, minimum=0),
    )
    found, total = receivers.list_receivers(project, parsed)
    headers = http.total_header(total)
    if representation == GEOJSON:
        return http.json_response(receivers.as_geojson(found), headers={**headers, "Content-Type": GEOJSON})
    return http.json_response(receivers.as_json(found), headers=headers)
