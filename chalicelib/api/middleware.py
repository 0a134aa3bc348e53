"""Authentication and authorisation for every HTTP request, in one code path.

The token check is ``services/auth.admit``, run here for every protected route. In the deployed API a
REQUEST authorizer (``handlers/authorizer.py``) runs the same ``admit`` at the gateway first, so a forged
token never reaches the app, and passes its result in the request context, which this middleware then
trusts (in Lambda only). Chalice's built-in TOKEN authorizer could not be used: it reads one header, so
neither the ``JWT`` cookie nor the source address (implicit guests); and ``chalice local`` and the test
client skip custom authorizers, so the check must also live here. Roles and projects are checked here
only, from the one table of routes.

Order: correlation id → role the route needs (``http.ROUTE_ROLES``) → token
from ``Authorization: Bearer`` or the ``__Host-JWT`` / ``JWT`` cookie (or an
implicit guest token for configured networks) → the account's token version
(a revoked token is 401) → role check (401 with a message naming the role, as
the API documents; an account of role ``vessel`` is 403 on every route not marked
``vessel=True``, ``http.VESSEL_ROUTES``) → per-project access (a project outside the account's list
is answered 404, as if it did not exist) → the view → a fresh cookie once the
token is past half its life.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from chalice import Response

from chalicelib import errors
from chalicelib.api import http
from chalicelib.observability import logger
from chalicelib.services import auth
from chalicelib.settings import get_settings

COOKIE_NAME = auth.COOKIE_NAME
HOST_COOKIE_NAME = auth.HOST_COOKIE_NAME


def cookie_name() -> str:
    return HOST_COOKIE_NAME if get_settings().cookie_secure else COOKIE_NAME


def token_cookie(token: str) -> str:
    settings = get_settings()
    parts = [
        f"{cookie_name()}={token}",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        f"Max-Age={settings.jwt_ttl_seconds}",
    ]
    if settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


def expired_cookies() -> list[str]:
    """Set-Cookie values that end the session: the stage's cookie and, in Secure stages, ``JWT`` too."""
    secure = get_settings().cookie_secure
    names = [HOST_COOKIE_NAME, COOKIE_NAME] if secure else [COOKIE_NAME]
    out = []
    for name in names:
        parts = [
            f"{name}=",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=0",
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]
        if secure:
            parts.append("Secure")
        out.append("; ".join(parts))
    return out


def request_token(request: Any) -> str | None:
    headers = request.headers
    return auth.token_from_headers(headers.get("authorization"), headers.get("cookie"))


def source_ip(request: Any) -> str | None:
    found = (request.context or {}).get("identity", {}).get("sourceIp")
    return str(found) if found is not None else None


def authorizer_admission(request: Any) -> auth.Admission | None:
    """The admission the API Gateway authorizer made for this request, in Lambda only.

    Behind the deployed API the authorizer has run ``auth.admit`` already and passed its result in the
    request context; outside Lambda (``make run``, the tests) no context is trusted and the token is
    checked here.
    """
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return None
    return auth.Admission.from_context((request.context or {}).get("authorizer") or {})


def _allowed_methods(path: str) -> bool:
    return any(p == path for p, _ in http.ROUTE_ROLES)


def authenticate(request: Any, get_response: Any) -> Response:
    started = time.perf_counter()
    context = request.context or {}
    correlation_id = request.headers.get("x-correlation-id") or context.get("requestId") or str(uuid.uuid4())
    log = logger()
    log.set_correlation_id(correlation_id)
    path = context.get("resourcePath", "")
    method = request.method
    try:
        response, role = _authorised_response(request, get_response, path, method)
    except errors.DougalError as exc:
        response, role = http.error_response(exc), None
    if response.status_code >= 400 and isinstance(response.body, dict) and "Message" in response.body:
        # Chalice's own answers (415, 405…) speak {"Code", "Message"}; ours speak {"message"}.
        response.body = {"message": response.body["Message"]}
    response.headers["X-Correlation-Id"] = correlation_id
    log.info(
        "request",
        extra={
            "method": method,
            "route": path,
            "status": response.status_code,
            "role": role,
            "ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    return response


def _authorised_response(request: Any, get_response: Any, path: str, method: str) -> tuple[Response, str | None]:
    needed = http.ROUTE_ROLES.get((path, method))
    if needed is None:
        if _allowed_methods(path):
            return http.error_response(errors.MethodNotAllowedError()), None
        needed = http.MASTER  # a route without a declared rule is closed by default
    if needed == http.PUBLIC:
        return get_response(request), None

    admission = authorizer_admission(request) or auth.admit(request_token(request), source_ip(request))
    identity, new_token = admission.identity, admission.new_token
    if identity.role == http.VESSEL:
        if (path, method) not in http.VESSEL_ROUTES:
            raise errors.ForbiddenError("An account of role 'vessel' may only send navigation headers")
    elif not identity.has_role(needed):
        raise errors.UnauthorizedError(f"This action requires the '{needed}' role")
    pid = (request.uri_params or {}).get("project")
    if pid is not None and not identity.may_see(pid):
        raise errors.NotFoundError(f"Project {pid} not found")

    request.dougal_identity = identity
    response = get_response(request)
    if new_token is not None and "Set-Cookie" not in response.headers:
        response.headers["Set-Cookie"] = token_cookie(new_token)
    return response, identity.role
