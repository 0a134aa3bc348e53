from chalicelib.services.qc import outside_preplot
from tests.unit.qc.rows import row, shots


def test_shots_with_no_preplot_point_are_counted_on_the_first_one():
    rows = [row(1000, 0), row(1001, 10, pre_easting=None), row(1002, 20, pre_easting=None)]
    [finding] = outside_preplot.check(shots(rows), {})
    assert (finding.point, finding.value, finding.limit) == (1001, 2, 0)
    assert finding.message == "2 shot records with no preplot point"


def test_nothing_when_every_shot_has_its_point():
    assert outside_preplot.check(shots([row(1000, 0)]), {}) == []
