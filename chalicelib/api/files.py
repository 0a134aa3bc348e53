"""Uploaded files of a project (tag "project"): what the vessel sent and what became of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.http import route
from chalicelib.models.paging import PageQuery

if TYPE_CHECKING:
    from chalicelib.models.files import UploadedFile
    from chalicelib.services import files
else:
    files = http.lazy_service("chalicelib.services.files")
    (UploadedFile,) = http.lazy_models("chalicelib.models.files", "UploadedFile")

bp = Blueprint(__name__)


@route(bp, "/project/{project}/files", response=list[UploadedFile], query=PageQuery)
def list_files(project: str) -> Any:
    """Every uploaded file and what its import found."""
    query = http.query_params(bp.current_request)
    limit = http.int_param(query.get("limit"), "limit", default=100, minimum=1, maximum=1000)
    offset = http.int_param(query.get("offset"), "offset", default=0, minimum=0)
    found, total = files.list_files(project, limit, offset)
    return http.json_response(found, headers={"X-Total-Count": str(total)})
