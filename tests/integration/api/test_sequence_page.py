"""``GET …/sequence/{n}`` as ``text/html``: a page with the sequence's figures, event log and QC findings."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

import pytest

from dougal_sim import simulator as sim
from dougal_sim.simulator import Fault
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, run_qc, survey, upload

START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture
def sequence55(client, aws):
    make_project("alpha", configuration=CONFIGURATION)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(survey()))
    truth = survey().sequence(55, 5210, start=START, faults=[Fault("gap", 1030, count=2)])
    upload(aws, f"alpha/final/{truth.line_name}.p111", sim.write_p111(truth, kind="final"))
    run_qc()
    created = client.request(
        "POST",
        "/project/alpha/event",
        body=json.dumps({"sequence": 55, "point": 1010, "remarks": HOSTILE}).encode(),
        headers={**as_role("user"), "Content-Type": "application/json"},
    )
    assert created.status_code == 201, created.body
    return client


def get(client, accept):
    return client.get("/project/alpha/sequence/55", headers={**as_role("guest"), "Accept": accept})


def test_the_page_shows_figures_log_and_findings_escaped(sequence55):
    response = get(sequence55, "text/html")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.body.decode()
    # Escaped: the remark's markup is text, never markup; no script at all.
    assert "<script" not in page.lower() and "<b>" not in page
    assert html.escape(HOSTILE, quote=True) in page
    # The figures are those of the JSON answer.
    figures = json.loads(get(sequence55, "application/json").body)
    cells = dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]*)</td></tr>", page))
    assert cells["Sequence"] == "55"
    assert cells["Line"] == f"{figures['line']} (attempt {figures['attempt']})"
    assert cells["Shot points"] == str(figures["num_points"])
    assert cells["Missing shots"] == str(figures["missing_shots"]) == "2"
    assert cells["Length (m)"] == f"{figures['length']:,.1f}"
    assert cells["First shot (FSP)"].startswith(f"{figures['fsp']} at ")
    # The event log has the user's remark; the QC findings their test and acceptance.
    assert "Event log (" in page and ">1010<" in page
    tree = json.loads(sequence55.get("/project/alpha/qc/results", headers=as_role("guest")).body)
    found = [f for test in tree.values() for f in test["sequences"].get("55", {}).get("findings", [])]
    assert found and f"QC findings ({len(found)})" in page
    assert "missing_shots" in page and "<td>no</td></tr>" in page


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("text/html;q=0.4, application/json;q=0.6", "application/json"),
        ("text/*", "text/html"),
        ("application/vnd.seis+json;q=0.9, text/html;q=0.1", "application/vnd.seis+json"),
        ("*/*", "application/json"),
    ],
)
def test_q_values_choose_the_representation(sequence55, accept, media_type):
    response = get(sequence55, accept)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type


def test_406_lists_every_offer(sequence55):
    response = get(sequence55, "text/csv, image/*")
    assert response.status_code == 406
    message = json.loads(response.body)["message"]
    assert message.endswith(
        "available: application/json, application/geo+json, application/vnd.seis+json, application/pdf, text/html"
    )


def test_an_unknown_sequence_is_404_as_a_page_too(sequence55):
    response = sequence55.get("/project/alpha/sequence/56", headers={**as_role("guest"), "Accept": "text/html"})
    assert response.status_code == 404
