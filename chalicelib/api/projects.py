"""Spec tag "project": the project list, summaries, configuration and info."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import MASTER, route

if TYPE_CHECKING:
    from chalicelib.models.projects import ProjectCreate, ProjectListItem, ProjectSummary
    from chalicelib.services import projects
else:
    projects = http.lazy_service("chalicelib.services.projects")
    ProjectCreate, ProjectListItem, ProjectSummary = http.lazy_models(
        "chalicelib.models.projects", "ProjectCreate", "ProjectListItem", "ProjectSummary"
    )

bp = Blueprint(__name__)


@route(bp, "/project", response=list[ProjectListItem])
def list_projects() -> Any:
    """The projects the caller may see."""
    found = projects.list_projects(http.identity(bp.current_request))
    return http.json_response(found)


@route(bp, "/project", methods=("POST",), role=MASTER, body=ProjectCreate, response=ProjectListItem)
def create_project() -> Any:
    """Create a project."""
    new = http.parse_body(bp.current_request, ProjectCreate)
    created = projects.create_project(new, http.actor(bp.current_request))
    return http.json_response(created, status=201, headers={"Location": f"/project/{created.pid}"})


@route(bp, "/project/{project}", response=ProjectSummary)
def get_project(project: str) -> Any:
    """A project's summary and production figures."""
    return http.json_response(projects.project_summary(project))


@route(bp, "/project/{project}/summary", response=ProjectSummary)
def get_project_summary(project: str) -> Any:
    """A project's summary and production figures (the same answer as the project itself)."""
    return http.json_response(projects.project_summary(project))


@route(bp, "/project/{project}", methods=("DELETE",), role=MASTER)
def archive_project(project: str) -> Any:
    """Archive a project."""
    projects.archive_project(project, http.actor(bp.current_request))
    return http.empty_response()


@route(bp, "/project/{project}/configuration")
def get_configuration(project: str) -> Any:
    """A project's whole configuration."""
    return http.json_response(projects.get_configuration(project, []))


@route(bp, "/project/{project}/configuration", methods=("PUT",), role=MASTER, body=dict[str, Any])
def replace_configuration(project: str) -> Any:
    """Replace a project's configuration."""
    actor = http.actor(bp.current_request)
    projects.replace_configuration(project, http.json_body(bp.current_request), actor=actor)
    return http.empty_response()


def get_configuration_path(project: str, **parts: str) -> Any:
    """One value of a project's configuration, by its path."""
    return http.json_response(projects.get_configuration(project, http.path_segments(parts)))


def get_info(project: str, **parts: str) -> Any:
    """One value of a project's free information, by its path (an empty answer when there is none)."""
    found, value = projects.get_info(project, http.path_segments(parts))
    if not found:
        return http.empty_response(status=200, headers={"Content-Type": "application/json"})
    return http.json_response(value)


for _path in http.nested_paths("/project/{project}/configuration"):
    route(bp, _path)(get_configuration_path)
for _path in http.nested_paths("/project/{project}/info"):
    route(bp, _path)(get_info)


def _info_key(p1: str) -> str:
    key = http.path_segments({"p1": p1})
    if not key:
        raise errors.BadRequestError("An info key is required")
    return key[0]


@route(bp, "/project/{project}/info/{p1}", methods=("PUT",), body=Any)
def put_info(project: str, p1: str) -> Any:
    """Store one key of a project's free information (any JSON value)."""
    key = _info_key(p1)
    projects.put_info(project, key, http.json_body(bp.current_request), actor=http.actor(bp.current_request))
    return http.empty_response()


@route(bp, "/project/{project}/info/{p1}", methods=("DELETE",))
def delete_info(project: str, p1: str) -> Any:
    """Remove one key of a project's free information."""
    projects.delete_info(project, _info_key(p1), actor=http.actor(bp.current_request))
    return http.empty_response()
