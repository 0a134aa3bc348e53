"""SPS point indexes and fractional numbers, and readers' warnings, through the real pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dougal_sim import simulator as sim
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, count, upload

DIALECTS = Path(__file__).resolve().parents[1] / "fixtures" / "dialects"
START = datetime(2021, 10, 8, 23, 40, tzinfo=UTC)


def api(client, path):
    response = client.get(path, headers=as_role("guest"))
    return json.loads(response.body)


def file_item(client, key):
    return next(item for item in api(client, "/project/alpha/files") if item["key"] == key)


def points(line):
    from chalicelib import db

    return (
        db.connection()
        .execute(
            "SELECT point, point_index, alternative, easting, meta FROM preplot_point WHERE line = %s"
            " ORDER BY point, point_index",
            (line,),
        )
        .fetchall()
    )


def with_alternative(text: str, line: int, point: int, index: int = 2, shift: float = 2.0) -> str:
    """The SPS text with one more record: ``point`` of ``line`` again, with ``index`` and moved east."""
    out = []
    for record in text.splitlines(True):
        out.append(record)
        if record.startswith("S") and float(record[1:11]) == line and float(record[11:21]) == point:
            easting = float(record[46:55])
            out.append(record[:23] + str(index) + record[24:46] + f"{easting + shift:9.1f}" + record[55:])
    return "".join(out)


def test_alternative_index_points_are_kept_but_not_counted(client, project):
    from chalicelib import aws

    upload(aws, "alpha/preplot/index.sps", (DIALECTS / "sps21_point_index.sps").read_bytes())
    assert file_item(client, "alpha/preplot/index.sps")["status"] == "imported"
    assert [(p["point"], p["point_index"], p["alternative"], p["easting"]) for p in points(5210)] == [
        (2576, 1, False, 470246.1),
        (2577, 1, False, 470270.5),
        (2577, 2, True, 470272.5),
        (2578, 1, False, 470295.0),
    ]
    (line,) = api(client, "/project/alpha/line")
    assert (line["num_points"], line["fsp"], line["lsp"], line["na"]) == (3, 2576, 2578, 3)
    assert api(client, "/project/alpha")["total"] == 3


def test_production_figures_count_the_primary_point_only(client, project):
    from chalicelib import aws

    srv = sim.Survey(num_lines=2, points_per_line=60, first_point=1000)
    text = with_alternative(sim.write_sps_preplot(srv), 5210, 1020)
    assert len(text.splitlines()) == len(sim.write_sps_preplot(srv).splitlines()) + 1
    upload(aws, "alpha/preplot/p.sps", text)
    assert count("SELECT count(*) FROM preplot_point") == 121
    truth = srv.sequence(55, 5210, start=START, missing=[1010])
    upload(aws, "alpha/final/s.p111", sim.write_p111(truth))
    shot_points = {s.point for s in truth.shots}
    sequence = api(client, "/project/alpha/sequence/55")
    assert (sequence["num_points"], sequence["num_preplots"], sequence["missing_shots"]) == (
        len(shot_points),
        len(shot_points),
        1,
    )
    summary = api(client, "/project/alpha")
    assert (summary["total"], summary["prime"], summary["virgin"]) == (120, len(shot_points), 120 - len(shot_points))
    # A new version of the preplot without the alternative: it goes, the figures stay.
    upload(aws, "alpha/preplot/p2.sps", sim.write_sps_preplot(srv))
    assert count("SELECT count(*) FROM preplot_point") == 120
    assert api(client, "/project/alpha")["total"] == 120


def test_only_the_lowest_index_is_primary(client, project):
    """A line/point given with indexes 2 and 3 only: index 2 is its primary point."""
    from chalicelib import aws

    text = (DIALECTS / "sps21_point_index.sps").read_text()
    text = text.replace("S   5210.00   2577.00  1A1", "S   5210.00   2577.00  3A1")
    upload(aws, "alpha/preplot/index.sps", text)
    assert [(p["point"], p["point_index"], p["alternative"]) for p in points(5210)] == [
        (2576, 1, False),
        (2577, 2, False),
        (2577, 3, True),
        (2578, 1, False),
    ]
    assert api(client, "/project/alpha/line")[0]["num_points"] == 3


def test_fractional_line_and_point_numbers_are_kept_in_meta(client, project):
    from chalicelib import aws

    text = (DIALECTS / "sps21_point_index.sps").read_text()
    text = text.replace("S   5210.00   2576.00  1", "S   5210.25   2575.50  1")
    upload(aws, "alpha/preplot/fractions.sps", text)
    assert file_item(client, "alpha/preplot/fractions.sps")["status"] == "imported"
    found = {(p["point"], p["point_index"]): p["meta"] for p in points(5210)}
    assert found[(2576, 1)] == {"exact_line": 5210.25, "exact_point": 2575.5}
    assert found[(2577, 1)] == {} and found[(2578, 1)] == {}


def test_a_half_point_is_rounded_up_and_its_exact_number_shown_by_the_api(client, project):
    """2576.5 is point 2577 (half up, as a navigator reads it; half-even would make it 2576): the line's
    figures count it as 2577, and the API answers its meta, exact number included, at 2577 and not at 2576."""
    from chalicelib import aws

    header, record = (
        (DIALECTS / "sps21_point_index.sps").read_text().splitlines(True)[0],
        ("S   5210.00   2576.00  1A1     6.0       112.4 470246.1 6560527.5   0.0281103757\n"),
    )
    points_written = ("2575.00", "2576.50", "2578.00")
    body = header + "".join(record.replace("2576.00", p) for p in points_written)
    upload(aws, "alpha/preplot/half.sps", body)
    assert file_item(client, "alpha/preplot/half.sps")["status"] == "imported"
    [line] = api(client, "/project/alpha/line")
    assert (line["line"], line["fsp"], line["lsp"], line["num_points"]) == (5210, 2575, 2578, 3)

    def put_meta(point):
        body = {"type": "preplot", "line": 5210, "point": point, "path": "checked", "value": True}
        return client.request(
            "PUT",
            "/project/alpha/meta",
            headers={**as_role("user"), "Content-Type": "application/json"},
            body=json.dumps(body).encode(),
        )

    response = put_meta(2577)
    assert response.status_code == 201, response.body
    assert json.loads(response.body) == {"exact_point": 2576.5, "checked": True}
    assert put_meta(2576).status_code == 404
    assert [p["point"] for p in points(5210)] == [2575, 2577, 2578]


def test_points_that_round_to_one_number_are_rejected(client, project):
    from chalicelib import aws

    upload(aws, "alpha/preplot/collision.sps", (DIALECTS / "sps21_rounding_collision.sps").read_bytes())
    item = file_item(client, "alpha/preplot/collision.sps")
    assert item["status"] == "rejected"
    assert "file line 3 and file line 4" in item["message"] and "2576" in item["message"]
    assert count("SELECT count(*) FROM preplot_point") == 0


def test_points_that_round_to_one_number_in_separate_stretches_of_a_line_are_rejected(client, project):
    """2576.00 of line 5210, then a record of line 5212, then 2576.40 of line 5210: both file lines named."""
    from chalicelib import aws

    header, _, first = (DIALECTS / "sps21_rounding_collision.sps").read_text().splitlines(True)[:3]
    second = first.replace("2576.00", "2576.40").replace("470246.1", "470256.1")
    other = first.replace("S   5210.00", "S   5212.00")
    upload(aws, "alpha/preplot/apart.sps", "".join([header, first, other, second]))
    item = file_item(client, "alpha/preplot/apart.sps")
    assert item["status"] == "rejected"
    assert item["message"] == (
        "line 4: point 2576 of line 5210 (index 1) is given twice: file line 2 and file line 4 (2576.4) "
        "round to the same point"
    )
    assert count("SELECT count(*) FROM preplot_point") == 0


def test_the_same_point_and_index_twice_is_rejected(client, project):
    """Records of one line that do not run together: the import finds the repeat."""
    from chalicelib import aws

    lines = (DIALECTS / "sps21_point_index.sps").read_text().splitlines(True)
    other = lines[2].replace("S   5210.00", "S   5212.00")
    upload(aws, "alpha/preplot/twice.sps", "".join([*lines, other, lines[2]]))
    item = file_item(client, "alpha/preplot/twice.sps")
    assert item["status"] == "rejected"
    assert item["message"] == (
        "line 8: point 2576 of line 5210 (index 1) is given twice: file line 3 and file line 8 give the same point"
    )
    assert count("SELECT count(*) FROM preplot_point") == 0


def test_a_repeat_in_a_file_that_redefines_known_lines_is_rejected_and_changes_nothing(client, project):
    """The same repeat when the lines exist already (their points are updated, not inserted)."""
    from chalicelib import aws

    lines = (DIALECTS / "sps21_point_index.sps").read_text().splitlines(True)
    upload(aws, "alpha/preplot/first.sps", "".join(lines))
    assert file_item(client, "alpha/preplot/first.sps")["status"] == "imported"
    before = points(5210)
    moved = [line.replace("S   5210.00", "S   5212.00") for line in lines[2:3]]
    upload(aws, "alpha/preplot/again.sps", "".join([*lines, *moved, lines[2]]))
    item = file_item(client, "alpha/preplot/again.sps")
    assert item["status"] == "rejected"
    assert item["message"] == (
        "line 8: point 2576 of line 5210 (index 1) is given twice: file line 3 and file line 8 give the same point"
    )
    assert points(5210) == before
    assert count("SELECT count(*) FROM preplot_point WHERE line = 5212") == 0


def test_p190_year_conflict_is_a_warning_in_files(client, aws):
    make_project("alpha", configuration={**CONFIGURATION, "p190": {"year": 2020}})
    srv = sim.Survey(num_lines=2, points_per_line=60, first_point=1000)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(56, 5212, start=START)
    text = sim.write_p190(truth)
    assert "08.10.2021" in next(line for line in text.splitlines() if line.startswith("H0200"))
    upload(aws, f"alpha/final/{truth.line_name}.p190", text)
    item = file_item(client, f"alpha/final/{truth.line_name}.p190")
    assert item["status"] == "imported" and item["records"] == len(truth.shots)
    assert item["message"].startswith("warning: ")
    assert "2021" in item["message"] and "2020" in item["message"] and "H0200" in item["message"]
    # The header's year is the one used.
    shot = api(client, "/project/alpha/sequence/56/" + str(truth.shots[0].point) + "?kind=final")
    assert shot["tstamp"].startswith("2021-10-")


def test_no_warning_no_message(client, aws):
    make_project("alpha", configuration={**CONFIGURATION, "p190": {"year": 2021}})
    srv = sim.Survey(num_lines=2, points_per_line=60, first_point=1000)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(56, 5212, start=START)
    upload(aws, f"alpha/final/{truth.line_name}.p190", sim.write_p190(truth))
    item = file_item(client, f"alpha/final/{truth.line_name}.p190")
    assert (item["status"], item["message"]) == ("imported", None)


def test_qc_matches_shots_to_the_primary_point_only(client, project):
    """An alternative 50 m away from the primary point: a clean sequence stays clean."""
    from chalicelib import aws
    from tests.integration.ingest_support import run_qc

    srv = sim.Survey(num_lines=2, points_per_line=60, first_point=1000)
    upload(aws, "alpha/preplot/p.sps", with_alternative(sim.write_sps_preplot(srv), 5210, 1020, shift=50.0))
    truth = srv.sequence(55, 5210, start=START)
    upload(aws, "alpha/final/s.p111", sim.write_p111(truth))
    assert run_qc() == 1
    tree = api(client, "/project/alpha/qc/results")
    for test, node in tree.items():
        assert node["sequences"]["55"] == {"status": "pass", "findings": []}, test


def line_eastings(line: int) -> list[float]:
    return [p["easting"] for p in points(line) if p["point_index"] == 1]


def written(survey: sim.Survey, line: int) -> list[float]:
    """The eastings of a line as the SPS file writes them (to 0.1)."""
    return [float(f"{p.easting:.1f}") for p in survey.preplot() if p.line == line]


def test_a_file_of_new_and_known_lines_inserts_the_new_and_redefines_the_known(client, project):
    """New lines go straight into the points table, known lines through the staging merge: one file, both."""
    from chalicelib import aws

    first = sim.Survey(num_lines=2, points_per_line=50, first_point=1000, first_line=5210)  # 5210, 5212
    upload(aws, "alpha/preplot/v1.sps", sim.write_sps_preplot(first))
    headers = {**as_role("user"), "Content-Type": "application/json"}
    body = json.dumps({"remarks": "shoot last", "complete": True}).encode()
    assert client.patch("/project/alpha/line/5212", headers=headers, body=body).status_code == 204

    # 5212 again, moved 0.5 m and one point shorter; 5214 and 5216 new, one point of 5214 with an index 2
    # and one fractional point number.
    second = sim.Survey(
        num_lines=3, points_per_line=49, first_point=1000, first_line=5212, origin=(470000.5, 6560025.0)
    )
    text = with_alternative(sim.write_sps_preplot(second), 5214, 1010)
    text = text.replace("S   5216.00   1020.00", "S   5216.00   1019.75", 1)
    upload(aws, "alpha/preplot/v2.sps", text)
    assert file_item(client, "alpha/preplot/v2.sps")["status"] == "imported"

    assert line_eastings(5210) == written(first, 5210)  # not in the file: kept
    assert line_eastings(5212) == written(second, 5212)
    assert len(points(5212)) == 49  # the point the file no longer gives is gone
    found = {(p["point"], p["point_index"]): p for p in points(5214)}
    assert found[(1010, 2)]["alternative"] and not found[(1010, 1)]["alternative"]
    assert {p["point"]: p["meta"] for p in points(5216)}[1020] == {"exact_point": 1019.75}
    lines = {x["line"]: x for x in api(client, "/project/alpha/line")}
    assert sorted(lines) == [5210, 5212, 5214, 5216]
    assert (lines[5212]["remarks"], lines[5212]["num_points"], lines[5212]["tba"]) == ("shoot last", 49, 0)
    assert count("SELECT count(*) FROM preplot_point WHERE line = 5212 AND ntba") == 49  # kept through the merge
    assert lines[5214]["num_points"] == 49 and lines[5216]["num_points"] == 49  # the alternative not counted
    assert lines[5214]["length"] == pytest.approx(48 * 25.0, abs=0.5)  # positions written to 0.1 m


def test_two_preplots_of_one_project_at_once_both_import_one_after_the_other(client, project):
    """Each sees the lines the other left: a line both give is new to the first and known to the second."""
    import threading

    from chalicelib import aws, db
    from chalicelib.services import ingest
    from tests.integration.ingest_support import BUCKET

    a = sim.Survey(num_lines=2, points_per_line=400, first_point=1000, first_line=5210)  # 5210, 5212
    b = sim.Survey(num_lines=2, points_per_line=300, first_point=1000, first_line=5212, origin=(470003.0, 6560025.0))
    bodies = {"alpha/preplot/a.sps": sim.write_sps_preplot(a), "alpha/preplot/b.sps": sim.write_sps_preplot(b)}
    etags = {}
    for key, body in bodies.items():
        upload(aws, key, body, deliver=False)
        etags[key] = aws.s3().head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
    barrier = threading.Barrier(2)
    outcomes, failures = {}, []

    def deliver(key):
        try:
            barrier.wait()
            outcomes[key] = ingest.ingest_object(BUCKET, key, etags[key], None, None).status
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=deliver, args=(key,)) for key in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert outcomes == {key: "imported" for key in bodies}
    assert line_eastings(5210) == written(a, 5210)
    assert line_eastings(5214) == written(b, 5214)
    shared = line_eastings(5212)  # all of one file's line, whichever came second
    assert shared in (written(a, 5212), written(b, 5212))
    assert count("SELECT count(*) FROM preplot_line") == 3


def test_a_preplot_refreshes_the_figures_of_the_sequences_on_its_lines(client, project):
    """Sequences shot before their preplot, then a line redefined: the sequences on the lines the file gives
    get new figures (only those can change)."""
    from chalicelib import aws

    srv = sim.Survey(num_lines=2, points_per_line=60, first_point=1000)  # 5210, 5212
    on_5210 = srv.sequence(55, 5210, start=START)
    on_5212 = srv.sequence(56, 5212, start=START + timedelta(hours=2))
    upload(aws, "alpha/final/s55.p111", sim.write_p111(on_5210))
    upload(aws, "alpha/final/s56.p111", sim.write_p111(on_5212))
    assert api(client, "/project/alpha/sequence/55")["num_preplots"] == 0  # no preplot yet

    upload(aws, "alpha/preplot/v1.sps", sim.write_sps_preplot(srv))
    first = {n: api(client, f"/project/alpha/sequence/{n}") for n in (55, 56)}
    assert (first[55]["num_preplots"], first[55]["missing_shots"]) == (60, 0)
    assert (first[56]["num_preplots"], first[56]["missing_shots"]) == (60, 0)

    # 5210 again with ten points more past its end: sequence 55 has not shot them.
    longer = sim.Survey(num_lines=1, points_per_line=70, first_point=1000)
    upload(aws, "alpha/preplot/v2.sps", sim.write_sps_preplot(longer))
    assert file_item(client, "alpha/preplot/v2.sps")["status"] == "imported"
    after = {n: api(client, f"/project/alpha/sequence/{n}") for n in (55, 56)}
    assert (after[55]["num_preplots"], after[55]["missing_shots"]) == (60, 0)  # fsp-lsp unchanged: none missing
    assert api(client, "/project/alpha/line")[0]["num_points"] == 70
    # ... and 5210 shortened to 50 points: ten of its shots no longer on a preplot point.
    shorter = sim.Survey(num_lines=1, points_per_line=50, first_point=1000)
    upload(aws, "alpha/preplot/v3.sps", sim.write_sps_preplot(shorter))
    after = {n: api(client, f"/project/alpha/sequence/{n}") for n in (55, 56)}
    assert after[55]["num_preplots"] == 50
    assert after[56] == first[56]
