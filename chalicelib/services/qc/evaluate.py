"""All the enabled tests over one sequence's shots: pure, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.services.qc import (
    duplicate_shots,
    missing_shots,
    outside_preplot,
    point_order,
    position_error,
    shot_interval,
    source_sequence,
    speed,
)
from chalicelib.services.qc.shots import Finding, ShotRow, Shots

Check = Callable[[Shots, dict[str, Any]], list[Finding]]

# In catalogue order: each test's findings come in the order of its shots.
CHECKS: dict[str, Check] = {
    position_error.TEST: position_error.check,
    missing_shots.TEST: missing_shots.check,
    duplicate_shots.TEST: duplicate_shots.check,
    shot_interval.TEST: shot_interval.check,
    speed.TEST: speed.check,
    source_sequence.TEST: source_sequence.check,
    point_order.TEST: point_order.check,
    outside_preplot.TEST: outside_preplot.check,
}


def evaluate(
    rows: list[ShotRow], tests: dict[str, dict[str, Any]], preplot_points: list[int], metres_per_unit: float = 1.0
) -> list[Finding]:
    """Findings of the ``tests`` (from ``catalogue.tests_for``) for one sequence's shots in time order;
    ``metres_per_unit`` of the project grid (its coordinates are in feet in some surveys)."""
    if not rows:
        return []
    shots = Shots(rows, preplot_points, float(metres_per_unit))
    findings: list[Finding] = []
    for test, spec in tests.items():
        findings.extend(CHECKS[test](shots, spec["parameters"]))
    return findings
