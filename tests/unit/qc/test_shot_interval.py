from chalicelib.services.qc import shot_interval
from tests.unit.qc.rows import row, shots

LIMITS = {"min_s": 4.0, "max_s": 15.0}


def test_intervals_outside_the_range_name_the_limit_crossed():
    rows = [row(1000, 0), row(1001, 10), row(1002, 13), row(1003, 30.5), row(1004, 34.5)]
    found = shot_interval.check(shots(rows), LIMITS)
    assert [(f.point, f.value, f.limit) for f in found] == [(1002, 3.0, 4.0), (1003, 17.5, 15.0)]
    assert found[1].message == "17.50 s since the previous shot (allowed 4.0-15.0 s)"


def test_simultaneous_sources_are_one_shot():
    rows = [row(1000, 0, objref=1), row(1000, 0, objref=2), row(1001, 10, objref=1), row(1001, 10, objref=2)]
    assert shot_interval.check(shots(rows), LIMITS) == []
