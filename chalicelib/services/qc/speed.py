"""``speed``: the speed over ground between consecutive shots outside ``[min_kn, max_kn]``."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

from chalicelib.services.qc.shots import KNOTS, Finding, Shots

TEST = "speed"


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """One finding per shot reached too slowly or too fast from the previous one (grid distance in metres
    over time)."""
    findings = []
    metres = shots.metres_per_unit
    low, high = parameters["min_kn"], parameters["max_kn"]
    for before, row in pairwise(shots.distinct):
        dt = (row["tstamp"] - before["tstamp"]).total_seconds()
        if dt <= 0 or row["easting"] is None or before["easting"] is None:
            continue
        assert row["northing"] is not None and before["northing"] is not None
        distance = math.hypot(row["easting"] - before["easting"], row["northing"] - before["northing"]) * metres
        knots = distance / dt / KNOTS
        if not float(low) <= knots <= float(high):
            limit = low if knots < float(low) else high
            message = f"{knots:.2f} kn since the previous shot (allowed {low}-{high} kn)"
            findings.append(Finding.at(TEST, row, round(knots, 2), limit, message))
    return findings
