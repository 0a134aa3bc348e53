"""``GET /capabilities``: public, and every figure read from the code it describes."""

from __future__ import annotations

import json

from chalicelib import API_VERSION, parsers
from chalicelib.api import events as events_api
from chalicelib.models import limits
from chalicelib.services.qc.catalogue import CATALOGUE


def test_capabilities_are_public_and_match_the_code(client):
    response = client.get("/capabilities")
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["api"] == API_VERSION
    assert [f["format"] for f in body["formats"]] == list(parsers.FORMATS)
    assert body["qc"] == CATALOGUE
    assert body["media_types"]["GET /project/{project}/event"] == list(events_api.REPRESENTATIONS)
    from chalicelib.services import seis

    assert seis.MEDIA_TYPE in body["media_types"]["GET /project/{project}/sequence/{sequence}"]
    assert body["limits"]["meta_bytes_max"] == limits.MAX_META_BYTES
    assert body["limits"]["json_depth_max"] == limits.MAX_JSON_DEPTH
    from chalicelib.models.audit import MAX_AUDIT_PAGE

    assert body["limits"]["audit_page_max"] == MAX_AUDIT_PAGE
    from chalicelib.api import sequences as sequences_api

    assert body["media_types"]["GET /project/{project}/sequence/{sequence}"] == list(
        sequences_api.SEQUENCE_REPRESENTATIONS
    )
    assert "text/html" in sequences_api.SEQUENCE_REPRESENTATIONS


def test_every_route_that_negotiates_declares_its_media_types():
    """A view calling ``http.negotiate`` must list what it offers in its ``route(…, media_types=…)``, so that
    ``/capabilities`` (and the office page) can tell a client what to ask for."""
    import inspect

    from app import app
    from chalicelib.api import http

    undeclared = []
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            source = inspect.getsource(inspect.unwrap(entry.view_function))
            if "negotiate(" in source and (path, method) not in http.MEDIA_TYPES:
                undeclared.append(f"{method} {path}")
    assert undeclared == []


def test_the_media_type_names_of_the_api_are_the_services():
    """The API names media types itself (so importing it loads no service); they must be the services' own."""
    from chalicelib.api import events as events_api
    from chalicelib.api import sequences as sequences_api
    from chalicelib.services import linelog, seis

    assert events_api.SEIS == sequences_api.SEIS == seis.MEDIA_TYPE
    assert sequences_api.PDF == linelog.MEDIA_TYPE
