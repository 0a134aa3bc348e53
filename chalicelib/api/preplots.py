"""Spec tag "preplot": preplot lines and their edits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.http import route
from chalicelib.models.paging import PageQuery

if TYPE_CHECKING:
    from chalicelib.models.preplots import LineUpdate, PreplotLine
    from chalicelib.services import preplots
else:
    preplots = http.lazy_service("chalicelib.services.preplots")
    LineUpdate, PreplotLine = http.lazy_models("chalicelib.models.preplots", "LineUpdate", "PreplotLine")

bp = Blueprint(__name__)


@route(bp, "/project/{project}/line", response=list[PreplotLine], query=PageQuery)
def list_lines(project: str) -> Any:
    """The preplot lines and their production figures."""
    found, total = preplots.list_lines(project, http.page_query(bp.current_request))
    return http.json_response(preplots.as_json(found), headers=http.total_header(total))


@route(bp, "/project/{project}/line/{line}", methods=("PATCH",), body=LineUpdate)
def update_line(project: str, line: str) -> Any:
    """Change a preplot line's remarks or flags."""
    number = http.int_param(line, "line")
    preplots.update_line(
        project, number, http.parse_body(bp.current_request, LineUpdate), http.actor(bp.current_request)
    )
    return http.empty_response()
