"""A fake of the client's Vessel Track API (ASAQC), for ``make run`` and the tests.

    python -m scripts.fake_vessel_track --port 8025     # on its own; make run starts one too

What it serves:

* ``POST /oauth2/token`` — OAuth2 client credentials (form fields ``grant_type``, ``client_id``,
  ``client_secret``, ``scope``): ``{access_token, token_type, expires_in}``; 401 for other credentials.
* ``POST /vt/v1/api/upload-file-encoded`` — ``{fileName, fileContent (base64)}`` with a bearer token
  (and ``Ocp-Apim-Subscription-Key`` when one is set): ``{id, fileName}``. Every file taken is kept in
  the receipt log with its bytes, its SHA-256, its ``Idempotency-Key`` and the sender's ``X-Dougal-Call``.
* ``GET /vt/v1/api/receipts?idempotencyKey=…`` — the receipts under one key (the look-up the sender
  uses after a call whose outcome it does not know; see README "ASAQC transfers").
* ``GET /fake/receipts``, ``GET /fake/requests`` (every upload call, with the fault applied),
  ``POST /fake/faults`` ``{"faults": [...]}`` (applied to the next upload calls, in order),
  ``POST /fake/reset``.

Faults (one per upload call): ``refused`` (no connection: nothing received), ``reset`` (the
connection is closed after the request was read, without an answer: nothing kept, but the sender
cannot know), ``500``, ``400`` (the file is refused for good), ``timeout`` (no answer within the
client's time: nothing received),
``slow`` (the file is taken but the answer comes after the client gave up), ``garbled`` (the file is
taken, the answer is not JSON), ``expired`` (the token presented has expired: 401), ``duplicate``
(a file whose idempotency key was already received is answered with the earlier receipt and not kept
again), ``kill`` (in-process only: the file is taken, then the sender dies before it can record it).
Over HTTP ``timeout`` and ``slow`` wait ``delay_seconds`` before answering, and ``refused`` is a
refused connection: when it is the next fault (as soon as it is injected, or once the calls before it
were answered) the server stops listening for ``refuse_seconds`` (or until ``listen_again()``), so
that the next connection, whichever endpoint it is for (the token endpoint is on the same port), is
refused by the system and never reaches the fake, which does not see it (``refusals`` counts the
windows). A ``refused`` drawn by a ``fault_picker`` comes too late for that (the connection is made):
over HTTP it is a ``reset``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalicelib.clients import asaqc as remote

FAULTS = ("refused", "reset", "500", "400", "timeout", "slow", "garbled", "expired", "duplicate", "kill")
TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret


class SenderKilled(BaseException):
    """The sender dies (in-process fault ``kill``): raised past every ``except Exception``."""


@dataclass
class Answer:
    status: int
    body: Any
    # What the transport does instead of (or after) answering: refused, timeout, slow, kill.
    effect: str | None = None

    def payload(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


class FakeVesselTrack:
    def __init__(
        self,
        client_id: str = "dougal-local",
        client_secret: str | None = None,
        subscription_key: str | None = None,
        token_lifetime: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.subscription_key = subscription_key
        self.token_lifetime = token_lifetime
        self.clock = clock
        self.lock = threading.RLock()
        self.receipts: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.faults: list[str] = []
        # Draws the fault of each upload call when no queued fault is left (the simulation's dice).
        self.fault_picker: Callable[[dict[str, Any]], str | None] | None = None
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.lookups = 0
        self.refusals = 0
        # Called (outside the lock) once faults were injected and after every upload call: the HTTP
        # server's chance to stop listening when the next fault is ``refused``.
        self.on_faults: Callable[[], None] | None = None

    # ------------------------------------------------------------ state

    def reset(self) -> None:
        with self.lock:
            self.receipts.clear()
            self.requests.clear()
            self.faults.clear()
            self.tokens.clear()
            self.token_requests = 0
            self.lookups = 0
            self.refusals = 0

    def inject(self, *faults: str) -> None:
        """Faults for the next upload calls, in order (the HTTP server is told, outside the lock)."""
        unknown = [f for f in faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
        with self.lock:
            self.faults.extend(faults)
        if self.on_faults is not None:
            self.on_faults()

    def take_refusal(self) -> bool:
        """Whether the next fault is ``refused``; if so it is taken (the caller refuses the connection)."""
        with self.lock:
            if not self.faults or self.faults[0] != "refused":
                return False
            self.faults.pop(0)
            self.refusals += 1
            return True

    def received(self, sha256: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.receipts if sha256 is None or r["sha256"] == sha256]

    # ------------------------------------------------------------ requests

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes | None) -> Answer:
        lowered = {k.lower(): v for k, v in headers.items()}
        if method == "POST" and path == "/fake/faults":  # outside the lock: inject tells the server
            try:
                self.inject(*json.loads(body or b"{}").get("faults", []))
            except (ValueError, AttributeError, TypeError) as exc:
                return Answer(400, {"message": str(exc)})
            return Answer(204, None)
        with self.lock:
            if method == "POST" and path == TOKEN_PATH:
                return self._token(body or b"")
            if method == "POST" and path == remote.UPLOAD_PATH:
                return self._upload(lowered, body or b"")
            if method == "GET" and path == remote.RECEIPTS_PATH:
                denied = self._denied(lowered)
                if denied:
                    return denied
                self.lookups += 1
                key = (parse_qs(query).get("idempotencyKey") or [""])[0]
                return Answer(200, [self._public(r) for r in self.receipts if r["idempotencyKey"] == key])
            if method == "GET" and path == "/fake/receipts":
                return Answer(200, [{**self._public(r), "size": r["size"]} for r in self.receipts])
            if method == "GET" and path == "/fake/requests":
                return Answer(200, [dict(r) for r in self.requests])
            if method == "POST" and path == "/fake/reset":
                self.reset()
                return Answer(204, None)
            return Answer(404, {"message": f"no route {method} {path}"})

    def _token(self, body: bytes) -> Answer:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return Answer(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Answer(401, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = self.clock() + self.token_lifetime
        return Answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": int(self.token_lifetime)})

    def _denied(self, headers: dict[str, str]) -> Answer | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or self.tokens.get(token, 0.0) <= self.clock():
            return Answer(401, {"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."})
        if self.subscription_key and headers.get("ocp-apim-subscription-key") != self.subscription_key:
            return Answer(401, {"statusCode": 401, "message": "Access denied due to invalid subscription key."})
        return None

    def _upload(self, headers: dict[str, str], body: bytes) -> Answer:
        key = headers.get("idempotency-key", "")
        call = headers.get("x-dougal-call")
        try:
            document = json.loads(body)
            name = str(document["fileName"])
            data = base64.b64decode(document["fileContent"], validate=True)
        except (ValueError, KeyError, TypeError):
            name, data = "", None
        info = {"idempotencyKey": key, "call": call, "fileName": name}
        fault = self.faults.pop(0) if self.faults else (self.fault_picker(info) if self.fault_picker else None)
        record: dict[str, Any] = {**info, "fault": fault, "status": None, "stored": False}
        self.requests.append(record)
        if fault in ("refused", "reset"):
            return Answer(0, None, effect=fault)
        if fault == "expired":
            _, _, token = headers.get("authorization", "").partition(" ")
            self.tokens.pop(token, None)
        denied = self._denied(headers)
        if denied:
            record["status"] = denied.status
            return denied
        if data is None:
            record["status"] = 400
            return Answer(400, {"message": "fileName and fileContent (base64) are required"})
        if fault == "500":
            record["status"] = 500
            return Answer(500, {"message": "Internal server error"})
        if fault == "400":
            record["status"] = 400
            return Answer(400, {"message": "The file was refused"})
        if fault == "timeout":
            return Answer(0, None, effect="timeout")
        if fault == "duplicate":
            earlier = [r for r in self.receipts if key and r["idempotencyKey"] == key]
            if earlier:
                record["status"] = 200
                return Answer(200, {"id": earlier[0]["id"], "fileName": earlier[0]["fileName"], "duplicate": True})
        receipt = {
            "id": str(uuid.uuid4()),
            "fileName": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "idempotencyKey": key,
            "call": call,
            "receivedOn": self.clock(),
            "data": data,
        }
        self.receipts.append(receipt)
        record.update(status=200, stored=True)
        answer = Answer(200, {"id": receipt["id"], "fileName": name})
        if fault == "garbled":
            answer.body = b"<html>Gateway says OK</html>"
        if fault in ("slow", "kill"):
            answer.effect = fault
        return answer

    @staticmethod
    def _public(receipt: dict[str, Any]) -> dict[str, Any]:
        return {k: receipt[k] for k in ("id", "fileName", "sha256", "idempotencyKey", "call", "receivedOn")}

    # ------------------------------------------------------------ transports

    def transport(self) -> InProcessTransport:
        return InProcessTransport(self)


class InProcessTransport:
    """The client's transport, answered by the fake in this process (no sockets, no sleeping)."""

    def __init__(self, fake: FakeVesselTrack) -> None:
        self.fake = fake

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> remote.HttpResponse:
        parts = urlsplit(url)
        answer = self.fake.handle(method, parts.path, parts.query, headers, body)
        if answer.effect == "refused":
            raise remote.ConnectionRefused(f"request to {url} failed, reason: connect ECONNREFUSED")
        if answer.effect == "reset":
            raise remote.TransportError(f"request to {url} failed, reason: socket hang up (ECONNRESET)")
        if answer.effect in ("timeout", "slow"):
            raise remote.Timeout(f"request to {url} timed out after {timeout} s")
        if answer.effect == "kill":
            raise SenderKilled(url)
        return remote.HttpResponse(answer.status, answer.payload() if answer.body is not None else b"")


