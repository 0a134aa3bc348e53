"""Spec tag "qc": QC results as a tree, acceptance, and deletion (which asks for regeneration)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import route
from chalicelib.models.paging import PageQuery

if TYPE_CHECKING:
    from chalicelib.models.qc import QcEventIds, QcResults
    from chalicelib.services import qc
else:
    qc = http.lazy_service("chalicelib.services.qc")
    QcEventIds, QcResults = http.lazy_models("chalicelib.models.qc", "QcEventIds", "QcResults")

bp = Blueprint(__name__)


@route(bp, "/project/{project}/qc/results", response=QcResults, query=PageQuery)
def get_results(project: str) -> Any:
    """The QC findings of every sequence, by test."""
    found, total = qc.results(project, None, http.page_query(bp.current_request))
    return http.json_response(found, headers=http.total_header(total))


@route(bp, "/project/{project}/qc/results/sequence/{sequence}", response=QcResults, query=PageQuery)
def get_sequence_results(project: str, sequence: str) -> Any:
    """The QC findings of one sequence, by test."""
    found, total = qc.results(project, http.int_param(sequence, "sequence"), http.page_query(bp.current_request))
    return http.json_response(found, headers=http.total_header(total))


@route(bp, "/project/{project}/qc/results", methods=("DELETE",))
def delete_results(project: str) -> Any:
    """Delete every QC finding (they are found again by the next run)."""
    qc.delete_results(project, None, http.actor(bp.current_request))
    return http.empty_response()


@route(bp, "/project/{project}/qc/results/sequence/{sequence}", methods=("DELETE",))
def delete_sequence_results(project: str, sequence: str) -> Any:
    """Delete the QC findings of one sequence."""
    qc.delete_results(project, http.int_param(sequence, "sequence"), http.actor(bp.current_request))
    return http.empty_response()


def _event_ids() -> list[int]:
    """The body: a non-empty JSON array of event ids (integers, not booleans)."""
    body = http.json_body(bp.current_request)
    if not isinstance(body, list) or not body or any(isinstance(i, bool) for i in body):
        raise errors.BadRequestError("The body must be a non-empty array of event ids")
    try:
        return QcEventIds.model_validate(body).root
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise errors.BadRequestError("The body must be a non-empty array of event ids") from exc


@route(bp, "/project/{project}/qc/results/accept", methods=("POST",), body=QcEventIds)
def accept_qc_results(project: str) -> Any:
    """Accept QC findings, by event id."""
    author = http.identity(bp.current_request).name
    qc.set_accepted(project, _event_ids(), True, author, http.actor(bp.current_request))
    return http.empty_response()


@route(bp, "/project/{project}/qc/results/unaccept", methods=("POST",), body=QcEventIds)
def unaccept_qc_results(project: str) -> Any:
    """Withdraw the acceptance of QC findings, by event id."""
    author = http.identity(bp.current_request).name
    qc.set_accepted(project, _event_ids(), False, author, http.actor(bp.current_request))
    return http.empty_response()
