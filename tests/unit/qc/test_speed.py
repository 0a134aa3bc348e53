from chalicelib.services.qc import speed
from tests.unit.qc.rows import row, shots

LIMITS = {"min_kn": 3.5, "max_kn": 5.5}


def test_speed_over_ground_outside_the_range():
    # 25 m in 10 s is 4.86 kn; in 5 s 9.72 kn; in 20 s 2.43 kn.
    rows = [row(1000, 0), row(1001, 10), row(1002, 15), row(1003, 35)]
    found = speed.check(shots(rows), LIMITS)
    assert [(f.point, f.value, f.limit) for f in found] == [(1002, 9.72, 5.5), (1003, 2.43, 3.5)]
    assert found[0].message == "9.72 kn since the previous shot (allowed 3.5-5.5 kn)"


def test_shots_without_a_grid_position_or_at_the_same_time_are_skipped():
    rows = [row(1000, 0), row(1001, 1, easting=None, northing=None), row(1002, 1)]
    assert speed.check(shots(rows), LIMITS) == []


def test_a_grid_in_feet_is_judged_in_metres():
    # 82 ft (US survey) every 10 s is 25 m: 4.86 kn. Taken as metres it would be 15.9 kn.
    feet = 1200 / 3937
    rows = [row(1000, 0), row(1001, 10, northing=6_000_000.0 + 82.0)]
    from chalicelib.services.qc.shots import Shots

    assert speed.check(Shots(rows, [], feet), LIMITS) == []
    [found] = speed.check(Shots(rows, []), LIMITS)
    assert found.value == 15.94
