"""``shot_interval``: the time between consecutive shots outside ``[min_s, max_s]``."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from chalicelib.services.qc.shots import Finding, Shots

TEST = "shot_interval"


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """One finding per shot too soon or too late after the previous one (simultaneous sources are one shot)."""
    findings = []
    low, high = parameters["min_s"], parameters["max_s"]
    for before, row in pairwise(shots.distinct):
        dt = (row["tstamp"] - before["tstamp"]).total_seconds()
        if not float(low) <= dt <= float(high):
            limit = low if dt < float(low) else high
            message = f"{dt:.2f} s since the previous shot (allowed {low}-{high} s)"
            findings.append(Finding.at(TEST, row, round(dt, 3), limit, message))
    return findings
