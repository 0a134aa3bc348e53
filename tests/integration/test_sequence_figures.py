"""A sequence's figures as the import keeps them from the shots in hand, equal to what the SQL that
recomputes them from the stored shots gives (``refresh_sequence_stats``, which preplot changes run).

The import counts a file's shots batch by batch as they go to the database and asks the database only
for the preplot points near them; these tests import files of every shape the figures care about and
then recompute every sequence from the table: nothing may change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dougal_sim import simulator as sim
from tests.integration.ingest_support import files, survey, upload
from tests.integration.test_ingest_dialects import DIALECTS

START = datetime(2021, 10, 8, 23, 40, tzinfo=UTC)
FIGURES = (
    "line, fsp, lsp, ts0, ts1, num_points_raw, num_preplots_raw, missing_raw, length_raw, azimuth_raw, heading_raw, "
    "fsp_final, lsp_final, ts0_final, ts1_final, num_points_final, num_preplots_final, missing_final, "
    "length_final, azimuth_final, heading_final"
)


def stored_figures(pid: str = "alpha") -> dict[int, dict]:
    from chalicelib import db

    rows = db.connection().execute(f"SELECT sequence, {FIGURES} FROM sequence WHERE pid = %s", (pid,)).fetchall()
    return {row.pop("sequence"): row for row in rows}


def recomputed(pid: str = "alpha") -> dict[int, dict]:
    """The figures recomputed from the stored shots, in a transaction rolled back afterwards."""
    from chalicelib import db
    from chalicelib.db import sequences as db_sequences

    conn = db.connection()
    with conn.transaction(force_rollback=True):
        db_sequences.refresh_sequence_stats(conn, pid, None)
        return stored_figures(pid)


def edit_shots(text: str, change) -> str:
    """The P1/11 file with ``change(fields)`` applied to each S1 record's fields (a list it may modify)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("S1,"):
            fields = line.split(",")
            change(fields)
            line = ",".join(fields)
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture
def preplot(project):
    from chalicelib import aws

    srv = survey(num_lines=4, points_per_line=120)
    upload(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    return srv


def test_figures_kept_by_the_import_equal_those_recomputed_from_the_shots(preplot):
    from chalicelib import aws

    srv = preplot
    line = srv.lines[1]
    faults = [sim.Fault("duplicate", 1040), sim.Fault("gap", 1060, count=3), sim.Fault("wrong_source", 1070)]
    # Run-in and run-out off the preplot, points missing, faults; raw then final.
    t1 = srv.sequence(1, line, start=START, run_in=4, run_out=3, missing=[1030, 1031], faults=faults)
    upload(aws, "alpha/raw/seq001.p111", sim.write_p111(t1, kind="raw"))
    upload(aws, "alpha/final/seq001.p111", sim.write_p111(t1, kind="final"))
    # Shot backwards, simultaneous sources (several records per point, equal times), crossing midnight.
    t2 = srv.sequence(2, srv.lines[2], start=START, direction=-1, simultaneous=True, sources=(1, 2, 3))
    upload(aws, "alpha/raw/seq002.p111", sim.write_p111(t2, kind="raw"))
    # A reshoot of part of a line: the range and its missing points are those of the reshoot.
    t3 = srv.sequence(3, line, start=START + timedelta(days=1), attempt=1, first_point=1050, last_point=1090)
    upload(aws, "alpha/raw/seq003.p111", sim.write_p111(t3, kind="raw"))
    # Sources by letter in P1/90; then a file whose last shots are of no known source (no objref).
    t4 = srv.sequence(4, srv.lines[3], start=START + timedelta(days=2), first_point=1000, last_point=1040)
    upload(aws, f"alpha/raw/{t4.line_name}.p190", sim.write_p190(t4, dialect="spectra"))
    letters = (DIALECTS / "p190_source_letters.p190").read_text(encoding="utf-8")
    upload(aws, "alpha/raw/1052101055S00000.p190", letters)
    # A sequence whose shots are all off the preplot (before its first point).
    t5 = srv.sequence(5, srv.lines[0], start=START + timedelta(days=3), first_point=900, last_point=950)
    upload(aws, "alpha/raw/seq005.p111", sim.write_p111(t5, kind="raw"))
    # One shot only: first and last shot are the same (no azimuth).
    t6 = srv.sequence(6, srv.lines[0], start=START + timedelta(days=4), first_point=1010, last_point=1010)
    upload(aws, "alpha/raw/seq006.p111", sim.write_p111(t6, kind="raw"))

    # Simultaneous sources apart from each other (the first and last shot are those of the lowest and the
    # highest source at the first and last time), and shots on a neighbouring line: preplot points, but not
    # of the sequence's line.
    t8 = srv.sequence(8, srv.lines[2], start=START + timedelta(days=5), simultaneous=True, sources=(1, 2, 3))

    def apart_and_astray(fields: list[str]) -> None:
        source = int(fields[8])
        fields[12] = f"{float(fields[12]) + 40.0 * source:.2f}"
        fields[15] = f"{float(fields[15]) + 0.0003 * source:.9f}"
        if 1100 <= int(fields[4]) <= 1104:
            fields[3] = str(srv.lines[3])

    upload(aws, "alpha/raw/seq008.p111", edit_shots(sim.write_p111(t8, kind="raw"), apart_and_astray))

    assert all(f["status"] == "imported" for f in files()), files()
    kept = stored_figures()
    assert sorted(kept) == [1, 2, 3, 4, 5, 6, 8, 55]
    assert kept[8]["num_preplots_raw"] == kept[8]["num_points_raw"] and kept[8]["missing_raw"] == 5
    assert kept[1]["missing_raw"] == 2 + 3 and kept[1]["num_points_final"] is not None
    assert kept[5]["num_preplots_raw"] == 0 and kept[6]["azimuth_raw"] is None
    assert kept == recomputed()


def test_a_file_that_changes_the_line_recounts_the_other_kind(preplot):
    """The final file names another line than the raw one did: the raw figures count missing points on
    the sequence's line, so they are recomputed too."""
    from chalicelib import aws

    srv = preplot
    t7 = srv.sequence(7, srv.lines[1], start=START, missing=[1010])
    upload(aws, "alpha/raw/seq007.p111", sim.write_p111(t7, kind="raw"))
    before = stored_figures()[7]
    moved = srv.sequence(7, srv.lines[2], start=START, missing=[1010])
    upload(aws, "alpha/final/seq007.p111", sim.write_p111(moved, kind="final"))
    after = stored_figures()[7]
    assert after["line"] == srv.lines[2] != before["line"]
    # The raw shots lie on the old line: none of them is in range on the new one, all its points are missing.
    assert after["missing_raw"] == srv.points_per_line != before["missing_raw"]
    assert stored_figures() == recomputed()


def test_a_long_file_is_counted_by_the_database(preplot, monkeypatch):
    """Past ``ShotFigures.MOST`` shots the import leaves the counting to the recomputation (memory): the
    figures are the same either way."""
    from chalicelib import aws
    from chalicelib.db import sequences as db_sequences
    from chalicelib.services.sequences import ShotFigures

    srv = preplot
    monkeypatch.setattr(ShotFigures, "MOST", 50)
    recounted = []
    refresh = db_sequences.refresh_sequence_stats
    monkeypatch.setattr(
        db_sequences,
        "refresh_sequence_stats",
        lambda conn, pid, seqs: recounted.append(seqs) or refresh(conn, pid, seqs),
    )
    long = srv.sequence(9, srv.lines[1], start=START, missing=[1010, 1011])  # 118 shots
    short = srv.sequence(10, srv.lines[2], start=START + timedelta(days=1), first_point=1000, last_point=1039)
    upload(aws, "alpha/raw/seq009.p111", sim.write_p111(long, kind="raw"))
    upload(aws, "alpha/raw/seq010.p111", sim.write_p111(short, kind="raw"))
    assert recounted == [[9]]
    kept = stored_figures()
    assert (kept[9]["num_points_raw"], kept[9]["missing_raw"]) == (118, 2)
    assert kept[10]["num_points_raw"] == 40
    monkeypatch.undo()
    assert kept == recomputed()
