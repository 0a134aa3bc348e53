"""Authentication and authorisation for every HTTP request, in one code path.

Why middleware and not an API Gateway authorizer: Chalice's built-in TOKEN
authorizer reads only one header, so it can neither read the ``JWT`` cookie nor
see the source address needed for implicit guest logins, and non-built-in
authorizers are skipped by ``chalice local`` and the test client. Checking the
token here runs the very same code in Lambda, ``make run`` and the tests.

Order: correlation id → role the route needs (``http.ROUTE_ROLES``) → token
from ``Authorization: Bearer`` or the ``__Host-JWT`` / ``JWT`` cookie (or an
implicit guest token for configured networks) → the account's token version
(a revoked token is 401) → role check (401 with a message naming the role, as
the API documents) → per-project access (a project outside the account's list
is answered 404, as if it did not exist) → the view → a fresh cookie once the
token is past half its life.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from chalice import Response

from chalicelib import errors
from chalicelib.api import http
from chalicelib.models.auth import Identity
from chalicelib.observability import logger
from chalicelib.services import auth
from chalicelib.settings import get_settings

# The cookie of the spec; in Secure stages the token is set as ``__Host-JWT`` (the browser then
# insists on Secure, Path=/ and no Domain, so no sibling host can plant one) and ``JWT`` is still read.
COOKIE_NAME = "JWT"
HOST_COOKIE_NAME = "__Host-JWT"


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


def cookie_values(header: str) -> dict[str, str]:
    """The cookies of a ``Cookie`` header, read leniently: ``name=value`` pairs split at ``;``.

    The standard library's ``SimpleCookie`` stops at the first pair it finds malformed (a sibling
    cookie holding a blank or JSON, ``a={"x": 1}; JWT=…``), which would hide the token. The first
    occurrence of a name wins; surrounding quotes are removed.
    """
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or name in found:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        found[name] = value
    return found


def request_token(request: Any) -> str | None:
    headers = request.headers
    header = headers.get("authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise errors.UnauthorizedError("Malformed Authorization header")
        return str(value).strip()
    cookie_header = headers.get("cookie")
    if cookie_header:
        cookies = cookie_values(str(cookie_header))
        for name in (HOST_COOKIE_NAME, COOKIE_NAME):
            if cookies.get(name):
                return cookies[name]
    return None


def source_ip(request: Any) -> str | None:
    found = (request.context or {}).get("identity", {}).get("sourceIp")
    return str(found) if found is not None else None


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

    new_token: str | None = None
    ip = source_ip(request)
    token = request_token(request)
    identity: Identity | None = None
    claims: dict[str, Any] | None = None
    if token is not None:
        try:
            identity, claims = auth.decode_token(token)
        except errors.UnauthorizedError:
            if not auth.implicit_guest_allowed(ip):
                raise
    if identity is None:
        if not auth.implicit_guest_allowed(ip):
            raise errors.UnauthorizedError("Authentication required")
        identity = Identity(name=f"guest@{ip}", role="guest", implicit=True)
        new_token = auth.issue_token(identity)
    else:
        auth.check_not_revoked(identity)
        if claims is not None and auth.needs_refresh(claims):
            fresh = auth.refreshed_identity(identity, ip)
            if fresh is not None:
                new_token = auth.issue_token(fresh)

    if not identity.has_role(needed):
        raise errors.UnauthorizedError(f"This action requires the '{needed}' role")
    pid = (request.uri_params or {}).get("project")
    if pid is not None and not identity.may_see(pid):
        raise errors.NotFoundError(f"Project {pid} not found")

    request.dougal_identity = identity
    response = get_response(request)
    if new_token is not None and "Set-Cookie" not in response.headers:
        response.headers["Set-Cookie"] = token_cookie(new_token)
    return response, identity.role
