"""Map views of a project (not in the contract): what the office page's coverage map draws, as GeoJSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.http import route
from chalicelib.models.paging import PageQuery

if TYPE_CHECKING:
    from chalicelib.models.gis import EventCollection, LineCollection, SequenceProfile, TrackCollection
    from chalicelib.services import gis
else:
    gis = http.lazy_service("chalicelib.services.gis")
    EventCollection, LineCollection, SequenceProfile, TrackCollection = http.lazy_models(
        "chalicelib.models.gis", "EventCollection", "LineCollection", "SequenceProfile", "TrackCollection"
    )

bp = Blueprint(__name__)

JSON, GEOJSON = "application/json", "application/geo+json"
GIS_REPRESENTATIONS = (GEOJSON, JSON)


@route(bp, "/project/{project}/gis/line", media_types=GIS_REPRESENTATIONS, response=LineCollection)
def line_features(project: str) -> Any:
    """The preplot lines as line strings, each with its state (virgin, partial, acquired, ntba)."""
    representation = http.negotiate(bp.current_request, GIS_REPRESENTATIONS)
    return http.json_response(gis.lines(project), headers={"Content-Type": representation})


@route(bp, "/project/{project}/gis/sequence", media_types=GIS_REPRESENTATIONS, response=TrackCollection)
def sequence_tracks(project: str) -> Any:
    """The acquired sequences' tracks (final shots once processed, else raw)."""
    representation = http.negotiate(bp.current_request, GIS_REPRESENTATIONS)
    return http.json_response(gis.tracks(project), headers={"Content-Type": representation})


@route(bp, "/project/{project}/gis/event", media_types=GIS_REPRESENTATIONS, response=EventCollection, query=PageQuery)
def event_positions(project: str) -> Any:
    """Current events at a shotpoint, at the shot's position; QC findings marked ``qc``."""
    request = bp.current_request
    representation = http.negotiate(request, GIS_REPRESENTATIONS)
    found, total = gis.events(project, http.page_query(request))
    return http.json_response(found, headers={"Content-Type": representation, **http.total_header(total)})


@route(bp, "/project/{project}/gis/sequence/{sequence}/profile", response=SequenceProfile)
def sequence_profile(project: str, sequence: str) -> Any:
    """Shot interval and distance from the preplot along one sequence, for a chart."""
    return http.json_response(gis.profile(project, http.int_param(sequence, "sequence")))
