"""A raw or final file of a few MB is read while S3 sends it: the import parses and COPYs its first blocks
while the last ones arrive, and checks its bytes (size, SHA-256, the same content as before) at the end."""

from __future__ import annotations

import time

import pytest

from dougal_sim import simulator as sim
from tests.integration.ingest_support import BUCKET, count, files, survey, upload


def _p111(sequence: int = 55) -> str:
    from datetime import UTC, datetime

    return sim.write_p111(survey().sequence(sequence, 5210, start=datetime(2021, 10, 8, tzinfo=UTC)), kind="raw")


class _Body:
    """A response body sending ``data`` in chunks, each after ``pause`` seconds; ``fail`` raised after ``after``
    chunks."""

    def __init__(self, data: bytes, size: int, pause: float = 0.0, fail: BaseException | None = None, after: int = 0):
        self.chunks = [data[i : i + size] for i in range(0, len(data), size)]
        self.pause, self.fail, self.after = pause, fail, after
        self.sent = 0
        self.closed = False

    def iter_chunks(self, size):
        for i, chunk in enumerate(self.chunks):
            if self.fail is not None and i == self.after:
                raise self.fail
            time.sleep(self.pause)
            self.sent += 1
            yield chunk

    def close(self):
        self.closed = True


def test_a_reader_gets_the_bytes_as_they_arrive_and_the_figures_at_the_end():
    import hashlib
    import io

    from chalicelib.services import ingest

    data = bytes(range(256)) * 4000
    body = _Body(data, 100_000, pause=0.02)
    stream = ingest._StreamedBody(body, len(data))
    reader = io.BufferedReader(stream, 64 * 1024)
    first = reader.read(10)
    assert first == data[:10] and body.sent < len(body.chunks)  # read before the last chunk came
    reader.seek(0)
    assert reader.read() == data
    assert stream.finish() == (hashlib.sha256(data).hexdigest(), len(data))
    assert stream.waited > 0
    reader.close()
    assert body.closed


def test_a_body_past_the_limit_is_refused_to_the_reader():
    import io

    from chalicelib.services import ingest

    data = b"z" * 500_000
    stream = ingest._StreamedBody(_Body(data, 100_000), 250_000)
    with pytest.raises(ingest.TooLargeError, match="250000"), io.BufferedReader(stream) as reader:
        reader.read()
    with pytest.raises(ingest.TooLargeError):
        stream.finish()


def test_a_download_failing_midway_reaches_the_reader():
    import io

    from chalicelib.services import ingest

    failure = ConnectionResetError("connection reset by peer")
    stream = ingest._StreamedBody(_Body(b"a" * 300_000, 100_000, fail=failure, after=2), 10**6)
    with pytest.raises(ConnectionResetError), io.BufferedReader(stream) as reader:
        reader.read()


def test_a_raw_file_is_imported_while_it_arrives(client, project, monkeypatch):
    """The streamed path is the one taken (no spool), the shots and the file's figures are those of the file."""
    import hashlib

    from chalicelib import aws
    from chalicelib.services import ingest

    def no_spool(*args, **kwargs):
        raise AssertionError("a raw file of a few MB is read as it arrives, not spooled first")

    monkeypatch.setattr(ingest, "_spool_body", no_spool)
    text = _p111()
    upload(aws, "alpha/raw/seq055.p111", text)
    [row] = files()
    assert row["status"] == "imported", row
    assert row["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert row["records"] == count("SELECT count(*) FROM shot WHERE sequence = 55") > 0


def test_a_rejected_file_read_as_it_arrived_keeps_its_figures(client, project):
    import hashlib

    from chalicelib import aws

    lines = _p111().splitlines()
    at = max(i for i, line in enumerate(lines) if line.startswith("S1,"))  # the last shot: late in the file
    fields = lines[at].split(",")
    fields[4] = "12x"
    lines[at] = ",".join(fields)
    text = "\n".join(lines) + "\n"
    upload(aws, "alpha/raw/seq055.p111", text)
    [row] = files()
    assert row["status"] == "rejected" and f"line {at + 1}:" in row["message"], row
    assert row["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert count("SELECT count(*) FROM shot") == 0


def test_a_download_lost_midway_leaves_nothing_and_the_message_comes_back(client, project, monkeypatch):
    from chalicelib import aws, db
    from chalicelib.services import ingest

    text = _p111().encode()
    aws.s3().put_object(Bucket=BUCKET, Key="alpha/raw/seq055.p111", Body=text)
    etag = aws.s3().head_object(Bucket=BUCKET, Key="alpha/raw/seq055.p111")["ETag"]
    real = ingest._get_object

    def cut(*args, **kwargs):
        response = real(*args, **kwargs)
        response["Body"] = _Body(text, 4096, fail=ConnectionResetError("reset"), after=3)
        return response

    monkeypatch.setattr(ingest, "_get_object", cut)
    with pytest.raises(ConnectionResetError):
        ingest.ingest_object(BUCKET, "alpha/raw/seq055.p111", etag, len(text), None)
    assert count("SELECT count(*) FROM shot") == 0
    assert db.connection().execute("SELECT count(*) AS n FROM upload").fetchone()["n"] == 0


def test_the_same_bytes_under_another_name_undo_their_import(client, project):
    """The check of the content comes after the import when the file is read as it arrives: the import is
    undone whole (shots, supersession of the sequence's file, receivers) and the file says why."""
    from chalicelib import aws

    text = _p111()
    upload(aws, "alpha/raw/seq055.p111", text)
    upload(aws, "alpha/raw/seq055-again.p111", text)
    first, second = files()
    assert (first["status"], first["message"]) == ("imported", None)
    assert second["status"] == "imported" and "same content as alpha/raw/seq055.p111" in second["message"]
    assert count("SELECT raw_upload_id FROM sequence WHERE sequence = 55") == count(
        "SELECT id FROM upload WHERE key = 'alpha/raw/seq055.p111'"
    )
