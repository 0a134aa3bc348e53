from chalicelib.services.qc import missing_shots
from tests.unit.qc.rows import START, line, shots


def test_each_run_of_missing_points_is_one_finding_at_the_last_shot_before_it():
    rows = line([1000, 1001, 1004, 1005, 1007])
    found = missing_shots.check(shots(rows, list(range(1000, 1008))), {})
    assert [(f.point, f.value, f.message) for f in found] == [
        (1002, 2, "2 missing shots: 1002-1003"),
        (1006, 1, "1 missing shot: 1006"),
    ]
    assert found[0].tstamp == rows[1]["tstamp"]  # where the vessel was: after 1001
    assert found[0].extra == {"from": 1002, "to": 1003, "count": 2}


def test_a_decreasing_sequence_reports_its_gaps_in_shooting_order():
    rows = line([1007, 1006, 1003, 1002])
    [finding] = missing_shots.check(shots(rows, list(range(1002, 1008))), {})
    assert (finding.point, finding.extra) == (1005, {"from": 1005, "to": 1004, "count": 2})
    assert finding.tstamp == rows[1]["tstamp"]


def test_nothing_without_preplot_points_or_gaps():
    rows = line([1000, 1001, 1002])
    assert missing_shots.check(shots(rows, []), {}) == []
    assert missing_shots.check(shots(rows, [1000, 1001, 1002]), {}) == []
    assert rows[0]["tstamp"] == START
