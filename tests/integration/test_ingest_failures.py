"""Bad files, crashes and failing messages: nothing half-written, nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dougal_sim import simulator as sim
from tests.integration.ingest_support import count, deliver_all, files, survey, upload

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)


def _p111() -> list[str]:
    return sim.write_p111(survey().sequence(55, 5210, start=START)).splitlines()


def _p190() -> list[str]:
    return sim.write_p190(survey().sequence(55, 5210, start=START)).splitlines()


def _corrupt(lines: list[str], predicate, change) -> tuple[str, int]:
    """Change the 40th record that matches; the file and the 1-based line number changed."""
    hits = [i for i, line in enumerate(lines) if predicate(line)]
    index = hits[min(40, len(hits) - 1)]
    lines = list(lines)
    lines[index] = change(lines[index])
    return "\n".join(lines) + "\n", index + 1


def _unknown_objref(line: str) -> str:
    fields = line.split(",")
    fields[8] = "77"
    return ",".join(fields)


def _hemisphere(line: str) -> str:
    return line[:34] + "X" + line[35:]


CASES = {
    "p111 unknown objref": lambda: _corrupt(_p111(), lambda x: x.startswith("S1,"), _unknown_objref),
    "p111 point not a number": lambda: _corrupt(
        _p111(), lambda x: x.startswith("S1,"), lambda x: ",".join([*x.split(",")[:4], "12x4", *x.split(",")[5:]])
    ),
    "p111 truncated last record": lambda: ("\n".join([*_p111()[:-40], _p111()[-40][:30]]) + "\n", None),
    "p111 missing time reference": lambda: ("\n".join(x for x in _p111() if not x.startswith("HC,1,2,0")) + "\n", None),
    "p190 bad hemisphere": lambda: _corrupt(_p190(), lambda x: x.startswith("S"), _hemisphere),
    "p190 short record": lambda: _corrupt(_p190(), lambda x: x.startswith("S"), lambda x: x[:52]),
    "binary garbage": lambda: (b"\x00\x01\x02OGP" * 100, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_files_are_rejected_whole_naming_the_line(client, project, case):
    from chalicelib import aws

    body, lineno = CASES[case]()
    # P1/90 line names are cut to 12 columns: the file name carries the sequence.
    key = f"alpha/final/{sim.line_name(5210, 55)}.nav"
    upload(aws, key, body)
    [row] = files()
    assert row["status"] == "rejected", case
    assert row["message"], case
    if lineno is not None:
        assert f"line {lineno}" in row["message"], row["message"]
    assert count("SELECT count(*) FROM shot") == 0
    assert count("SELECT count(*) FROM sequence") == 0


def test_good_file_after_a_rejected_version_imports(client, project):
    from chalicelib import aws

    body, _ = CASES["p111 unknown objref"]()
    upload(aws, "alpha/final/seq055.p111", body)
    good = survey().sequence(55, 5210, start=START)
    upload(aws, "alpha/final/seq055.p111", sim.write_p111(good))
    assert [r["status"] for r in files()] == ["rejected", "imported"]
    assert count("SELECT count(*) FROM shot") == len(good.shots)


def test_sps_fractional_point_is_rejected_with_its_line(client, project):
    from chalicelib import aws

    lines = sim.write_sps_preplot(survey()).splitlines()
    index = next(i for i, x in enumerate(lines) if x.startswith("S"))
    lines[index + 5] = lines[index + 5][:11] + "   1005.50" + lines[index + 5][21:]
    upload(aws, "alpha/preplot/p.sps", "\n".join(lines) + "\n")
    [row] = files()
    assert row["status"] == "rejected" and f"line {index + 6}" in row["message"]
    assert count("SELECT count(*) FROM preplot_point") == 0


def test_partial_batch_failure_returns_only_the_failed_message(client, project, monkeypatch):
    import app
    from chalicelib.services import ingest

    def fake(bucket, key, etag, size, created_on):
        if "bad" in key:
            raise RuntimeError("database went away")
        return ingest.Outcome("imported")

    monkeypatch.setattr(ingest, "ingest_object", fake)

    def record(message_id, key):
        body = {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "eventTime": "2021-10-08T10:00:00Z",
                    "s3": {"bucket": {"name": "dougal-uploads"}, "object": {"key": key, "eTag": "abc", "size": 3}},
                }
            ]
        }
        return {
            "messageId": message_id,
            "receiptHandle": message_id,
            "body": json.dumps(body),
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:dougal-dev-ingest",
            "awsRegion": "eu-west-1",
        }

    event = {
        "Records": [
            record("m-1", "alpha/raw/good.p111"),
            record("m-2", "alpha/raw/bad.p111"),
            record("m-3", "alpha/raw/fine.p111"),
            {**record("m-4", "x"), "body": json.dumps({"Event": "s3:TestEvent"})},
        ]
    }
    from scripts.dispatcher import LocalContext, resolve

    source = next(s for s in app.app.event_sources if s.name == "ingest_uploaded_files")
    handler = resolve(source.handler_string)  # the Lambda's handler, as deployed
    result = handler(event, LocalContext("ingest_uploaded_files"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}


def test_failing_message_returns_to_the_queue_and_ends_in_the_dlq(client, project, monkeypatch):
    """With the queue's redrive policy, a message failing every time reaches the DLQ after 5 receives."""
    from chalicelib import aws
    from chalicelib.services import ingest

    monkeypatch.setattr(ingest, "ingest_object", lambda *a: (_ for _ in ()).throw(RuntimeError("db down")))
    sqs = aws.sqs()
    url = aws.queue_url("dougal-dev-ingest")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    aws.s3().put_object(Bucket="dougal-uploads", Key="alpha/raw/x.p111", Body=b"anything")
    for _ in range(8):
        deliver_all()
    dlq = aws.queue_url("dougal-dev-ingest-dlq")
    in_dlq = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert int(in_dlq["Attributes"]["ApproximateNumberOfMessages"]) == 1
    assert count("SELECT count(*) FROM upload") == 0


