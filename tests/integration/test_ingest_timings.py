"""Where an import's time goes: every import reports (and logs) the milliseconds of each phase."""

from __future__ import annotations

from datetime import UTC, datetime

from dougal_sim import simulator as sim
from tests.integration.ingest_support import BUCKET, survey, upload

PREPLOT_PHASES = {"read from S3", "parse", "coordinates", "format rows", "copy", "merge into the preplot", "statistics"}
SHOT_PHASES = {"read from S3", "parse", "coordinates", "format rows", "copy", "statistics", "system events"}


def ingest(aws, key, body):
    from chalicelib.services import ingest as ingest_service

    upload(aws, key, body, deliver=False)
    head = aws.s3().head_object(Bucket=BUCKET, Key=key)
    return ingest_service.ingest_object(BUCKET, key, head["ETag"], head["ContentLength"], head["LastModified"])


def test_each_import_reports_its_phases(project):
    from chalicelib import aws

    srv = survey(num_lines=3, points_per_line=2_000)
    preplot = ingest(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    assert preplot.status == "imported" and preplot.timings is not None
    assert PREPLOT_PHASES <= set(preplot.timings)
    truth = srv.sequence(7, srv.lines[1], start=datetime(2021, 10, 8, 10, 0, tzinfo=UTC))
    shots = ingest(aws, "alpha/raw/seq007.p111", sim.write_p111(truth, kind="raw"))
    assert shots.status == "imported" and shots.timings is not None
    assert SHOT_PHASES | {"QC request"} <= set(shots.timings)
    # The preplot's rows are read in a thread while the COPY runs: the reading the COPY hid is taken off again.
    # The raw file (a few MB) is read while S3 sends it, its rows made as the COPY asks: nothing to take off.
    assert "reading hidden behind the COPY" in preplot.timings
    assert "reading hidden behind the COPY" not in shots.timings
    for timings in (preplot.timings, shots.timings):
        assert timings["parse"] > 0 and timings["copy"] > 0
        hidden = timings.get("reading hidden behind the COPY", 0.0)
        assert hidden <= 0 and -hidden <= timings["parse"] + timings["coordinates"] + timings["format rows"] + 1
        others = ("other (commit, bookkeeping)", "reading hidden behind the COPY")
        assert all(ms >= 0 for name, ms in timings.items() if name not in others)


def test_a_rejected_file_reports_its_phases_too(project):
    from chalicelib import aws

    outcome = ingest(aws, "alpha/raw/bad.p111", "this is not a navigation file\n")
    assert outcome.status == "rejected" and outcome.timings is not None
    assert "read from S3" in outcome.timings


def test_copy_time_excludes_the_work_of_the_rows_it_pulls():
    from chalicelib.observability import Phases

    phases = Phases()
    with phases.excluding("copy", ("parse",)):
        phases.add("parse", 5.0)  # five seconds of parsing done while the COPY pulled rows
    assert phases.seconds["parse"] == 5.0
    assert -5.0 < phases.seconds["copy"] < -4.9  # the block itself took almost nothing
