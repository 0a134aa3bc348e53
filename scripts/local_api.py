"""The local API server of ``make run``: Chalice's own local gateway behind waitress.

Why not ``chalice local``'s server: it serves one request at a time per
connection thread with many small writes, and with delayed ACKs every request
cost 25-50 ms more than its handler. Here the routing is still Chalice's
(``chalice.local.LocalGateway``, exactly what ``chalice local`` uses: the same
event, the same authorizer handling, the same errors), so there is one code path
for the app; only the HTTP side changes: waitress (a production WSGI server,
a development dependency never shipped to Lambda) with a pool of threads so
requests run concurrently, ``TCP_NODELAY`` on every connection, and each
response's status line, headers and body handed to the socket in one write.

``python -m scripts.local_api`` serves the app on ``DOUGAL_PORT`` with the
environment as it is (the benchmark uses it); ``make run`` starts it from
``scripts.dev_stack``.

The office page's built files (``web/dist``, made by ``make web``) are served
here too, at ``/`` and ``/assets/…``, before a request reaches the gateway: in
AWS they sit in S3 behind the API's origin, never in a Lambda route.
"""

from __future__ import annotations

import base64
import http
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WEB_DIST = ROOT / "web" / "dist"
DEFAULT_THREADS = 8
# The page's files by extension; anything else is not served from the folder.
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".map": "application/json",
}
# Headers that belong to the connection, which the server manages (PEP 3333 forbids them in an application).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding"}
)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def chalice_config(stage: str = "dev") -> Any:
    """The stage's Chalice configuration, as ``chalice local`` reads it from ``.chalice/config.json``."""
    from chalice.config import Config

    return Config.create(
        chalice_stage=stage,
        app_name="dougal",
        project_dir=str(ROOT),
        config_from_disk=json.loads((ROOT / ".chalice" / "config.json").read_text()),
    )


def thread_local_requests(app: Any) -> None:
    """Give each thread its own ``app.current_request``, as ``chalice local`` does (``LocalChalice``)."""
    from chalice.local import LocalChalice

    if not isinstance(app, LocalChalice):
        app.__class__ = type(f"Local{type(app).__name__}", (LocalChalice, type(app)), {})


