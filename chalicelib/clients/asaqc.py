"""The client of the Vessel Track API (ASAQC), through which the client company receives line logs.

* OAuth2 client credentials: a bearer token from the token endpoint, kept (per token endpoint and
  client id, for the container's life) until a minute before it expires, or until the API answers
  401 (``forget_token``).
* ``upload``: one file, base64-encoded, POSTed to ``{api_url}/vt/v1/api/upload-file-encoded`` with
  the idempotency key in ``Idempotency-Key``. One call, never retried here: the sender records
  every call before making it (``services/queue/sender.py``).
* ``receipts``: what the remote received under an idempotency key, where the remote offers that
  look-up (``asaqc_receipt_lookup``; the fake server does), else ``None``.

The standard library's urllib does the HTTP (no dependency, nothing imported before the first
call); the transport is a parameter, so tests talk to the fake server in-process.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

UPLOAD_PATH = "/vt/v1/api/upload-file-encoded"
RECEIPTS_PATH = "/vt/v1/api/receipts"
# A token is renewed this long before the expiry its endpoint announced.
TOKEN_MARGIN_SECONDS = 60.0
# Statuses after which the same call may succeed later; any other 4xx is final.
RETRYABLE_4XX = frozenset({401, 408, 429})


class TransportError(Exception):
    """The call got no HTTP answer. ``reached``: whether the remote may have read the request."""

    code = "ENETWORK"
    reached = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConnectionRefused(TransportError):
    code = "ECONNREFUSED"
    reached = False


class Timeout(TransportError):
    code = "ETIMEDOUT"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


class Transport(Protocol):
    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse: ...


class UrllibTransport:
    """HTTP(S) through urllib; no answer at all is a ``TransportError``."""

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        import urllib.error
        import urllib.request

        if not url.startswith(("https://", "http://")):
            raise TransportError(f"not an HTTP URL: {url[:80]}")
        req = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - checked above
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:  # noqa: S310 - checked above
                return HttpResponse(answer.status, answer.read())
        except urllib.error.HTTPError as exc:
            return HttpResponse(exc.code, exc.read())
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ConnectionRefusedError):
                raise ConnectionRefused(f"request to {url} failed, reason: connection refused") from exc
            if isinstance(reason, TimeoutError):
                raise Timeout(f"request to {url} timed out after {timeout} s") from exc
            raise TransportError(f"request to {url} failed, reason: {reason}") from exc
        except TimeoutError as exc:
            raise Timeout(f"request to {url} timed out after {timeout} s") from exc
        except (OSError, ValueError) as exc:  # reset, remote closed, malformed answer
            raise TransportError(f"request to {url} failed, reason: {exc}") from exc


@dataclass(frozen=True)
class Credentials:
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str
    api_url: str
    subscription_key: str | None = field(default=None, repr=False)
    receipt_lookup: bool = False


class CredentialsError(Exception):
    """The ASAQC secret is missing or incomplete: nothing can be sent until an operator fixes it."""


def load_credentials() -> Credentials:
    """The credentials from Secrets Manager (``asaqc_secret_id``), with the URL settings on top."""
    from chalicelib import aws
    from chalicelib.settings import get_settings

    settings = get_settings()
    secret: dict[str, Any] = {}
    if settings.asaqc_secret_id:
        try:
            secret = json.loads(aws.secret_string(settings.asaqc_secret_id))
        except ValueError as exc:
            raise CredentialsError("the ASAQC secret is not a JSON object") from exc
    if not isinstance(secret, dict):
        raise CredentialsError("the ASAQC secret is not a JSON object")
    token_url = settings.asaqc_token_url or secret.get("token_url")
    if not token_url and secret.get("tenant_id"):
        token_url = f"https://login.microsoftonline.com/{secret['tenant_id']}/oauth2/v2.0/token"
    values = {
        "token_url": token_url,
        "client_id": secret.get("client_id"),
        "client_secret": secret.get("client_secret"),
        "api_url": settings.asaqc_api_url or secret.get("api_url"),
    }
    missing = sorted(name for name, value in values.items() if not value)
    if missing:
        raise CredentialsError(f"ASAQC credentials incomplete: {', '.join(missing)} missing")
    return Credentials(
        token_url=str(values["token_url"]),
        client_id=str(values["client_id"]),
        client_secret=str(values["client_secret"]),
        scope=str(secret.get("scope") or ""),
        api_url=str(values["api_url"]).rstrip("/"),
        subscription_key=secret.get("subscription_key") or None,
        receipt_lookup=settings.asaqc_receipt_lookup,
    )


@dataclass(frozen=True)
class Outcome:
    """What one call came to.

    ``accepted``: 2xx with a receipt (``response`` is the remote's body). ``failed``: the remote did
    not take the file (an error status, no connection). ``unknown``: it may have (timeout, a reset
    after sending, 2xx without a readable receipt). ``retryable``: a later attempt may succeed.
    """

    kind: Literal["accepted", "failed", "unknown"]
    response: dict[str, Any]
    retryable: bool
    status: int | None = None


class RemoteError(Exception):
    """A call other than an upload (token, receipts) failed; ``error`` is what results record."""

    def __init__(self, error: dict[str, Any], retryable: bool, status: int | None = None) -> None:
        super().__init__(str(error.get("message")))
        self.error = error
        self.retryable = retryable
        self.status = status


_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Forget every cached token (tests; a rotated secret)."""
    with _tokens_lock:
        _tokens.clear()


def _retryable(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_4XX


def _text(body: bytes, limit: int = 500) -> str:
    return body[:limit].decode("utf-8", "replace")


class VesselTrackClient:
    def __init__(
        self,
        credentials: Credentials,
        transport: Transport | None = None,
        timeout: float = 20.0,
        clock: Any = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.transport: Transport = transport or UrllibTransport()
        self.timeout = timeout
        self.clock = clock

    @property
    def _token_key(self) -> tuple[str, str]:
        return (self.credentials.token_url, self.credentials.client_id)

    def token(self) -> str:
        """A bearer token: the cached one while it has more than a minute left, else a new one."""
        now = self.clock()
        with _tokens_lock:
            cached = _tokens.get(self._token_key)
        if cached and cached[1] > now:
            return cached[0]
        from urllib.parse import urlencode

        form = {
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }
        if self.credentials.scope:
            form["scope"] = self.credentials.scope
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        try:
            answer = self.transport.request(
                "POST", self.credentials.token_url, headers, urlencode(form).encode(), self.timeout
            )
        except TransportError as exc:
            raise RemoteError({"code": exc.code, "type": "token", "message": exc.message}, True) from exc
        if not 200 <= answer.status < 300:
            error: dict[str, Any] = {"type": "token", "status": answer.status, "message": _text(answer.body)}
            raise RemoteError(error, _retryable(answer.status), answer.status)
        try:
            body = json.loads(answer.body)
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            bad: dict[str, Any] = {
                "type": "token",
                "status": answer.status,
                "message": "the token endpoint sent no token",
            }
            raise RemoteError(bad, True, answer.status) from exc
        with _tokens_lock:
            _tokens[self._token_key] = (token, now + max(0.0, lifetime - TOKEN_MARGIN_SECONDS))
        return token

    def forget_token(self) -> None:
        with _tokens_lock:
            _tokens.pop(self._token_key, None)

    def _headers(self, token: str, content_type: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.credentials.subscription_key:
            headers["Ocp-Apim-Subscription-Key"] = self.credentials.subscription_key
        return headers

    def upload(
        self, file_name: str, data: bytes, idempotency_key: str, token: str, call_id: int | None = None
    ) -> Outcome:
        """POST one file; one call, whatever happens. ``call_id`` (the sender's record of this call) goes
        in ``X-Dougal-Call`` for the receipt log, next to the idempotency key."""
        body = json.dumps({"fileName": file_name, "fileContent": base64.b64encode(data).decode("ascii")}).encode()
        headers = {**self._headers(token, "application/json"), "Idempotency-Key": idempotency_key}
        if call_id is not None:
            headers["X-Dougal-Call"] = str(call_id)
        url = self.credentials.api_url + UPLOAD_PATH
        try:
            answer = self.transport.request("POST", url, headers, body, self.timeout)
        except TransportError as exc:
            system = {"code": exc.code, "type": "system", "errno": exc.code, "message": exc.message}
            return Outcome("unknown" if exc.reached else "failed", {"error": system}, True)
        error: dict[str, Any] = {"status": answer.status}
        if 200 <= answer.status < 300:
            try:
                receipt = json.loads(answer.body)
            except ValueError:
                receipt = None
            if isinstance(receipt, dict) and receipt.get("id"):
                return Outcome("accepted", receipt, False, answer.status)
            error.update(type="response", message="no receipt in the answer", body=_text(answer.body))
            return Outcome("unknown", {"error": error}, True, answer.status)
        error.update(type="http", message=_text(answer.body))
        return Outcome("failed", {"error": error}, _retryable(answer.status), answer.status)

    def receipts(self, idempotency_key: str, token: str) -> list[dict[str, Any]] | None:
        """The remote's receipts of files sent under ``idempotency_key``; None when it offers no look-up.

        Raises ``RemoteError`` when the look-up itself fails: the sender then sends nothing.
        """
        if not self.credentials.receipt_lookup:
            return None
        from urllib.parse import urlencode

        url = f"{self.credentials.api_url}{RECEIPTS_PATH}?{urlencode({'idempotencyKey': idempotency_key})}"
        try:
            answer = self.transport.request("GET", url, self._headers(token), None, self.timeout)
        except TransportError as exc:
            raise RemoteError({"code": exc.code, "type": "receipts", "message": exc.message}, True) from exc
        if answer.status != 200:
            error: dict[str, Any] = {"type": "receipts", "status": answer.status, "message": _text(answer.body)}
            raise RemoteError(error, True, answer.status)
        try:
            found = json.loads(answer.body)
        except ValueError as exc:
            raise RemoteError({"type": "receipts", "message": "the receipt log is not JSON"}, True) from exc
        if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
            raise RemoteError({"type": "receipts", "message": "the receipt log is not a list"}, True)
        return found
