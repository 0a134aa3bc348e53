"""``source_sequence``: a shot fired by the wrong source of the flip-flop order (``sources: [3, 4]``)."""

from __future__ import annotations

from typing import Any

from chalicelib.services.qc.shots import Finding, ShotRow, Shots

TEST = "source_sequence"


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """One finding per shot whose source is not the one the order expects at its point.

    The order's phase is the one most shots agree with, so a sequence that starts on the second source
    is not wrong everywhere. Shots of sources outside the order are not judged.
    """
    sources = [int(s) for s in parameters["sources"]]
    judged = [r for r in shots.rows if r["objref"] in sources]
    if not judged:
        return []
    n = len(sources)
    p0 = judged[0]["point"]
    direction = shots.direction

    def expected(row: ShotRow, offset: int) -> int:
        return sources[(((row["point"] - p0) * direction) + offset) % n]

    offset = max(range(n), key=lambda k: sum(expected(r, k) == r["objref"] for r in judged))
    findings = []
    for row in judged:
        want = expected(row, offset)
        if row["objref"] != want:
            message = f"point {row['point']} fired by source {row['objref']}, expected {want}"
            findings.append(Finding.at(TEST, row, row["objref"], want, message))
    return findings
