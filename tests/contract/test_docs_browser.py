"""``GET /docs`` in a real browser: Swagger UI, from the installed package, shows every operation of the served
document and asks no other host for anything (the page must work on board without internet).

The app is served as ``make run`` serves it (``scripts.local_api.GatewayApplication``) on a free port; Debian's
Chromium drives the page, as for the office page's tests.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic"]

if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)


def test_swagger_ui_shows_every_operation_and_asks_no_other_host():
    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from app import app
    from scripts.local_api import GatewayApplication, chalice_config
    from tests.openapi_answers import METHODS, served

    server = create_server(GatewayApplication(app, chalice_config()), host="127.0.0.1", port=0)
    origin = f"http://127.0.0.1:{server.effective_port}"
    threading.Thread(target=server.run, daemon=True).start()
    elsewhere: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.on("request", lambda r: None if r.url.startswith(origin + "/") else elsewhere.append(r.url))
            page.goto(f"{origin}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            shown = page.locator(".opblock").count()
            title = page.locator("h2.title").first.inner_text()
            browser.close()
    finally:
        server.close()
    document = served()
    # Swagger UI lists an operation under each of its tags (the metadata operations have two).
    listed = sum(len(op["tags"]) for item in document["paths"].values() for m, op in item.items() if m in METHODS)
    assert shown == listed > 60
    assert title.split()[:2] == ["Dougal", document["info"]["version"]]
    assert elsewhere == []
