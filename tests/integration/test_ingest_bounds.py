"""Uploads under abuse: bounded sizes, every bad file a rejection (never a poison message), one file
per invocation, earlier versions that can be brought back, and previous values kept."""

from __future__ import annotations

import errno
import hashlib
import json
from datetime import UTC, datetime

import pytest

from dougal_sim import simulator as sim
from tests.integration.conftest import reload_settings
from tests.integration.factories import as_role
from tests.integration.ingest_support import (
    BUCKET,
    CONFIGURATION,
    count,
    deliver_all,
    dispatcher,
    files,
    survey,
    upload,
)

START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)


def _p111(sequence: int = 55, **kwargs) -> str:
    return sim.write_p111(survey().sequence(sequence, 5210, start=START, **kwargs))


def _queues_empty(aws) -> bool:
    """Nothing left on the ingest queue (visible or in flight) and nothing in its DLQ."""
    sqs = aws.sqs()
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    total = 0
    for queue in ("dougal-dev-ingest", "dougal-dev-ingest-dlq"):
        found = sqs.get_queue_attributes(QueueUrl=aws.queue_url(queue), AttributeNames=names)["Attributes"]
        total += sum(int(found[n]) for n in names)
    return total == 0


def _etag(aws, key: str) -> str:
    return aws.s3().head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')


# ------------------------------------------------------------------ sizes


def test_an_upload_over_the_limit_is_rejected_before_it_is_read(client, project, monkeypatch):
    from chalicelib import aws
    from chalicelib.services import ingest

    monkeypatch.setenv("DOUGAL_MAX_UPLOAD_BYTES", "10000")
    reload_settings()
    reads = []
    original = ingest._get_object
    monkeypatch.setattr(ingest, "_get_object", lambda *a, **k: reads.append(a) or original(*a, **k))
    body = _p111()
    assert len(body) > 10000
    upload(aws, "alpha/raw/seq055.p111", body)
    [row] = files()
    assert row["status"] == "rejected"
    assert "10000" in row["message"] and "DOUGAL_MAX_UPLOAD_BYTES" in row["message"]
    assert reads == []  # never downloaded
    assert count("SELECT count(*) FROM shot") == 0
    assert _queues_empty(aws)


def test_without_a_size_in_the_notification_the_bytes_read_are_counted(client, project, monkeypatch):
    """The spool never holds more than the limit (and one chunk), so it fits the worker's /tmp."""
    import tempfile

    from chalicelib import aws
    from chalicelib.services import ingest

    limit = 1_500_000
    monkeypatch.setenv("DOUGAL_MAX_UPLOAD_BYTES", str(limit))
    reload_settings()
    written = []

    class Spool(tempfile.SpooledTemporaryFile):
        def write(self, data):
            written.append(len(data))
            return super().write(data)

    body = b"x" * (4 * 1024 * 1024)
    aws.s3().put_object(Bucket=BUCKET, Key="alpha/raw/big.p111", Body=body)
    monkeypatch.setattr(ingest, "_new_spool", lambda: Spool(max_size=ingest.SPOOL_MEMORY))
    outcome = ingest.ingest_object(BUCKET, "alpha/raw/big.p111", _etag(aws, "alpha/raw/big.p111"), None, None)
    assert outcome.status == "rejected" and str(limit) in outcome.message
    assert sum(written) <= limit
    [row] = files()
    assert row["status"] == "rejected"


def test_the_bytes_read_are_counted_when_the_object_gives_no_length(monkeypatch):
    """The spool stops at the limit even when neither the notification nor S3 gives a size."""
    from chalicelib import aws
    from chalicelib.services import ingest

    chunk = b"y" * (1024 * 1024)
    served = []

    class Body:
        def iter_chunks(self, size):
            for _ in range(20):
                served.append(len(chunk))
                yield chunk

        def close(self):
            pass

    class S3:
        def get_object(self, **kwargs):
            return {"Body": Body()}

    monkeypatch.setattr(aws, "s3", lambda: S3())
    with pytest.raises(ingest.TooLargeError, match="3000000"):
        ingest._spool_body(ingest._get_object(BUCKET, "alpha/raw/x.p111", "etag", 3_000_000), 3_000_000)
    assert sum(served) <= 3_000_000 + len(chunk)  # stopped at the first chunk past the limit


