"""``GET /status`` (user): database, queues, dead letters, last imports; ``healthy`` with its reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.http import USER, route

if TYPE_CHECKING:
    from chalicelib.models.status import Status
    from chalicelib.services import status
else:
    status = http.lazy_service("chalicelib.services.status")
    (Status,) = http.lazy_models("chalicelib.models.status", "Status")

bp = Blueprint(__name__)


@route(bp, "/status", role=USER, response=Status)
def get_status() -> Any:
    """The state of the system: database, queues, dead letters, last imports."""
    return http.json_response(status.status(http.identity(bp.current_request)))
