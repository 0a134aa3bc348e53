"""The local server answers the office page's built files at ``/`` and ``/assets/…``, and nothing else of the
folder: other paths and methods reach the API, names that leave the folder are not served."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local_api import LocalAPI
from tests.integration.test_local_api import make_app


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[LocalAPI, Path]]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>office</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log('page')")
    (dist / "assets" / "notes.txt").write_text("not a page file")
    (tmp_path / "secret.html").write_text("outside the build")
    server = LocalAPI(make_app(), port=0, threads=2, static=dist)
    server.start()
    yield server, dist
    server.stop()


def call(port: int, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_the_page_and_its_assets_are_served_with_their_types_and_caching(site):
    server, _ = site
    status, headers, body = call(server.port, "GET", "/")
    assert status == 200 and body.startswith(b"<!doctype html>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in headers["content-security-policy"]
    status, headers, body = call(server.port, "GET", "/assets/index-abc123.js?v=1")
    assert status == 200 and body == b"console.log('page')"
    assert headers["content-type"].startswith("text/javascript")
    assert "immutable" in headers["cache-control"]
    status, headers, body = call(server.port, "HEAD", "/")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


@pytest.mark.parametrize(
    "path",
    ["/assets/../../secret.html", "/assets/%2e%2e/secret.html", "/assets/notes.txt", "/assets/", "/secret.html"],
)
def test_nothing_outside_the_build_or_of_another_type_is_served(site, path):
    server, _ = site
    status, _, body = call(server.port, "GET", path)
    assert status in (403, 404) and b"outside the build" not in body and b"not a page file" not in body


def test_other_paths_and_methods_reach_the_api(site):
    server, _ = site
    status, _, body = call(server.port, "GET", "/items/one")
    assert status == 200 and b'"name":"one"' in body.replace(b" ", b"")
    status, _, _ = call(server.port, "POST", "/")
    assert status != 200
