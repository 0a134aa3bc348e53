"""``GET /capabilities`` (public): formats read, media types served, QC tests and their defaults, limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.http import PUBLIC, route

if TYPE_CHECKING:
    from chalicelib.models.capabilities import Capabilities
    from chalicelib.services import capabilities
else:
    capabilities = http.lazy_service("chalicelib.services.capabilities")
    (Capabilities,) = http.lazy_models("chalicelib.models.capabilities", "Capabilities")

bp = Blueprint(__name__)


@route(bp, "/capabilities", role=PUBLIC, response=Capabilities)
def get_capabilities() -> Any:
    """What this installation reads, serves and checks: formats, media types, QC tests, limits."""
    media_types = {f"{method} {path}": list(types) for (path, method), types in sorted(http.MEDIA_TYPES.items())}
    return http.json_response(capabilities.capabilities(media_types))
