"""``GET /audit`` (master): the trail of every write, who made it, from where, and what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from pydantic import ValidationError

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import MASTER, route

if TYPE_CHECKING:
    from chalicelib.models import audit as audit_models
    from chalicelib.models.audit import AuditEntry, AuditQuery
    from chalicelib.services import audit
else:
    audit = http.lazy_service("chalicelib.services.audit")
    AuditEntry, AuditQuery = http.lazy_models("chalicelib.models.audit", "AuditEntry", "AuditQuery")
    audit_models = http.lazy_service("chalicelib.models.audit")

bp = Blueprint(__name__)


def _query(params: dict[str, str]) -> AuditQuery:
    """``project``, ``since`` (ISO 8601 with its zone), ``actor``, ``limit``, ``offset``; 400 naming the bad one."""
    unknown = sorted(set(params) - set(AuditQuery.model_fields))
    if unknown:
        raise errors.BadRequestError(f"{unknown[0]}: not a parameter of this list")
    values: dict[str, Any] = {k: v for k, v in params.items() if k in ("project", "actor")}
    values["limit"] = http.int_param(
        params.get("limit"),
        "limit",
        default=audit_models.DEFAULT_AUDIT_PAGE,
        minimum=1,
        maximum=audit_models.MAX_AUDIT_PAGE,
    )
    values["offset"] = http.int_param(params.get("offset"), "offset", default=0, minimum=0)
    since = params.get("since")
    if since:
        from chalicelib.api.events import parse_since

        values["since"] = parse_since(since)
    try:
        return AuditQuery.model_validate(values)
    except ValidationError as exc:
        raise errors.BadRequestError(http.describe_validation_error(exc)) from exc


@route(bp, "/audit", role=MASTER, query=AuditQuery, response=list[AuditEntry])
def list_audit() -> Any:
    """The audit trail, newest first: who wrote what, when, from where, before and after."""
    request = bp.current_request
    found, total = audit.list_audit(_query(http.query_params(request)), http.identity(request))
    return http.json_response(found, headers=http.total_header(total))
