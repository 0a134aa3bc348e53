"""``outside_preplot``: shots with no preplot point, counted."""

from __future__ import annotations

from typing import Any

from chalicelib.services.qc.shots import Finding, Shots

TEST = "outside_preplot"


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """At most one finding, on the first such shot, with their count."""
    outside = [r for r in shots.rows if r["pre_easting"] is None]
    if not outside:
        return []
    message = f"{len(outside)} shot record{'s' if len(outside) > 1 else ''} with no preplot point"
    return [Finding.at(TEST, outside[0], len(outside), 0, message)]
