from chalicelib.services.qc import position_error
from tests.unit.qc.rows import line, row, shots

LIMITS = {"max_inline": 12.5, "max_crossline": 10.0, "max_radial": 15.0}


def test_shots_within_the_limits_give_nothing():
    rows = [row(1000, 0, de=9.9), row(1001, 10, dn=-12.4), row(1002, 20, de=7.0, dn=9.0)]
    assert position_error.check(shots(rows), LIMITS) == []


def test_the_first_limit_exceeded_is_named_with_every_distance():
    found = position_error.check(shots([row(1000, 0), row(1001, 10, de=-11.0)]), LIMITS)
    assert [(f.point, f.value, f.limit) for f in found] == [(1001, 11.0, 10.0)]
    assert found[0].message == "crossline error 11.0 m > 10 m (inline +0.0, crossline -11.0, radial 11.0)"
    assert (found[0].lon, found[0].lat) == (3.0, 54.0 + 25.0 / 111_000.0)


def test_inline_is_measured_along_the_line_azimuth():
    east_line = [row(1000, 0, de=13.0, line_azimuth=90.0)]  # 13 m east on an east-going line: inline
    [finding] = position_error.check(shots(east_line), LIMITS)
    assert finding.message.startswith("inline error 13.0 m > 12.5 m")


def test_radial_alone_can_exceed():
    # 12.1 m inline and 9 m crossline are each within their limit; together 15.08 m from the point.
    [finding] = position_error.check(shots([row(1000, 0, de=9.0, dn=12.1)]), LIMITS)
    assert (finding.value, finding.limit) == (15.08, 15.0)
    assert finding.message.startswith("radial error 15.1 m > 15 m")


def test_shots_without_a_preplot_point_are_not_judged():
    rows = line([1000, 1001], pre_easting=None, pre_northing=None)
    assert position_error.check(shots(rows), LIMITS) == []


def test_a_grid_in_feet_is_judged_in_metres():
    # 30 ft crossline is 9.14 m: within the 10 m limit, which stays in metres.
    from chalicelib.services.qc.shots import Shots

    feet = 1200 / 3937
    rows = [row(1000, 0, de=30.0)]
    assert position_error.check(Shots(rows, [], feet), LIMITS) == []
    [found] = position_error.check(Shots(rows, [], feet * 1.2), LIMITS)  # 36 ft: 10.97 m
    assert found.value == 10.97 and found.message.startswith("crossline error 11.0 m > 10 m")
