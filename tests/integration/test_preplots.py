"""Preplot files through the import: what a new version keeps (NTBA, remarks, meta) and what P1/90 end
points fill in. The numbers they give are in ``test_ingest.py``; points, indexes and rounding in
``test_ingest_points.py``; datums in ``test_ingest_datums.py``."""

from __future__ import annotations

import json

import pytest

from dougal_sim import simulator as sim
from tests.integration.factories import as_role
from tests.integration.ingest_support import api, files, survey, upload


def test_preplot_update_keeps_ntba_remarks_and_meta(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/v1.sps", sim.write_sps_preplot(srv))
    headers = {**as_role("user"), "Content-Type": "application/json"}
    body = json.dumps({"remarks": "shoot last", "meta": {"priority": 3}, "complete": True}).encode()
    assert client.patch("/project/alpha/line/5212", headers=headers, body=body).status_code == 204
    assert api(client, "/project/alpha")[1]["ntba"] == 120
    moved = survey(origin=(470000.5, 6560000.5))
    upload(aws, "alpha/preplot/v2.p111", sim.write_p111_preplot(moved))
    assert files()[-1]["status"] == "imported"
    line = next(x for x in api(client, "/project/alpha/line")[1] if x["line"] == 5212)
    assert (line["remarks"], line["meta"]) == ("shoot last", {"priority": 3})
    assert api(client, "/project/alpha")[1]["ntba"] == 120
    from chalicelib import db

    row = db.connection().execute("SELECT easting FROM preplot_point WHERE line = 5210 AND point = 1000").fetchone()
    assert row["easting"] == pytest.approx(470000.5, abs=0.01)


def test_p190_preplot_end_points_are_interpolated(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/ends.p190", sim.write_p190_preplot(srv, endpoints_only=True))
    summary = api(client, "/project/alpha")[1]
    assert (summary["lines"], summary["total"]) == (4, 480)
    lon, lat = (
        __import__("chalicelib.db", fromlist=["x"])
        .connection()
        .execute("SELECT lon, lat FROM preplot_point WHERE line = 5210 AND point = 1050")
        .fetchone()
        .values()
    )
    truth = next(p for p in srv.preplot_line(5210) if p.point == 1050)
    assert (lon, lat) == (pytest.approx(truth.lon, abs=1e-5), pytest.approx(truth.lat, abs=1e-5))