class FakeServer:
    """The fake over HTTP on a loopback port, in a thread of its own.

    ``refused`` faults are refused connections: the listening socket is closed for ``refuse_seconds``
    (``listen_again()`` ends the refusal sooner) and opened again on the same port.
    """

    def __init__(
        self,
        fake: FakeVesselTrack,
        host: str = "127.0.0.1",
        port: int = 0,
        delay_seconds: float = 30.0,
        refuse_seconds: float = 2.0,
    ):
        self.fake = fake
        self.delay_seconds = delay_seconds
        self.refuse_seconds = refuse_seconds
        self.listening = threading.Event()
        self._switch = threading.Lock()
        self._reopen: threading.Timer | None = None
        self._stopped = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                answer = fake.handle(self.command, parts.path, parts.query, dict(self.headers.items()), body)
                if parts.path == remote.UPLOAD_PATH:
                    # Before answering: the sender cannot have begun its next call yet, so no connection
                    # is left waiting in the closed socket's backlog (those are reset, not refused).
                    server.refuse_if_next()
                self._answer(answer)

            def _answer(self, answer: Answer) -> None:
                if answer.effect in ("refused", "reset"):  # a refusal drawn too late: a reset
                    self.close_connection = True
                    return
                if answer.effect in ("timeout", "slow"):
                    time.sleep(server.delay_seconds)
                    if answer.effect == "timeout":
                        self.close_connection = True
                        return
                payload = answer.payload() if answer.body is not None else b""
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        self.handler = Handler
        self.httpd = self._bind(host, port)
        self.address: tuple[str, int] = (str(self.httpd.server_address[0]), int(self.httpd.server_address[1]))
        self.thread = threading.Thread(target=self._serve, args=(self.httpd,), name="fake-vessel-track", daemon=True)

    def _bind(self, host: str, port: int) -> ThreadingHTTPServer:
        httpd = ThreadingHTTPServer((host, port), self.handler)
        httpd.daemon_threads = True
        return httpd

    @staticmethod
    def _serve(httpd: ThreadingHTTPServer) -> None:
        httpd.serve_forever(poll_interval=0.05)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.fake.on_faults = self.refuse_if_next
        self.thread.start()
        self.listening.set()
        self.refuse_if_next()
        return self

    def refuse_if_next(self) -> None:
        """Stop listening when the next fault is ``refused``: the next connection is refused."""
        with self._switch:
            if self._stopped or not self.listening.is_set() or not self.fake.take_refusal():
                return
            self.listening.clear()
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
            self._reopen = threading.Timer(self.refuse_seconds, self.listen_again)
            self._reopen.daemon = True
            self._reopen.start()

    def listen_again(self) -> None:
        """End a refusal: listen on the same port again (then refuse again if ``refused`` is next)."""
        with self._switch:
            if self._reopen is not None:
                self._reopen.cancel()
                self._reopen = None
            if self._stopped or self.listening.is_set():
                return
            self.httpd = self._bind(*self.address)
            self.thread = threading.Thread(
                target=self._serve, args=(self.httpd,), name="fake-vessel-track", daemon=True
            )
            self.thread.start()
            self.listening.set()
        self.refuse_if_next()

    def stop(self) -> None:
        with self._switch:
            self._stopped = True
            if self._reopen is not None:
                self._reopen.cancel()
            if self.fake.on_faults == self.refuse_if_next:
                self.fake.on_faults = None
            if self.listening.is_set():
                self.httpd.shutdown()
                self.httpd.server_close()
                self.thread.join(timeout=5)
                self.listening.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A fake Vessel Track API (ASAQC) on a loopback port")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--client-id", default="dougal-local")
    parser.add_argument("--client-secret", default=None, help="default: generated and printed")
    parser.add_argument("--delay", type=float, default=30.0, help="seconds the timeout and slow faults wait")
    parser.add_argument("--refuse", type=float, default=2.0, help="seconds a refused fault stops listening")
    args = parser.parse_args(argv)
    fake = FakeVesselTrack(client_id=args.client_id, client_secret=args.client_secret)
    server = FakeServer(fake, port=args.port, delay_seconds=args.delay, refuse_seconds=args.refuse).start()
    print(f"fake Vessel Track on {server.url}: client id {fake.client_id}, secret {fake.client_secret}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
