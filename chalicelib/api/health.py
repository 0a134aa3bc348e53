"""``GET /health``: is the database reachable, are the queues there (public).

Cheap enough to poll: the database's answer is at most 2 seconds old
(``services.health.DATABASE_CHECK_SECONDS``) and the queues' at most 5
(``services.health.QUEUE_CHECK_SECONDS``); the answer names no queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.http import PUBLIC, route

if TYPE_CHECKING:
    from chalicelib.models.health import Health
    from chalicelib.services import health
else:
    health = http.lazy_service("chalicelib.services.health")
    (Health,) = http.lazy_models("chalicelib.models.health", "Health")

bp = Blueprint(__name__)


@route(bp, "/health", role=PUBLIC, status=(200, 503), response=Health)
def get_health() -> Any:
    """Whether the database and the queues answer (cached for a few seconds); 503 when not. With the
    navigation feed's age (never a reason for a 503)."""
    report = health.check()
    return http.json_response(report.answer(), status=200 if report.status == "ok" else 503)
