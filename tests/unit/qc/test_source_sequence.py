from chalicelib.services.qc import source_sequence
from tests.unit.qc.rows import row, shots

FLIP_FLOP = {"sources": [3, 4]}


def test_a_shot_by_the_wrong_source_names_the_expected_one():
    order = [3, 4, 3, 3, 3, 4]
    rows = [row(1000 + i, i * 10, objref=s) for i, s in enumerate(order)]
    found = source_sequence.check(shots(rows), FLIP_FLOP)
    assert [(f.point, f.value, f.limit) for f in found] == [(1003, 3, 4)]
    assert found[0].message == "point 1003 fired by source 3, expected 4"


def test_the_phase_is_the_one_most_shots_agree_with():
    order = [4, 3, 4, 3, 4]  # starting on the second source is not wrong everywhere
    rows = [row(1000 + i, i * 10, objref=s) for i, s in enumerate(order)]
    assert source_sequence.check(shots(rows), FLIP_FLOP) == []


def test_sources_outside_the_order_are_not_judged():
    rows = [row(1000, 0, objref=7), row(1001, 10, objref=7)]
    assert source_sequence.check(shots(rows), FLIP_FLOP) == []
