from chalicelib.services.qc import duplicate_shots
from tests.unit.qc.rows import row, shots


def test_a_point_fired_again_by_the_same_source_is_found_once_on_its_second_shot():
    rows = [row(1000, 0), row(1001, 10), row(1001, 20), row(1001, 30), row(1002, 40)]
    found = duplicate_shots.check(shots(rows), {})
    assert [(f.point, f.tstamp, f.value, f.limit) for f in found] == [(1001, rows[2]["tstamp"], 2, 1)]
    assert found[0].message == "point 1001 fired again by source 1"


def test_two_sources_at_one_point_are_not_duplicates():
    rows = [row(1000, 0, objref=1), row(1000, 0, objref=2), row(1001, 10, objref=1)]
    assert duplicate_shots.check(shots(rows), {}) == []


def test_shots_of_an_unknown_source_are_one_source_but_simultaneous_ones_are_not_duplicates():
    rows = [
        row(1000, 0, objref=None),
        row(1000, 0, objref=None),  # two sources the file does not name, fired together
        row(1001, 10, objref=None),
        row(1001, 20, objref=None),  # fired again
    ]
    found = duplicate_shots.check(shots(rows), {})
    assert [(f.point, f.tstamp) for f in found] == [(1001, rows[3]["tstamp"])]
    assert found[0].message == "point 1001 fired again by an unknown source"
