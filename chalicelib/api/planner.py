"""Spec tag "planner": the plan of sequences to shoot, infill proposals and the completion forecast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import route

if TYPE_CHECKING:
    from chalicelib.models.planner import Forecast, InfillParameters, InfillProposal, PlannedSequence, PlannedSequenceIn
    from chalicelib.services.planner import plan
else:
    plan = http.lazy_service("chalicelib.services.planner.plan")
    Forecast, InfillParameters, InfillProposal, PlannedSequence, PlannedSequenceIn = http.lazy_models(
        "chalicelib.models.planner",
        "Forecast",
        "InfillParameters",
        "InfillProposal",
        "PlannedSequence",
        "PlannedSequenceIn",
    )

bp = Blueprint(__name__)


def _location(project: str, sequence: int) -> dict[str, str]:
    return {"Location": f"/project/{project}/plan/{sequence}"}


@route(bp, "/project/{project}/plan", response=list[PlannedSequence])
def list_plan(project: str) -> Any:
    """The planned sequences, in shooting order."""
    return Response(body=plan.list_plan_json(project), status_code=200, headers={"Content-Type": "application/json"})


@route(bp, "/project/{project}/plan", methods=("POST",), body=PlannedSequenceIn, response=PlannedSequence)
def create_planned_sequence(project: str) -> Any:
    """Plan a sequence."""
    created = plan.create(
        project, http.parse_body(bp.current_request, PlannedSequenceIn), http.actor(bp.current_request)
    )
    return http.json_response(created, status=201, headers=_location(project, created.sequence))


@route(bp, "/project/{project}/plan", methods=("PUT",), body=PlannedSequenceIn, response=PlannedSequence)
def replace_planned_sequence(project: str) -> Any:
    """Replace a planned sequence."""
    changed = plan.replace(
        project, http.parse_body(bp.current_request, PlannedSequenceIn), http.actor(bp.current_request)
    )
    return http.json_response(changed, status=201, headers=_location(project, changed.sequence))


@route(bp, "/project/{project}/plan/{sequence}", methods=("PATCH",), body=PlannedSequenceIn, response=PlannedSequence)
def update_planned_sequence(project: str, sequence: str) -> Any:
    """Change a planned sequence."""
    number = http.int_param(sequence, "sequence")
    body = http.parse_body(bp.current_request, PlannedSequenceIn)
    changed = plan.update(project, number, body, http.actor(bp.current_request))
    return http.json_response(changed, status=201, headers=_location(project, changed.sequence))


@route(bp, "/project/{project}/plan/{sequence}", methods=("DELETE",))
def delete_planned_sequence(project: str, sequence: str) -> Any:
    """Remove a planned sequence."""
    plan.delete(project, http.int_param(sequence, "sequence"), http.actor(bp.current_request))
    return http.empty_response()


@route(
    bp,
    "/project/{project}/plan/infill",
    methods=("POST",),
    response=list[InfillProposal],
    query=InfillParameters,
    status=(200, 201),
)
def propose_infill(project: str) -> Any:
    """Infill sequences for the points left unshot (added to the plan with ``add=true``)."""
    add = http.query_params(bp.current_request).get("add", "false").lower()
    if add not in ("true", "false"):
        raise errors.BadRequestError(f"add must be true or false, not {add[:40]!r}")
    return http.json_response(
        plan.propose_infill(project, add == "true", http.actor(bp.current_request)),
        status=201 if add == "true" else 200,
    )


@route(bp, "/project/{project}/forecast", response=Forecast)
def get_forecast(project: str) -> Any:
    """When the survey should be complete, at the current production rate."""
    return http.json_response(plan.forecast(project))