@pytest.mark.slow
def test_killed_mid_import_leaves_nothing_and_the_bytes_can_come_again(client, project, database_url):
    """A worker killed during the COPY of a big sequence: no upload row, no shots; the retry imports it."""
    from moto.server import ThreadedMotoServer

    from chalicelib import aws, db
    from chalicelib.settings import get_settings
    from scripts.awsresources import provision
    from tests.integration.test_local_stack import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "DOUGAL_DATABASE_URL": database_url}
    try:
        os.environ["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL"]
        aws.reset()
        provision(get_settings())
        big = sim.Survey(num_lines=1, points_per_line=60_000, first_point=1000).sequence(
            55, 5210, start=START, jitter_ms=0, position_noise_m=0.0
        )
        aws.s3().put_object(Bucket="dougal-uploads", Key="alpha/raw/big.p111", Body=sim.write_p111(big).encode())
        etag = aws.s3().head_object(Bucket="dougal-uploads", Key="alpha/raw/big.p111")["ETag"].strip('"')
        code = (
            "from chalicelib.services import ingest; "
            f"ingest.ingest_object('dougal-uploads', 'alpha/raw/big.p111', '{etag}', None, None)"
        )
        worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
        conn = db.connection()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            copying = conn.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY shot%%' AND state = 'active'"
            ).fetchone()["n"]
            if copying:
                break
            assert worker.poll() is None, "the import finished before it could be interrupted"
            time.sleep(0.02)
        else:
            raise AssertionError("the COPY never started")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        deadline = time.monotonic() + 30
        while (
            conn.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY shot%%' AND pid <> pg_backend_pid()"
            ).fetchone()["n"]
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert count("SELECT count(*) FROM upload") == 0
        assert count("SELECT count(*) FROM shot") == 0
        from chalicelib.services import ingest

        assert ingest.ingest_object("dougal-uploads", "alpha/raw/big.p111", etag, None, None).status == "imported"
        assert count("SELECT count(*) FROM shot") == len(big.shots)
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        aws.reset()
        server.stop()
