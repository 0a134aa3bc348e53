"""``duplicate_shots``: a point fired again by the same source."""

from __future__ import annotations

from typing import Any

from chalicelib.services.qc.shots import Finding, Shots

TEST = "duplicate_shots"


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """One finding per (point, source) fired more than once, on its second shot."""
    findings = []
    seen: dict[tuple[int, int], int] = {}
    for row in shots.rows:
        key = (row["point"], row["objref"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            message = f"point {row['point']} fired again by source {row['objref']}"
            findings.append(Finding.at(TEST, row, 2, 1, message))
    return findings