def test_the_default_limit_fits_lambdas_tmp():
    from chalicelib.settings import Settings

    assert Settings().max_upload_bytes <= 512 * 1024 * 1024 * 0.8


# ------------------------------------------------------------------ bad files are rejections


def _fail_with(exc: BaseException):
    def fail(*args, **kwargs):
        raise exc

    return fail


def _patch_spool_full(monkeypatch):
    from chalicelib.services import ingest

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ingest, "_new_spool", full)


def _patch_parser(exc):
    def patch(monkeypatch):
        from chalicelib import parsers

        monkeypatch.setattr(parsers.p111.ShotReader, "columns", _fail_with(exc))

    return patch


def _patch_database_refuses(monkeypatch):
    # The net under the readers' own range checks: a value a column cannot hold.
    from chalicelib.db import preplots

    def refuse(conn, pid, lines):
        conn.execute("SELECT %s::integer", (2**40,))

    monkeypatch.setattr(preplots, "insert_lines", refuse)


def _patch_pattern(monkeypatch):
    # A configuration stored before the schema existed: a capture list longer than the regex's groups.
    from chalicelib import db

    bad = {**CONFIGURATION, "online": {"line": {"pattern": {"regex": "^1", "captures": ["sequence"]}}}}
    db.connection().execute("UPDATE project SET configuration = %s WHERE pid = 'alpha'", (json.dumps(bad),))