class StaticSite:
    """The office page's built files: ``/`` is ``index.html``; ``/assets/<name>`` a file of the build's
    ``assets`` folder (names carry a content hash, so they are cached for good; ``index.html`` never is).
    Only GET and HEAD of those paths are answered here; everything else goes to the API."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def file_for(self, method: str, path: str) -> Path | None:
        if method not in ("GET", "HEAD"):
            return None
        if path in ("/", "/index.html"):
            found = self.folder / "index.html"
        elif path.startswith("/assets/"):
            name = path[len("/assets/") :]
            if not name or "/" in name or "\\" in name or name.startswith(".") or "%" in name:
                return None
            found = self.folder / "assets" / name
        else:
            return None
        if found.suffix not in STATIC_TYPES or not found.is_file():
            return None
        return found

    def respond(self, method: str, found: Path, start_response: StartResponse) -> Iterable[bytes]:
        data = found.read_bytes()
        cache = "no-cache" if found.name == "index.html" else "public, max-age=31536000, immutable"
        headers = [
            ("Content-Type", STATIC_TYPES[found.suffix]),
            ("Content-Length", str(len(data))),
            ("Cache-Control", cache),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if found.name == "index.html":
            # Everything the page loads comes from this origin: no CDN, no tile server.
            headers.append(
                (
                    "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
                )
            )
        start_response("200 OK", headers)
        return [data] if method != "HEAD" else []


class GatewayApplication:
    """A WSGI application that hands every request to Chalice's ``LocalGateway`` (the page's files, when
    a ``static`` folder is given, are answered first)."""

    def __init__(self, app: Any, config: Any, static: Path | None = None) -> None:
        from chalice.local import LocalGateway

        thread_local_requests(app)
        self.gateway = LocalGateway(app, config)
        self.static = StaticSite(static) if static is not None else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        from chalice.local import LocalGatewayException

        method = environ["REQUEST_METHOD"]
        if self.static is not None:
            found = self.static.file_for(method, urlsplit(request_target(environ)).path)
            if found is not None:
                return self.static.respond(method, found, start_response)
        headers = request_headers(environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else None
        try:
            response = self.gateway.handle_request(
                method=method, path=request_target(environ), headers=headers, body=body
            )
            status = int(response["statusCode"])
            single = dict(response.get("headers") or {})
            multi = dict(response.get("multiValueHeaders") or {})
            payload = response.get("body")
            if response.get("isBase64Encoded") and payload is not None:
                payload = base64.b64decode(payload)
        except LocalGatewayException as exc:
            status, single, multi, payload = exc.CODE, dict(exc.headers), {}, exc.body
        data = b"" if payload is None else payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
        out: list[tuple[str, str]] = []
        for name, value in single.items():
            if name not in multi:
                out.extend(_header(name, value))
        for name, values in multi.items():
            for value in values if isinstance(values, list) else [values]:
                out.extend(_header(name, value))
        if payload is not None and not any(name.lower() == "content-type" for name, _ in out):
            out.append(("Content-Type", "application/json"))
        out.append(("Content-Length", str(len(data))))
        start_response(f"{status} {_reason(status)}", out)
        return [data] if data and method != "HEAD" else []


def _header(name: str, value: Any) -> list[tuple[str, str]]:
    lowered = name.lower()
    if lowered in HOP_BY_HOP or lowered == "content-length":
        return []
    return [(name, str(value))]


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def request_target(environ: dict[str, Any]) -> str:
    """The path and query exactly as the client sent them (``chalice local`` routes the raw request target)."""
    raw = environ.get("REQUEST_URI")
    if raw:
        if raw.startswith(("http://", "https://")):
            parts = urlsplit(raw)
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return str(raw)
    query = environ.get("QUERY_STRING")
    return environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """Request headers, lower-case names (API Gateway's spelling, which Chalice expects)."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _single_write_channel() -> type:
    """A waitress channel whose tasks write the status line, headers and body of a response in one go.

    waitress writes the headers as soon as they are built and the body after;
    with a known length and one body chunk (every response here) we hand both
    to the socket at once, so a response is one segment, not two.
    """
    from waitress.channel import HTTPChannel
    from waitress.task import WSGITask

    class SingleWriteTask(WSGITask):
        def write(self, data: bytes) -> None:
            if (
                not self.wrote_header
                and data
                and self.has_body
                and self.content_length is not None
                and len(data) == self.content_length
            ):
                # A known length: never chunked, so the header is final here.
                header = self.build_response_header()
                self.wrote_header = True
                self.content_bytes_written += len(data)
                self.channel.write_soon(header + data)
                return
            super().write(data)

    class SingleWriteChannel(HTTPChannel):
        task_class = SingleWriteTask

    return SingleWriteChannel


class LocalAPI:
    """The app served on ``host:port`` by a pool of ``threads``; ``start()`` in a thread, ``stop()`` from another."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 8000,
        threads: int | None = None,
        static: Path | None = None,
    ) -> None:
        import logging
        import socket

        from waitress.server import create_server

        # "Task queue depth is N": every thread busy for a moment, which concurrent clients make normal here.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

        self.threads = threads or int(os.environ.get("DOUGAL_API_THREADS", DEFAULT_THREADS))
        self.server = create_server(
            GatewayApplication(app, chalice_config(), static),
            host=host,
            port=port,
            threads=self.threads,
            ident="dougal",
            asyncore_use_poll=True,
            clear_untrusted_proxy_headers=True,
        )
        nodelay = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # waitress's default too; it is the point, so insist
        if nodelay not in self.server.adj.socket_options:
            self.server.adj.socket_options = [*self.server.adj.socket_options, nodelay]
        self.server.channel_class = _single_write_channel()
        self.port = int(self.server.effective_port)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def serve(self) -> None:
        """Serve until ``stop()``: waitress's own loop, one poll at a time so that a stop is seen promptly."""
        from waitress import wasyncore

        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=0.2, use_poll=True, map=self.server._map, count=1)
        finally:
            self.server.task_dispatcher.shutdown()
            wasyncore.close_all(self.server._map)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve, name="api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def main() -> int:
    import app as app_module

    static = WEB_DIST if (WEB_DIST / "index.html").is_file() else None
    api = LocalAPI(app_module.app, port=int(os.environ.get("DOUGAL_PORT", "8000")), static=static)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    api.start()
    print(f"[dougal] API on http://127.0.0.1:{api.port} ({api.threads} threads)", flush=True)
    stop.wait()
    api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
