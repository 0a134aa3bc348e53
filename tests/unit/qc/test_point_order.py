from chalicelib.services.qc import point_order
from tests.unit.qc.rows import line, shots


def test_a_point_that_does_not_move_on_is_found():
    found = point_order.check(shots(line([1000, 1001, 1001, 1003, 1002, 1004])), {})
    assert [(f.point, f.value, f.limit) for f in found] == [(1001, 1001, 1001), (1002, 1002, 1003)]
    assert found[1].message == "point 1002 after 1003: not increasing"


def test_a_decreasing_sequence_judges_against_its_own_direction():
    found = point_order.check(shots(line([1005, 1004, 1006, 1000])), {})
    assert [f.message for f in found] == ["point 1006 after 1004: not decreasing"]
