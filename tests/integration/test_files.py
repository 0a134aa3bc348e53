"""``GET …/files``: every uploaded file with its outcome, and the rejections a navigator reads there."""

from __future__ import annotations

from datetime import UTC, datetime

from dougal_sim import simulator as sim
from tests.integration.ingest_support import api, count, files, survey, upload

START = datetime(2021, 10, 8, 23, 40, tzinfo=UTC)


def test_files_listing(client, project):
    from chalicelib import aws

    truth = survey().sequence(55, 5210, start=START)
    upload(aws, "alpha/raw/seq055.p111", sim.write_p111(truth, kind="raw"))
    upload(aws, "alpha/raw/broken.p190", "S5210  garbage\n")
    upload(aws, "alpha/elsewhere/x.p111", "whatever")
    status, listed = api(client, "/project/alpha/files")
    assert status == 200
    assert [f["key"] for f in listed] == ["alpha/elsewhere/x.p111", "alpha/raw/broken.p190", "alpha/raw/seq055.p111"]
    good = listed[2]
    assert (good["kind"], good["format"], good["status"], good["records"], good["sequence"]) == (
        "raw",
        "p111",
        "imported",
        len(truth.shots),
        55,
    )
    assert len(good["sha256"]) == 64 and good["size"] > 0 and good["imported_on"]
    assert listed[1]["status"] == "rejected" and "line" in listed[1]["message"]
    assert listed[0]["status"] == "rejected" and "preplot|raw|final" in listed[0]["message"]
    assert [f["key"] for f in api(client, "/project/alpha/files?limit=1&offset=1")[1]] == ["alpha/raw/broken.p190"]
    assert api(client, "/project/alpha/files?limit=0")[0] == 400


def test_file_matching_no_line_pattern_is_rejected(client, project):
    from chalicelib import aws

    truth = survey().sequence(55, 5210, start=START)
    text = sim.write_p111(truth, kind="raw").replace(truth.line_name, "LINE-5210-X")
    upload(aws, "alpha/raw/unnamed.p111", text)
    [row] = files()
    assert row["status"] == "rejected" and "line pattern" in row["message"]
    assert count("SELECT count(*) FROM shot") == 0
