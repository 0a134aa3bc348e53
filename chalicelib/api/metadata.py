"""Spec tag "metadata": ``GET /project/{project}/meta/{type}/{kind}/{path}`` and ``PUT /project/{project}/meta``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import route

if TYPE_CHECKING:
    from chalicelib.models.metadata import MetaUpdate
    from chalicelib.services import metadata
else:
    metadata = http.lazy_service("chalicelib.services.metadata")
    (MetaUpdate,) = http.lazy_models("chalicelib.models.metadata", "MetaUpdate")

bp = Blueprint(__name__)


def get_meta(project: str, type: str, kind: str, **parts: str) -> Any:  # `type`: the contract's name
    """One value of the metadata of a sequence, point or line, by its path."""
    ids = metadata.element_ids(type, kind)
    segments = http.path_segments(parts)
    if len(segments) < len(ids):
        missing = ids[len(segments)]
        raise errors.BadRequestError(f"The path names no {missing}: {type}/{kind}/{'/'.join(ids)}/…")
    numbers = {name: http.int_param(value, name) for name, value in zip(ids, segments, strict=False)}
    return http.json_response(metadata.get_meta(project, type, kind, numbers, segments[len(ids) :]))


for _path in http.nested_paths("/project/{project}/meta/{type}/{kind}"):
    route(bp, _path)(get_meta)


@route(bp, "/project/{project}/meta", methods=("PUT",), body=MetaUpdate)
def put_meta(project: str) -> Any:
    """Store metadata on a sequence, point or line."""
    update = http.parse_body(bp.current_request, MetaUpdate)
    return http.json_response(metadata.put_meta(project, update, http.actor(bp.current_request)), status=201)
