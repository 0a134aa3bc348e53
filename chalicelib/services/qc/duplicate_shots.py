"""``duplicate_shots``: a point fired again by the same source."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.services.qc.shots import Finding, Shots

TEST = "duplicate_shots"


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """One finding per (point, source) fired more than once, on its second shot.

    Shots whose source the file does not say (objref NULL) count as one source, but shots of theirs at the
    same time are simultaneous sources, not a point fired again.
    """
    findings = []
    seen: dict[tuple[int, int | None], int] = {}
    unknown_times: dict[int, datetime] = {}
    for row in shots.rows:
        objref = row["objref"]
        if objref is None:
            if unknown_times.get(row["point"]) == row["tstamp"]:
                continue
            unknown_times[row["point"]] = row["tstamp"]
        key = (row["point"], objref)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            source = "an unknown source" if objref is None else f"source {objref}"
            message = f"point {row['point']} fired again by {source}"
            findings.append(Finding.at(TEST, row, 2, 1, message))
    return findings
