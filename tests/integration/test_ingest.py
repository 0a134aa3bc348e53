"""Ingestion end to end: upload to the local S3, through the ingest queue, to the API's numbers.

Expected figures are computed here from the simulator's truth, independently of
the SQL that keeps them.
"""

from __future__ import annotations

import json
import math
import threading
from datetime import UTC, datetime, timedelta

import pytest

from dougal_sim import simulator as sim
from tests.integration.factories import as_role
from tests.integration.ingest_support import api, count, files, survey, upload

START = datetime(2021, 10, 8, 23, 40, tzinfo=UTC)


# ------------------------------------------------------------ the truth, computed independently


def first_last(truth):
    shots = sorted(truth.shots, key=lambda s: (s.tstamp, s.objref))
    return shots[0], shots[-1]


def expected_sequence(truth, srv):
    first, last = first_last(truth)
    points = {s.point for s in truth.shots}
    preplot = set(range(srv.first_point, srv.last_point + 1))
    low, high = min(first.point, last.point), max(first.point, last.point)
    missing = [p for p in preplot if low <= p <= high and p not in points]
    length = math.hypot(last.easting - first.easting, last.northing - first.northing)
    azimuth = math.degrees(math.atan2(last.easting - first.easting, last.northing - first.northing)) % 360
    return {
        "fsp": first.point,
        "lsp": last.point,
        "num_points": len(points),
        "num_preplots": len(points & preplot),
        "missing_shots": len(missing),
        "length": length,
        "azimuth": azimuth,
        "seconds": (last.tstamp - first.tstamp).total_seconds(),
    }


def expected_summary(srv, finals, ntbp=()):
    acquired: dict[tuple[int, int], int] = {}
    for truth in finals:
        if truth.sequence in ntbp:
            continue
        for line, point in {(s.line, s.point) for s in truth.shots}:
            acquired[(line, point)] = acquired.get((line, point), 0) + 1
    points = [(line, p) for line in srv.lines for p in range(srv.first_point, srv.last_point + 1)]
    counts = [acquired.get(key, 0) for key in points]
    return {
        "lines": len(srv.lines),
        "total": len(points),
        "virgin": counts.count(0),
        "prime": counts.count(1),
        "other": sum(1 for c in counts if c > 1),
    }


# ------------------------------------------------------------ the tests


