"""The API Gateway REQUEST authorizer in front of the deployed API.

It runs ``services/auth.admit``, the very check the app's middleware runs, on the ``Authorization:
Bearer`` header or the ``__Host-JWT``/``JWT`` cookie and the source address, so a forged, expired or
revoked token is refused at the gateway (401) and costs the API function nothing. Results are not cached
(the identity sources are optional, and revocation must take effect): a fresh decision per request. An
admitted request carries the admission in its context; roles and projects are still the app's to check.
Public routes (``/login``, ``/logout``, ``/health``…) have no authorizer (``infra/merge.py``).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

bp = Blueprint(__name__)


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def decide(event: dict[str, Any]) -> dict[str, Any]:
    """The authorizer's answer to a REQUEST event; raises ``Exception("Unauthorized")`` for a 401."""
    from chalicelib import errors
    from chalicelib.services import auth

    headers = event.get("headers") or {}
    source_ip = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
    try:
        token = auth.token_from_headers(_header(headers, "authorization"), _header(headers, "cookie"))
        admission = auth.admit(token, source_ip)
    except errors.UnauthorizedError:
        # The exact message API Gateway turns into a 401 (any other error is a 500).
        raise Exception("Unauthorized") from None
    return {
        "principalId": admission.identity.name,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
        "context": admission.to_context(),
    }


@bp.lambda_function(name="authorize_request")
def authorize_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib import db

    with db.translated():
        return decide(event)
