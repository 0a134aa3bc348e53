from chalicelib.services.qc import CATALOGUE, evaluate
from chalicelib.services.qc import tests_for as configured_tests
from chalicelib.services.qc.evaluate import CHECKS
from tests.unit.qc.rows import line, row


def test_every_catalogued_test_has_its_check():
    assert list(CHECKS) == list(CATALOGUE)


def test_overrides_disable_and_change_severity_and_parameters():
    tests = configured_tests(
        {
            "qc": {
                "speed": {"enabled": False},
                "point_order": {"severity": "error", "x": 1},
                "shot_interval": {"max_s": 9},
            }
        }
    )
    assert "speed" not in tests and "source_sequence" not in tests  # not configured: not run
    assert tests["point_order"]["severity"] == "error" and "x" not in tests["point_order"]["parameters"]
    assert tests["shot_interval"]["parameters"] == {"min_s": 4.0, "max_s": 9}


def test_only_the_enabled_tests_run():
    rows = [*line([1000, 1001]), row(1001, 20)]  # a duplicate: also not moving on, and standing still
    tests = configured_tests({"qc": {"point_order": {"enabled": False}, "speed": {"enabled": False}}})
    assert {f.test for f in evaluate(rows, tests, [1000, 1001])} == {"duplicate_shots"}
    assert evaluate([], tests, []) == []
