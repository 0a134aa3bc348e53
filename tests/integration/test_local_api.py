"""The local API server: Chalice's routing behind waitress, concurrent, one segment per response.

A small Chalice app stands in for Dougal's so that a view can be made slow or
can set several cookies; the server itself is the one ``make run`` uses.
``test_local_stack.py`` runs Dougal's own app through it.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.local_api import LocalAPI

TCP_INFO_DATA_SEGS_IN = 152  # offset of tcpi_data_segs_in in Linux's struct tcp_info


def make_app() -> Any:
    from chalice import Chalice, Response

    app = Chalice(app_name="local-api-test", configure_logs=False)

    @app.route("/slow/{tag}")
    def slow(tag: str) -> dict[str, Any]:
        time.sleep(0.5)
        request = app.current_request  # read after the sleep: another request must not have replaced it
        return {"tag": tag, "seen": request.uri_params["tag"], "query": request.query_params}

    @app.route("/items/{name}", methods=["GET", "PUT"])
    def item(name: str) -> Any:
        request = app.current_request
        if request.method == "PUT":
            return Response(body="", status_code=204)
        return {"name": name, "query": request.query_params, "cookie": request.headers.get("cookie")}

    @app.route("/cookies")
    def cookies() -> Response:
        return Response(body={"ok": True}, headers={"Set-Cookie": ["a=1; Path=/", "b=2; Path=/"]})

    @app.route("/big")
    def big() -> dict[str, str]:
        return {"text": "x" * 20_000}

    @app.route("/fails")
    def fails() -> None:
        raise RuntimeError("boom")

    @app.route("/echo", methods=["POST"], content_types=["application/octet-stream"])
    def echo() -> Response:
        return Response(body=app.current_request.raw_body, headers={"Content-Type": "application/octet-stream"})

    return app


@pytest.fixture
def api() -> Iterator[LocalAPI]:
    server = LocalAPI(make_app(), port=0, threads=8)
    server.start()
    yield server
    server.stop()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, list[str]], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        found: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            found.setdefault(name.lower(), []).append(value)
        return response.status, found, response.read()
    finally:
        conn.close()


def test_requests_run_concurrently_each_with_its_own_request(api):
    results: dict[int, Any] = {}

    def call(i: int) -> None:
        results[i] = get(api.port, f"/slow/t{i}?n={i}")

    started = time.perf_counter()
    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    # One client gets 2 of these answers a second; 8 clients at once must get at least 4 times as many
    # (a handler waiting on the database or a queue, not on the CPU, as most of the API's requests do).
    throughput = 8 / elapsed
    assert throughput >= 4 * 2, f"8 requests of 0.5 s took {elapsed:.2f} s: they were served one after another"
    for i in range(8):
        status, _, body = results[i]
        assert status == 200
        assert json.loads(body) == {"tag": f"t{i}", "seen": f"t{i}", "query": {"n": str(i)}}


def data_segments_received(sock: socket.socket) -> int:
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return int(struct.unpack_from("I", info, TCP_INFO_DATA_SEGS_IN)[0])


@pytest.mark.parametrize("path", ["/items/one", "/big", "/cookies"])
def test_every_response_arrives_in_one_segment_on_a_keep_alive_connection(api, path):
    from scripts.bench_http import KeepAliveClient

    client = KeepAliveClient(api.port)
    try:
        for _ in range(5):
            before = data_segments_received(client.sock)
            status, body = client.get(path, {})
            time.sleep(0.02)  # anything sent after the body would have arrived by now
            assert status == 200 and body
            assert data_segments_received(client.sock) - before == 1, "headers and body were written separately"
    finally:
        client.close()


def test_every_connection_has_tcp_nodelay(api):
    clients = [socket.create_connection(("127.0.0.1", api.port)) for _ in range(3)]
    try:
        for client in clients:
            client.sendall(b"GET /items/x HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        from waitress.channel import HTTPChannel

        accepted = [ch.socket for ch in list(api.server._map.values()) if isinstance(ch, HTTPChannel)]
        assert len(accepted) == 3
        assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in accepted)
    finally:
        for client in clients:
            client.close()


REQUESTS = [
    ("GET", "/items/plain", {}),
    ("GET", "/items/with%20space?a=1&a=2&b=x%2Fy", {}),
    ("GET", "/items/c", {"Cookie": "JWT=abc; other=1"}),
    ("GET", "/cookies", {}),
    ("GET", "/fails", {}),
    ("GET", "/nowhere", {}),
    ("GET", "/nowhere", {"Authorization": "Bearer x"}),
    ("POST", "/items/plain", {}),
    ("PUT", "/items/plain", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_answers_as_chalice_local_does(api, method, path, headers):
    """Same routing, same status, body, content type and cookies as ``chalice local``'s own server."""
    from chalice.local import create_local_server

    from scripts.local_api import chalice_config

    reference = create_local_server(make_app(), chalice_config(), "127.0.0.1", 0)  # the same app, its own copy
    thread = threading.Thread(target=reference.serve_forever, daemon=True)
    thread.start()
    try:
        answers = []
        for port in (api.port, reference.server.server_address[1]):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            answers.append(
                (
                    response.status,
                    response.getheader("Content-Type"),
                    sorted(v for k, v in response.getheaders() if k.lower() == "set-cookie"),
                    json.loads(body) if body else None,
                )
            )
            conn.close()
        ours, theirs = answers
        assert ours[0] == theirs[0]
        assert ours[1:] == theirs[1:] or ours[0] >= 500  # a 500's body carries its own request id
    finally:
        reference.shutdown()
        reference.server.server_close()


def test_binary_bodies_pass_through_both_ways(api):
    payload = bytes(range(256)) * 4
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    conn.request(
        "POST",
        "/echo",
        body=payload,
        headers={"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"},
    )
    response = conn.getresponse()
    assert response.status == 200
    assert response.read() == payload
    conn.close()


def test_a_no_content_answer_has_no_body(api):
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    conn.request("PUT", "/items/x")
    response = conn.getresponse()
    assert (response.status, response.read()) == (204, b"")
    conn.close()


def test_stop_closes_the_port():
    server = LocalAPI(make_app(), port=0)
    server.start()
    port = server.port
    assert get(port, "/items/a")[0] == 200
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
