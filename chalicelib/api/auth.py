"""Spec tag "login": explicit login and logout (public routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api import http
from chalicelib.api.http import GUEST, PUBLIC, route
from chalicelib.api.middleware import expired_cookies, source_ip, token_cookie
from chalicelib.services import auth

if TYPE_CHECKING:
    from chalicelib.models.auth import LoginRequest, Session
else:
    LoginRequest, Session = http.lazy_models("chalicelib.models.auth", "LoginRequest", "Session")

bp = Blueprint(__name__)

NO_STORE = {"Cache-Control": "no-store"}


@route(bp, "/login", methods=("POST",), role=PUBLIC, body=LoginRequest)
def login() -> Any:
    """Sign in with a name and password; the token comes back as a cookie."""
    request = bp.current_request
    credentials = http.parse_body(request, LoginRequest)
    identity = auth.login(credentials.user, credentials.password, source_ip(request))
    token = auth.issue_token(identity)
    return http.empty_response(204, headers={"Set-Cookie": token_cookie(token), **NO_STORE})


@route(bp, "/logout", methods=("GET", "POST"), role=PUBLIC, status=204)
def logout() -> Any:
    """Sign out: the token cookies are expired."""
    return http.empty_response(204, headers={"Set-Cookie": expired_cookies(), **NO_STORE})


@route(bp, "/session", role=GUEST, response=Session)
def session() -> Any:
    """Who the caller is: name, role and the projects it may see (null: all)."""
    identity = http.identity(bp.current_request)
    projects = list(identity.projects) if identity.projects is not None else None
    body = Session.model_validate(
        {"name": identity.name, "role": identity.role, "projects": projects, "implicit": identity.implicit}
    )
    return http.json_response(body, headers=NO_STORE)