def test_survey_numbers_match_the_truth(client, project):
    srv = survey()
    upload(__import__("chalicelib.aws", fromlist=["s3"]), "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    from chalicelib import aws

    # Sequence 55 crosses midnight, flip-flop, run-in/run-out outside the preplot, two missing shots.
    t55 = srv.sequence(55, 5210, start=START, run_in=4, run_out=3, missing=[1030, 1031])
    upload(aws, "alpha/raw/seq055.p111", sim.write_p111(t55, kind="raw"))
    upload(aws, "alpha/final/seq055.p111", sim.write_p111(t55, kind="final"))
    # Sequence 56: P1/90 final only, line name cut to 12 columns: the file name gives the sequence.
    t56 = srv.sequence(56, 5212, start=START + timedelta(hours=3), direction=-1)
    upload(aws, f"alpha/final/{t56.line_name}.p190", sim.write_p190(t56))
    # Sequence 57: reshoot (attempt 1) of part of line 5210: those points become "other".
    t57 = srv.sequence(57, 5210, attempt=1, start=START + timedelta(hours=6), first_point=1020, last_point=1060)
    upload(aws, "alpha/final/seq057.p111", sim.write_p111(t57, kind="final", time_system="unix"))
    # Sequence 58: raw only (not processed yet): counts in seq_raw, acquires nothing.
    t58 = srv.sequence(58, 5214, start=START + timedelta(hours=8))
    upload(aws, "alpha/raw/seq058.p111", sim.write_p111(t58, kind="raw", time_system="datetime"))

    assert [f["status"] for f in files()] == ["imported"] * 6, files()

    status, summary = api(client, "/project/alpha")
    assert status == 200
    want = expected_summary(srv, [t55, t56, t57])
    for key, value in want.items():
        assert summary[key] == value, key
    assert summary["ntba"] == 0 and summary["remaining"] == want["virgin"]
    assert summary["seq_raw"] == 2 and summary["seq_final"] == 3
    first55, _ = first_last(t55)
    _, last57 = first_last(t57)
    assert summary["fsp"]["sequence"] == 55 and summary["fsp"]["point"] == first55.point
    assert summary["lsp"]["sequence"] == 57 and summary["lsp"]["point"] == last57.point
    finals = [expected_sequence(t, srv) for t in (t55, t56, t57)]
    seconds = sum(f["seconds"] for f in finals)
    prod = summary["prod_duration"]
    assert prod["hours"] * 3600 + prod["minutes"] * 60 + prod["seconds"] + prod["milliseconds"] / 1000 == pytest.approx(
        seconds, abs=0.002
    )
    assert summary["prod_distance"] == pytest.approx(sum(f["length"] for f in finals), abs=0.5)
    assert summary["shooting_rate"] == pytest.approx(seconds / sum(f["num_points"] - 1 for f in finals), rel=1e-6)

    status, sequences = api(client, "/project/alpha/sequence")
    by_number = {s["sequence"]: s for s in sequences}
    assert sorted(by_number) == [55, 56, 57, 58]
    for truth in (t55, t56, t57, t58):
        got, want = by_number[truth.sequence], expected_sequence(truth, srv)
        assert got["line"] == truth.line
        assert got["num_points"] == want["num_points"], truth.sequence
        assert got["num_preplots"] == want["num_preplots"], truth.sequence
        assert got["missing_shots"] == want["missing_shots"], truth.sequence
        assert got["length"] == pytest.approx(want["length"], abs=0.5)
        assert got["azimuth"] == pytest.approx(want["azimuth"], abs=0.05)
    assert by_number[55]["status"] == "final" and by_number[58]["status"] == "raw"
    assert by_number[55]["missing_shots"] == 2
    assert by_number[57]["attempt"] == 1
    assert (by_number[55]["fsp"], by_number[55]["lsp"]) == (first55.point, first_last(t55)[1].point)
    duration = by_number[55]["duration"]
    assert duration["hours"] * 3600 + duration["minutes"] * 60 + duration["seconds"] == int(
        expected_sequence(t55, srv)["seconds"]
    )
    assert by_number[55]["ts0"].startswith("2021-10-08T23:40") and by_number[55]["ts1"].startswith("2021-10-09")

    status, lines = api(client, "/project/alpha/line")
    line5210 = next(line for line in lines if line["line"] == 5210)
    shot_5210 = {s.point for s in t55.shots} | {s.point for s in t57.shots}
    assert line5210["num_points"] == 120 and line5210["fsp"] == 1000 and line5210["lsp"] == 1119
    assert line5210["na"] == sum(1 for p in range(1000, 1120) if p not in shot_5210)
    assert line5210["tba"] == line5210["na"]
    assert line5210["length"] == pytest.approx(119 * 25.0, abs=0.15)  # SPS keeps 0.1 m
    assert line5210["azimuth"] == pytest.approx(60.0, abs=0.01)
    assert line5210["incr"] is True
    # Trailing-slash forms answer the same.
    assert api(client, "/project/alpha/line/")[1] == lines
    assert api(client, "/project/alpha/sequence/")[1] == sequences


def test_shotpoint_representations(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, start=START, sources=(3, 4))
    upload(aws, "alpha/raw/seq055.p111", sim.write_p111(truth, kind="raw"))
    shot = next(s for s in truth.shots if s.point == 1010)
    status, body = api(client, "/project/alpha/sequence/55/1010")
    assert status == 200
    assert (body["sequence"], body["line"], body["point"], body["objref"]) == (55, 5210, 1010, shot.objref)
    assert datetime.fromisoformat(body["tstamp"]) == shot.tstamp
    lon, lat = body["geometry"]["coordinates"]
    assert (lon, lat) == (pytest.approx(shot.lon, abs=1e-7), pytest.approx(shot.lat, abs=1e-7))
    assert body["hash"] == files()[-1]["sha256"]
    # No final file yet: kind=final is 404; kind=raw is the same shot.
    assert api(client, "/project/alpha/sequence/55/1010?kind=final")[0] == 404
    assert api(client, "/project/alpha/sequence/55/1010?kind=raw")[1] == body
    assert api(client, "/project/alpha/sequence/55/5")[0] == 404
    assert api(client, "/project/alpha/sequence/55/1010?kind=both")[0] == 400
    # Once a final file exists, no kind is still kind=raw (the spec's default); kind=final the final shot.
    processed = sim.write_p111(truth, kind="final")
    assert processed != sim.write_p111(truth, kind="raw")
    upload(aws, "alpha/final/seq055.p111", processed)
    assert api(client, "/project/alpha/sequence/55/1010")[1] == body
    final = api(client, "/project/alpha/sequence/55/1010?kind=final")[1]
    assert final["hash"] == files()[-1]["sha256"] != body["hash"]
    # Projection: separators, dotted names, unknown names ignored.
    assert api(client, "/project/alpha/sequence/55/1010?project=point;objref,geometry.coordinates:nonsense")[1] == {
        "point": 1010,
        "objref": shot.objref,
        "geometry": body["geometry"],
    }
    # GeoJSON Feature on request; 406 for what we cannot give.
    status, feature = api(client, "/project/alpha/sequence/55/1010", Accept="application/geo+json")
    assert feature["type"] == "Feature" and feature["geometry"] == body["geometry"]
    assert feature["properties"]["point"] == 1010
    assert api(client, "/project/alpha/sequence/55/1010", Accept="text/csv")[0] == 406


def test_flip_flop_and_simultaneous_sources_keep_every_record(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    flip = srv.sequence(55, 5210, start=START, sources=(3, 4))
    both = srv.sequence(56, 5212, start=START + timedelta(hours=2), sources=(3, 4), simultaneous=True)
    upload(aws, "alpha/final/a.p111", sim.write_p111(flip))
    upload(aws, "alpha/final/b.p111", sim.write_p111(both))
    assert count("SELECT count(*) FROM shot WHERE sequence = 55") == len(flip.shots) == 120
    assert count("SELECT count(*) FROM shot WHERE sequence = 56") == len(both.shots) == 240
    objrefs = [
        r["objref"]
        for r in __import__("chalicelib.db", fromlist=["x"])
        .connection()
        .execute("SELECT objref FROM shot WHERE sequence = 55 ORDER BY tstamp")
    ]
    assert objrefs[:4] == [3, 4, 3, 4]
    assert api(client, "/project/alpha/sequence/56")[1]["num_points"] == 120


def test_same_bytes_again_do_no_new_work(client, project):
    from chalicelib import aws

    srv = survey()
    truth = srv.sequence(55, 5210, start=START)
    text = sim.write_p111(truth, kind="raw")
    upload(aws, "alpha/raw/seq055.p111", text)
    before = api(client, "/project/alpha/sequence/55")[1]
    upload(aws, "alpha/raw/seq055-copy.p111", text)
    rows = files()
    assert [r["status"] for r in rows] == ["imported", "imported"]
    assert "same content" in rows[1]["message"] and rows[0]["message"] is None
    assert count("SELECT count(*) FROM shot") == len(truth.shots)
    assert api(client, "/project/alpha/sequence/55")[1] == before
    assert count("SELECT raw_upload_id FROM sequence WHERE sequence = 55") == 1


def test_redelivered_message_is_not_imported_twice(client, project):
    from chalicelib import aws
    from tests.integration.ingest_support import deliver_all

    truth = survey().sequence(55, 5210, start=START)
    aws.s3().put_object(Bucket="dougal-uploads", Key="alpha/raw/s.p111", Body=sim.write_p111(truth, kind="raw"))
    url = aws.queue_url("dougal-dev-ingest")
    messages = aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    for message in messages:  # the same notification arrives twice, e.g. after a visibility timeout
        aws.sqs().send_message(QueueUrl=url, MessageBody=message["Body"])
        aws.sqs().send_message(QueueUrl=url, MessageBody=message["Body"])
    deliver_all()
    assert len(files()) == 1 and files()[0]["status"] == "imported"
    assert count("SELECT count(*) FROM shot") == len(truth.shots)


def test_sixteen_concurrent_deliveries_import_once(client, project, monkeypatch):
    from chalicelib import aws, db
    from chalicelib.services import ingest

    truth = survey().sequence(55, 5210, start=START)
    aws.s3().put_object(Bucket="dougal-uploads", Key="alpha/raw/s.p111", Body=sim.write_p111(truth, kind="raw"))
    etag = aws.s3().head_object(Bucket="dougal-uploads", Key="alpha/raw/s.p111")["ETag"].strip('"')
    calls = []
    original = ingest.import_shots
    monkeypatch.setattr(ingest, "import_shots", lambda *a, **k: calls.append(1) or original(*a, **k))
    outcomes, failures = [], []
    barrier = threading.Barrier(16)

    def deliver():
        try:
            barrier.wait()
            outcomes.append(ingest.ingest_object("dougal-uploads", "alpha/raw/s.p111", etag, None, None).status)
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert outcomes == ["imported"] * 16
    assert calls == [1]
    assert count("SELECT count(*) FROM shot") == len(truth.shots)
    assert count("SELECT count(*) FROM upload") == 1


def test_new_version_replaces_the_sequence_shots(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    first = srv.sequence(55, 5210, start=START, missing=[1010])
    upload(aws, "alpha/final/v1.p111", sim.write_p111(first))
    second = srv.sequence(55, 5210, start=START, missing=[1011, 1012, 1013])
    upload(aws, "alpha/final/v2.p111", sim.write_p111(second))
    rows = files()
    assert [r["status"] for r in rows[1:]] == ["superseded", "imported"]
    assert count("SELECT count(*) FROM shot WHERE sequence = 55 AND kind = 'final'") == len(second.shots)
    assert api(client, "/project/alpha/sequence/55")[1]["missing_shots"] == 3
    assert api(client, "/project/alpha")[1]["virgin"] == expected_summary(srv, [second])["virgin"]
    _status, shot = api(client, "/project/alpha/sequence/55/1020?kind=final")
    assert shot["hash"] == rows[2]["sha256"]


def test_an_older_version_arriving_late_does_not_win(client, project):
    from chalicelib import aws
    from chalicelib.services import ingest

    srv = survey()
    old = srv.sequence(55, 5210, start=START, missing=[1010])
    new = srv.sequence(55, 5210, start=START, missing=[1011, 1012])
    s3 = aws.s3()
    for key, truth in (("alpha/final/old.p111", old), ("alpha/final/new.p111", new)):
        s3.put_object(Bucket="dougal-uploads", Key=key, Body=sim.write_p111(truth))
    etag = {
        k: s3.head_object(Bucket="dougal-uploads", Key=k)["ETag"].strip('"')
        for k in ("alpha/final/old.p111", "alpha/final/new.p111")
    }
    t0 = datetime(2021, 10, 9, 12, 0, tzinfo=UTC)
    assert (
        ingest.ingest_object(
            "dougal-uploads", "alpha/final/new.p111", etag["alpha/final/new.p111"], None, t0 + timedelta(minutes=5)
        ).status
        == "imported"
    )
    late = ingest.ingest_object("dougal-uploads", "alpha/final/old.p111", etag["alpha/final/old.p111"], None, t0)
    assert late.status == "superseded"
    assert count("SELECT count(*) FROM shot WHERE sequence = 55") == len(new.shots)


def test_line_and_sequence_edits_move_the_numbers(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, start=START, first_point=1000, last_point=1059)
    upload(aws, "alpha/final/s.p111", sim.write_p111(truth))
    headers = {**as_role("user"), "Content-Type": "application/json"}

    def patch(path, body):
        return client.patch(path, headers=headers, body=json.dumps(body).encode()).status_code

    assert api(client, "/project/alpha")[1]["virgin"] == 480 - 60
    assert patch("/project/alpha/line/5210", {"complete": True}) == 204
    summary = api(client, "/project/alpha")[1]
    assert (summary["ntba"], summary["remaining"]) == (60, 480 - 120)
    assert patch("/project/alpha/line/5210", {"complete": False, "incr": False}) == 204
    line = next(x for x in api(client, "/project/alpha/line")[1] if x["line"] == 5210)
    assert (line["incr"], line["tba"]) == (False, 60)
    assert patch("/project/alpha/line/5210", {"ntba": True}) == 204
    assert api(client, "/project/alpha")[1]["ntba"] == 120
    assert patch("/project/alpha/line/5210", {"ntba": False}) == 204
    # A sequence marked NTBP acquires nothing.
    assert patch("/project/alpha/sequence/55", {"ntbp": True, "remarks": "gun problem"}) == 204
    seq = api(client, "/project/alpha/sequence/55")[1]
    assert (seq["status"], seq["remarks"]) == ("ntbp", "gun problem")
    assert api(client, "/project/alpha")[1]["virgin"] == 480
    assert patch("/project/alpha/sequence/55", {"ntbp": False}) == 204
    assert api(client, "/project/alpha")[1]["virgin"] == 420
    # Bad bodies: 400 naming the field, nothing changed.
    for body, field in (({"ntba": "yes"}, "ntba"), ({"remarks": 5}, "remarks"), ({"bogus": 1}, "bogus")):
        response = client.patch("/project/alpha/line/5210", headers=headers, body=json.dumps(body).encode())
        assert response.status_code == 400 and field in json.loads(response.body)["message"]
    assert patch("/project/alpha/line/9999", {"remarks": "x"}) == 404
    assert client.patch("/project/alpha/line/abc", headers=headers, body=b"{}").status_code == 400
    assert patch("/project/alpha/sequence/99", {"remarks": "x"}) == 404


def test_unknown_project_and_test_events(client, project):
    from chalicelib import aws
    from chalicelib.handlers.ingest import s3_objects

    upload(aws, "nosuch/raw/x.p111", "OGP,...")
    assert count("SELECT count(*) FROM upload WHERE pid = 'nosuch' AND status = 'rejected'") == 1
    assert s3_objects(json.dumps({"Event": "s3:TestEvent", "Bucket": "dougal-uploads"})) == []
    assert s3_objects("not json") == []
    named = s3_objects(
        json.dumps(
            {
                "Records": [
                    {
                        "eventName": "ObjectCreated:Put",
                        "eventTime": "2021-10-08T10:00:00Z",
                        "s3": {"bucket": {"name": "b"}, "object": {"key": "alpha/raw/a+b%2Bc.p111", "eTag": "e"}},
                    }
                ]
            }
        )
    )
    assert named[0]["key"] == "alpha/raw/a b+c.p111"
