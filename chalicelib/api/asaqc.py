"""Spec tag "asaqc": the queue of line logs going to the client's Vessel Track API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from pydantic import ValidationError

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import GUEST, USER, route
from chalicelib.models.limits import INT64_MAX

if TYPE_CHECKING:
    from chalicelib.models import queue as queue_models
    from chalicelib.models.queue import QueueItem, QueueListParameters, QueueListQuery, QueueRequestASAQC
    from chalicelib.services.queue import requests
else:
    requests = http.lazy_service("chalicelib.services.queue.requests")
    QueueItem, QueueListParameters, QueueListQuery, QueueRequestASAQC = http.lazy_models(
        "chalicelib.models.queue", "QueueItem", "QueueListParameters", "QueueListQuery", "QueueRequestASAQC"
    )
    queue_models = http.lazy_service("chalicelib.models.queue")

bp = Blueprint(__name__)


def _requests(body: Any) -> list[QueueRequestASAQC]:
    """The body: a non-empty array of ``{project, sequence}``; a bad item is a 400 naming it."""
    if not isinstance(body, list) or not body:
        raise errors.BadRequestError("The body must be a non-empty array of {project, sequence} items")
    if len(body) > queue_models.MAX_REQUEST_ITEMS:
        raise errors.BadRequestError(f"At most {queue_models.MAX_REQUEST_ITEMS} items per request")
    out = []
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            raise errors.BadRequestError(f"items[{index}]: must be an object {{project, sequence}}")
        try:
            out.append(QueueRequestASAQC.model_validate(item))
        except ValidationError as exc:
            raise errors.BadRequestError(f"items[{index}].{http.describe_validation_error(exc)}") from exc
    return out


def _list_query(query: dict[str, str]) -> QueueListQuery:
    status = query.get("status")
    if status is not None and status not in queue_models.STATUSES:
        raise errors.BadRequestError(f"status must be one of {', '.join(queue_models.STATUSES)}")
    order = query.get("order", "updated_on")
    if order not in queue_models.ORDERS:
        raise errors.BadRequestError(f"order must be one of {', '.join(queue_models.ORDERS)}")
    return QueueListQuery.model_validate(
        {
            "status": status,
            "order": order,
            # The contract: "-" is descending (the default), anything else ascending.
            "descending": query.get("dir", "-") == "-",
            "limit": http.int_param(
                query.get("limit"), "limit", default=queue_models.MAX_LIST_LIMIT, minimum=1, maximum=1000
            ),
            "offset": http.int_param(query.get("offset"), "offset", default=0, minimum=0),
        }
    )


@route(bp, "/queue/outgoing/asaqc", role=GUEST, response=list[QueueItem], query=QueueListParameters)
def list_queue_items() -> Any:
    """The line logs queued for ASAQC and what became of them."""
    request = bp.current_request
    found, total = requests.list_items(_list_query(http.query_params(request)), http.identity(request))
    return http.json_response(found, headers=http.total_header(total))


@route(
    bp, "/queue/outgoing/asaqc", methods=("POST",), role=USER, body=list[QueueRequestASAQC], response=list[QueueItem]
)
def queue_transfers() -> Any:
    """Queue line logs for ASAQC."""
    request = bp.current_request
    created = requests.enqueue(_requests(http.json_body(request)), http.identity(request), http.actor(request))
    return http.json_response(created, status=202)


@route(bp, "/queue/outgoing/asaqc/{id}", methods=("DELETE",), role=USER)
def cancel_queue_item(id: str) -> Any:
    """Cancel a queued transfer."""
    request = bp.current_request
    requests.cancel(http.int_param(id, "id", minimum=1, maximum=INT64_MAX), http.identity(request), http.actor(request))
    return http.empty_response()
