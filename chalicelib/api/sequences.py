"""Spec tag "sequences": sequences and their shotpoints."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.api import http
from chalicelib.api.http import route
from chalicelib.models.paging import PageQuery

if TYPE_CHECKING:
    from chalicelib.models.sequences import Sequence, SequenceUpdate, Shotpoint, ShotpointParameters
    from chalicelib.services import sequences
else:
    sequences = http.lazy_service("chalicelib.services.sequences")
    Sequence, SequenceUpdate, Shotpoint, ShotpointParameters = http.lazy_models(
        "chalicelib.models.sequences", "Sequence", "SequenceUpdate", "Shotpoint", "ShotpointParameters"
    )

bp = Blueprint(__name__)

SHOTPOINT_ATTRIBUTES = ("sequence", "line", "point", "objref", "tstamp", "hash", "geometry", "meta")
_SEPARATORS = re.compile(r"[\s,;:]+")


def projection(text: str | None) -> list[str] | None:
    """Attribute names from ``project=``: any of space, comma, colon, semicolon between; cut at a dot.

    Only known attribute names survive (they are looked up, never passed on).
    """
    if text is None:
        return None
    names = [name.split(".", 1)[0] for name in _SEPARATORS.split(text.strip()) if name]
    return [a for a in SHOTPOINT_ATTRIBUTES if a in names]


def project_attributes(body: dict[str, Any], attributes: list[str] | None) -> dict[str, Any]:
    if attributes is None:
        return body
    return {name: body[name] for name in attributes}


def as_feature(body: dict[str, Any]) -> dict[str, Any]:
    properties = {k: v for k, v in body.items() if k != "geometry"}
    return {"type": "Feature", "geometry": body.get("geometry"), "properties": properties}


JSON, GEOJSON = "application/json", "application/geo+json"
SEIS = "application/vnd.seis+json"  # services/seis.MEDIA_TYPE, named here so the module stays light to import
PDF = "application/pdf"  # services/linelog.MEDIA_TYPE: the line log ASAQC transfers send
HTML = "text/html"  # services/linelog.HTML_MEDIA_TYPE: a page to read in a browser
SEQUENCE_REPRESENTATIONS = (JSON, GEOJSON, SEIS, PDF, HTML)
SHOTPOINT_REPRESENTATIONS = (JSON, GEOJSON)


@route(bp, "/project/{project}/sequence", response=list[Sequence], query=PageQuery)
def list_sequences(project: str) -> Any:
    """The acquired sequences and their figures."""
    found, total = sequences.list_sequences(project, http.page_query(bp.current_request))
    return http.json_response(found, headers=http.total_header(total))


@route(bp, "/project/{project}/sequence/{sequence}", media_types=SEQUENCE_REPRESENTATIONS, response=Sequence)
def get_sequence(project: str, sequence: str) -> Any:
    """One sequence: JSON, GeoJSON (a Feature with its shot line), Seis+JSON, its PDF line log or a page to
    read (HTML).

    A sequence seen only in the navigation feed so far answers in JSON, status ``online``."""
    from chalicelib.services import linelog, seis

    number = http.int_param(sequence, "sequence")
    representation = http.negotiate(bp.current_request, SEQUENCE_REPRESENTATIONS)
    if representation == SEIS:
        sequences.get_sequence(project, number, online=False)  # 404 for an unknown project or sequence
        return http.json_response(seis.export(project, [number]), headers={"Content-Type": seis.MEDIA_TYPE})
    if representation == GEOJSON:
        feature = sequences.sequence_feature(project, number)
        return http.json_response(feature, headers={"Content-Type": GEOJSON})
    if representation == PDF:  # the PDF line log, as ASAQC transfers send it
        return http.binary_response(linelog.pdf(project, number), linelog.MEDIA_TYPE)
    if representation == HTML:
        page = linelog.html(project, number)
        return Response(body=page, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
    return http.json_response(sequences.get_sequence(project, number))


@route(bp, "/project/{project}/sequence/{sequence}", methods=("PATCH",), body=SequenceUpdate)
def update_sequence(project: str, sequence: str) -> Any:
    """Change a sequence's remarks or its NTBP flag."""
    number = http.int_param(sequence, "sequence")
    sequences.update_sequence(
        project, number, http.parse_body(bp.current_request, SequenceUpdate), http.actor(bp.current_request)
    )
    return http.empty_response()


@route(
    bp,
    "/project/{project}/sequence/{sequence}/{shot}",
    media_types=SHOTPOINT_REPRESENTATIONS,
    response=Shotpoint,
    query=ShotpointParameters,
    projection=True,
)
def get_shotpoint(project: str, sequence: str, shot: str) -> Any:
    """One shotpoint of a sequence."""
    request = bp.current_request
    representation = http.negotiate(request, SHOTPOINT_REPRESENTATIONS)
    query = http.query_params(request)
    shotpoint = sequences.get_shotpoint(
        project, http.int_param(sequence, "sequence"), http.int_param(shot, "shot"), query.get("kind")
    )
    body = project_attributes(shotpoint.model_dump(mode="json"), projection(query.get("project")))
    if representation == GEOJSON:
        return http.json_response(as_feature(body), headers={"Content-Type": GEOJSON})
    return http.json_response(body)