FAILURES = {
    # (what is uploaded, how the worker is made to fail, words of the message)
    "a value the database refuses": (
        "alpha/preplot/p.sps",
        lambda: sim.write_sps_preplot(survey()),
        _patch_database_refuses,
        "does not fit the database",
    ),
    # A preplot is spooled (a raw or final file of a few MB is read into memory as it arrives).
    "a full disk": (
        "alpha/preplot/p.sps",
        lambda: sim.write_sps_preplot(survey()),
        _patch_spool_full,
        "No space left on device",
    ),
    "memory": ("alpha/raw/s.p111", _p111, _patch_parser(MemoryError()), "more memory"),
    "an unexpected parser error": ("alpha/raw/s.p111", _p111, _patch_parser(KeyError("HC")), "KeyError"),
    "a bad configured pattern": ("alpha/raw/s.p111", _p111, _patch_pattern, "nothing imported"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_a_file_failing_on_anything_but_a_transient_error_is_rejected_and_its_message_deleted(
    client, project, monkeypatch, case
):
    from chalicelib import aws

    key, body, patch, words = FAILURES[case]
    if patch is not None:
        patch(monkeypatch)
    aws.sqs().set_queue_attributes(QueueUrl=aws.queue_url("dougal-dev-ingest"), Attributes={"VisibilityTimeout": "0"})
    upload(aws, key, body())
    for _ in range(3):  # a poison message would come back again and again
        deliver_all()
    [row] = files()
    assert row["status"] == "rejected", row
    assert words in row["message"], row["message"]
    assert _queues_empty(aws)
    assert count("SELECT count(*) FROM shot") == 0 and count("SELECT count(*) FROM preplot_point") == 0


def _store_pattern(regex: str) -> None:
    """A line pattern written straight to the table, as one stored before the configuration's schema existed."""
    from chalicelib import db

    stored = {**CONFIGURATION, "online": {"line": {"pattern": {"regex": regex, "captures": ["sequence"]}}}}
    db.connection().execute("UPDATE project SET configuration = %s WHERE pid = 'alpha'", (json.dumps(stored),))


@pytest.mark.parametrize(
    ("regex", "words"),
    [
        (r"^(?=\d)(\d+)", "look-around"),
        (r"^(\d)\1(\d+)", "back-references"),
        ("(" + "[0-9]" * 60 + ")", "at most 200 characters"),
    ],
)
def test_a_stored_pattern_the_check_refuses_rejects_the_file_with_the_reason(client, project, regex, words):
    from chalicelib import aws

    _store_pattern(regex)
    upload(aws, "alpha/raw/s.p111", _p111())
    [row] = files()
    assert row["status"] == "rejected", row
    assert "online.line.pattern.regex is refused" in row["message"] and words in row["message"], row["message"]
    assert _queues_empty(aws) and count("SELECT count(*) FROM shot") == 0


def test_a_stored_backtracking_pattern_on_a_long_file_name_is_a_prompt_rejection(client, project):
    # Python's re takes minutes on this pattern and a 250-character name; the linear engine answers at once.
    import time

    from chalicelib import aws

    _store_pattern(r"^.*.*.*.*.*.*Z(\d+)$")
    started = time.perf_counter()
    upload(aws, "alpha/raw/" + "a" * 250 + ".p111", _p111())
    [row] = files()
    assert row["status"] == "rejected" and "match the project's line pattern" in row["message"], row
    assert time.perf_counter() - started < 30


def test_the_rejection_is_listed_by_files(client, project, monkeypatch):
    from chalicelib import aws

    _patch_spool_full(monkeypatch)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(survey()))
    response = client.request("GET", "/project/alpha/files", headers=as_role("guest"))
    [listed] = json.loads(response.body)
    assert listed["status"] == "rejected" and "No space left" in listed["message"]


def test_a_transient_failure_still_returns_the_message(client, project, monkeypatch):
    from chalicelib import aws, errors
    from chalicelib.services import ingest

    monkeypatch.setattr(ingest, "_ingest_object", _fail_with(errors.ServiceUnavailableError("Database unavailable")))
    upload(aws, "alpha/raw/s.p111", _p111())
    assert files() == []
    sqs = aws.sqs()
    attrs = sqs.get_queue_attributes(
        QueueUrl=aws.queue_url("dougal-dev-ingest"), AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 1  # back after the visibility timeout


LONG_SEQUENCES = {
    **CONFIGURATION,
    "online": {"line": {"pattern": {"regex": r"^(\d{4})S(\d+)$", "captures": ["line", "sequence"]}}},
}


@pytest.mark.parametrize(
    ("body", "configuration", "words"),
    [
        (lambda: _p111().replace(",5210,", ",3000000000,", 3), None, "line 35: line number '3000000000'"),
        (lambda: _p111().replace(",1,G1,", ",4000000000,G1,"), None, "OBJREF '4000000000' in field 6"),
        (
            lambda: _p111().replace("1052100055S00000", "5210S9999999999"),
            LONG_SEQUENCES,
            "sequence number 9999999999",
        ),
    ],
    ids=["P1/11 line number past 32 bits", "P1/11 source past 32 bits", "captured sequence number too large"],
)
def test_out_of_range_numbers_in_a_file_are_a_rejection_naming_them(client, project, body, configuration, words):
    from chalicelib import aws, db

    if configuration is not None:
        db.connection().execute(
            "UPDATE project SET configuration = %s WHERE pid = 'alpha'", (json.dumps(configuration),)
        )
    upload(aws, "alpha/raw/s.p111", body())
    [row] = files()
    assert row["status"] == "rejected" and words in row["message"], row["message"]
    assert "out of range" in row["message"]
    assert _queues_empty(aws)


@pytest.mark.parametrize(("field", "value"), [("line", "9999999999"), ("point", "3000000000")])
def test_an_sps_number_past_32_bits_is_a_rejection_naming_its_line(client, project, field, value):
    from chalicelib import aws

    lines = sim.write_sps_preplot(survey()).splitlines()
    index = next(i for i, x in enumerate(lines) if x.startswith("S"))
    columns = (1, 11) if field == "line" else (11, 21)
    lines[index] = lines[index][: columns[0]] + value.rjust(10) + lines[index][columns[1] :]
    upload(aws, "alpha/preplot/p.sps", "\n".join(lines) + "\n")
    [row] = files()
    assert row["status"] == "rejected", row
    assert row["message"] == f"line {index + 1}: {field} number {int(value)} is out of range (a 32-bit integer)"
    assert _queues_empty(aws)


# ------------------------------------------------------------------ one file per invocation


def test_a_time_out_on_one_file_makes_no_other_file_of_its_batch_run_again(client, project, monkeypatch):
    """Lambda ends an invocation that runs past its time-out: every message it held comes back."""
    from aws_lambda_powertools.utilities import batch

    from chalicelib import aws
    from chalicelib.services import ingest

    class TimedOut(Exception):
        pass

    aws.sqs().set_queue_attributes(QueueUrl=aws.queue_url("dougal-dev-ingest"), Attributes={"VisibilityTimeout": "0"})
    keys = [f"alpha/raw/s{n}.p111" for n in (55, 56, 57)]
    for n, key in zip((55, 56, 57), keys, strict=True):
        upload(aws, key, _p111(sequence=n), deliver=False)
    calls: dict[str, int] = {}
    original_ingest = ingest.ingest_object

    def counting(bucket, key, *rest):
        calls[key] = calls.get(key, 0) + 1
        return original_ingest(bucket, key, *rest)

    monkeypatch.setattr(ingest, "ingest_object", counting)
    original = batch.process_partial_response
    slow = keys[1]

    def times_out_on_the_slow_file(event, record_handler, processor, context=None):
        before = calls.get(slow, 0)
        result = original(event=event, record_handler=record_handler, processor=processor, context=context)
        if before == 0 and calls.get(slow) == 1:
            raise TimedOut  # the invocation ran past its time: its messages all come back
        return result

    monkeypatch.setattr(batch, "process_partial_response", times_out_on_the_slow_file)
    d = dispatcher()
    for _ in range(3):  # the dispatcher stops at an invocation that failed: go on, as Lambda polls again
        deliver_all(d)
    assert calls[keys[0]] == 1 and calls[keys[2]] == 1, calls
    assert calls[slow] == 2
    assert sorted(r["status"] for r in files()) == ["imported"] * 3


def test_the_ingest_worker_takes_one_message_per_invocation():
    import app

    [source] = [s for s in app.app.event_sources if s.name == "ingest_uploaded_files"]
    assert source.batch_size == 1


# ------------------------------------------------------------------ nothing lost silently


def test_uploading_an_earlier_version_again_makes_it_current(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    good = sim.write_p111(srv.sequence(55, 5210, start=START, missing=[1010]))
    bad = sim.write_p111(srv.sequence(55, 5210, start=START, missing=list(range(1020, 1060))))
    upload(aws, "alpha/final/v1.p111", good)
    upload(aws, "alpha/final/v2.p111", bad)
    upload(aws, "alpha/final/v1-again.p111", good)  # undo the bad replacement
    rows = files()
    assert [r["status"] for r in rows[1:]] == ["superseded", "superseded", "imported"]
    assert rows[3]["message"] is None
    sha = hashlib.sha256(good.encode()).hexdigest()
    assert count("SELECT count(*) FROM shot WHERE sequence = 55 AND kind = 'final'") == srv.points_per_line - 1
    assert count("SELECT count(DISTINCT u.sha256) FROM shot s JOIN upload u ON u.id = s.upload_id") == 1
    assert count("SELECT count(*) FROM upload u JOIN shot s ON s.upload_id = u.id WHERE u.sha256 = %s", sha) > 0
    response = client.request("GET", "/project/alpha/sequence/55", headers=as_role("guest"))
    assert json.loads(response.body)["missing_shots"] == 1
    # The current content again: nothing to do.
    upload(aws, "alpha/final/v1-third.p111", good)
    assert "same content" in files()[-1]["message"]


def _put(client, path, body, role="master"):
    headers = {**as_role(role), "Content-Type": "application/json"}
    return client.request("PUT", path, body=json.dumps(body).encode(), headers=headers).status_code


def test_configuration_and_info_writes_keep_the_previous_values(client, project):
    from chalicelib import db

    first = {**CONFIGURATION, "p190": {"year": 2021}}
    assert _put(client, "/project/alpha/configuration", first) == 204
    assert _put(client, "/project/alpha/configuration", {**first, "p190": {"year": 2022}}) == 204
    assert _put(client, "/project/alpha/configuration", {**first, "p190": {"year": 2022}}) == 204  # same: nothing kept
    history = (
        db.connection()
        .execute(
            "SELECT configuration, changed_by, changed_on FROM configuration_history WHERE pid = 'alpha' ORDER BY id"
        )
        .fetchall()
    )
    assert [h["configuration"] for h in history] == [CONFIGURATION, first]
    assert [h["changed_by"] for h in history] == ["test-master", "test-master"]
    assert _put(client, "/project/alpha/info/notes", {"v": 1}, role="user") == 204
    assert _put(client, "/project/alpha/info/notes", {"v": 2}, role="user") == 204
    response = client.request("DELETE", "/project/alpha/info/notes", headers=as_role("user"))
    assert response.status_code == 204
    kept = (
        db.connection()
        .execute(
            "SELECT value, deleted, changed_by FROM info_history WHERE pid = 'alpha' AND key = 'notes' ORDER BY id"
        )
        .fetchall()
    )
    assert [(k["value"], k["deleted"]) for k in kept] == [({"v": 1}, False), ({"v": 2}, True)]
    assert [k["changed_by"] for k in kept] == ["test-user", "test-user"]


def _first_preplot() -> tuple[str, int]:
    """The project's preplot, imported: its SPS text and its first line."""
    from chalicelib import aws

    srv = survey()
    v1 = sim.write_sps_preplot(srv)
    upload(aws, "alpha/preplot/v1.sps", v1)
    return v1, srv.lines[0]


def test_preplot_points_removed_or_moved_by_a_new_preplot_keep_their_values(client, project):
    from chalicelib import aws, db

    v1, line = _first_preplot()
    conn = db.connection()
    conn.execute(
        "UPDATE preplot_point SET remarks = 'boulder', ntba = true WHERE pid = 'alpha' AND line = %s AND point = 1005",
        (line,),
    )
    before = conn.execute(
        "SELECT easting, northing FROM preplot_point WHERE pid = 'alpha' AND line = %s AND point = 1010", (line,)
    ).fetchone()
    assert count("SELECT count(*) FROM preplot_point_history") == 0  # a flag is not a position
    lines = v1.splitlines()
    kept = []
    for text in lines:
        if text.startswith("S") and float(text[1:11]) == line and float(text[11:21]) in (1005.0, 1006.0):
            continue  # removed from the new version
        if text.startswith("S") and float(text[1:11]) == line and float(text[11:21]) == 1010.0:
            easting = float(text[46:55]) + 50.0
            text = text[:46] + f"{easting:9.1f}" + text[55:]
        kept.append(text)
    upload(aws, "alpha/preplot/v2.sps", "\n".join(kept) + "\n")
    assert files()[-1]["status"] == "imported", files()[-1]
    history = conn.execute(
        "SELECT point, easting, northing, ntba, remarks, removed, changed_by FROM preplot_point_history "
        "WHERE pid = 'alpha' ORDER BY point"
    ).fetchall()
    assert [(h["point"], h["removed"]) for h in history] == [(1005, True), (1006, True), (1010, False)]
    assert history[0]["remarks"] == "boulder" and history[0]["ntba"] is True
    assert (history[2]["easting"], history[2]["northing"]) == (before["easting"], before["northing"])
    assert all(h["changed_by"] == "upload alpha/preplot/v2.sps" for h in history)


def test_a_preplot_again_with_sub_millimetre_differences_moves_no_point(client, project):
    """Positions kept by an earlier version of the import (other last bits, another rounding) are not moves:
    the same file again writes no history and leaves the stored positions as they are."""
    from chalicelib import aws, db

    v1, line = _first_preplot()
    conn = db.connection()
    conn.execute(
        "UPDATE preplot_point SET easting = easting + 0.0004, lat = lat - 4e-10 WHERE pid = 'alpha' AND line = %s",
        (line,),
    )
    stored = conn.execute("SELECT point, easting, lat FROM preplot_point ORDER BY line, point").fetchall()
    kept = count("SELECT count(*) FROM preplot_point_history")  # what the update above wrote
    upload(aws, "alpha/preplot/v1-again.sps", v1 + "H26 the same points again\n")
    assert files()[-1]["status"] == "imported", files()[-1]
    assert count("SELECT count(*) FROM preplot_point_history") == kept
    assert conn.execute("SELECT point, easting, lat FROM preplot_point ORDER BY line, point").fetchall() == stored


# ------------------------------------------------------------------ preplot fill-in limits


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [("DOUGAL_MAX_SEGMENT_POINTS", "100", "more than the 100"), ("DOUGAL_MAX_PREPLOT_POINTS", "300", "the 300")],
)
def test_the_preplot_fill_in_limits_come_from_the_settings(client, project, monkeypatch, setting, value, words):
    from chalicelib import aws

    monkeypatch.setenv(setting, value)
    reload_settings()
    srv = survey(points_per_line=120)  # 4 lines of 120 points, one segment each
    upload(aws, "alpha/preplot/p.p111", sim.write_p111_preplot(srv))
    [row] = files()
    assert row["status"] == "rejected" and words in row["message"] and setting in row["message"], row["message"]
    assert row["message"].startswith("line ")
    assert count("SELECT count(*) FROM preplot_point") == 0
    monkeypatch.delenv(setting)
    reload_settings()
    upload(aws, "alpha/preplot/p2.p111", sim.write_p111_preplot(srv) + "\n")
    assert files()[-1]["status"] == "imported"
    assert count("SELECT count(*) FROM preplot_point") == 480
