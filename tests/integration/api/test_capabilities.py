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


def test_integrations_upload_limit_and_dialects_are_the_codes(client, monkeypatch):
    from chalicelib.clients import asaqc
    from chalicelib.models.queue import RetryPolicy
    from chalicelib.parsers import DIALECTS
    from chalicelib.settings import get_settings
    from tests.integration.conftest import reload_settings

    monkeypatch.setenv("DOUGAL_MAX_UPLOAD_BYTES", "12345678")
    monkeypatch.setenv("DOUGAL_ASAQC_BATCH", "7")
    reload_settings()
    body = json.loads(client.get("/capabilities").body)
    assert body["limits"]["upload_bytes_max"] == get_settings().max_upload_bytes == 12345678

    found = body["integrations"]["asaqc"]
    # The paths the client calls and the defaults the sender retries with.
    assert found["upload_path"] == asaqc.UPLOAD_PATH and found["receipts_path"] == asaqc.RECEIPTS_PATH
    assert found["upload_path"].endswith("/upload-file-encoded")
    policy = RetryPolicy.from_configuration({})[0]
    assert found["retry"] == {"base_seconds": policy.base, "factor": policy.factor, "max_attempts": policy.max_attempts}
    assert policy.delay_seconds(1) == found["retry"]["base_seconds"]
    assert policy.delay_seconds(2) == found["retry"]["base_seconds"] * found["retry"]["factor"]
    assert found["retried_statuses"] == sorted(asaqc.RETRYABLE_4XX)
    assert all(asaqc._retryable(s) for s in found["retried_statuses"]) and not asaqc._retryable(404)
    assert (found["batch"], found["timeout_seconds"]) == (7, get_settings().asaqc_timeout_seconds)
    assert (found["configured"], found["receipt_lookup"]) == (False, False)
    monkeypatch.setenv("DOUGAL_ASAQC_API_URL", "http://127.0.0.1:9/")
    reload_settings()
    assert json.loads(client.get("/capabilities").body)["integrations"]["asaqc"]["configured"] is True

    dialects = {f["format"]: {d["name"]: d["reads"] for d in f["dialects"]} for f in body["formats"]}
    assert dialects == DIALECTS
    assert set(dialects) == set(parsers.FORMATS)


def _read_dialect_file(fmt: str, dialect: str) -> tuple[str, int]:
    """Points (a preplot) or shots (a shot file, for a dialect only shot files are written in) read from a
    small file the simulator writes in ``dialect``."""
    from datetime import UTC, datetime

    from dougal_sim import simulator as sim

    small = {"num_lines": 2, "points_per_line": 6, "first_point": 1000}
    srv = sim.feet_survey(**small) if dialect == "feet-grid" else sim.Survey(**small)
    if fmt == "sps1":
        text = sim.write_sps_preplot(srv, rev="1", dialect=dialect)
    else:
        kind = {"p111": "p111-preplot", "p190": "p190-preplot", "sps21": "sps"}[fmt]
        if dialect in sim.DIALECT_KINDS[kind]:
            text = sim.dialect_file(kind, dialect, survey=srv).text
        else:
            truth = srv.sequence(5, srv.lines[0], start=datetime(2021, 10, 8, 10, tzinfo=UTC))
            text = sim.dialect_file(fmt, dialect, truth=truth).text
            assert parsers.detect_format(text.encode()[:4096]) == fmt, (fmt, dialect)
            return "shots", len(list(parsers.shot_reader(fmt, text.splitlines(keepends=True), year=2021)))
    assert parsers.detect_format(text.encode()[:4096]) == fmt, (fmt, dialect)
    return "points", len(list(parsers.preplot_reader(fmt, text.splitlines(keepends=True))))


def test_every_dialect_listed_is_written_by_the_simulator_and_read():
    """Each (format, dialect) of the catalogue: the simulator writes a file that way (it refuses a dialect it
    does not write), detection names the format, and the reader reads it (every point of a preplot)."""
    from dougal_sim import simulator as sim

    for fmt, dialects in parsers.DIALECTS.items():
        for dialect in dialects:
            kind, count = _read_dialect_file(fmt, dialect)
            assert count == (12 if kind == "points" else 6), (fmt, dialect, kind, count)
    # Every dialect the simulator writes for a format is listed under it (the preplot writers' dialects).
    written = {
        "p111": set(sim.DIALECT_KINDS["p111"]) | set(sim.DIALECT_KINDS["p111-preplot"]),
        "p190": set(sim.DIALECT_KINDS["p190"]) | set(sim.DIALECT_KINDS["p190-preplot"]),
        "sps21": set(sim.DIALECT_KINDS["sps"]),
    }
    for fmt, names in written.items():
        assert names == set(parsers.DIALECTS[fmt]), fmt
