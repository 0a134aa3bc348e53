"""``point_order``: point numbers not strictly monotonic in time."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from chalicelib.services.qc.shots import Finding, Shots

TEST = "point_order"


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """One finding per shot that does not move on in the sequence's shooting direction."""
    findings = []
    word = "increasing" if shots.direction > 0 else "decreasing"
    for before, row in pairwise(shots.distinct):
        if (row["point"] - before["point"]) * shots.direction <= 0:
            message = f"point {row['point']} after {before['point']}: not {word}"
            findings.append(Finding.at(TEST, row, row["point"], before["point"], message))
    return findings
