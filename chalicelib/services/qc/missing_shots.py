"""``missing_shots``: preplot points of the line not shot between the sequence's first and last shot."""

from __future__ import annotations

from typing import Any

from chalicelib.services.qc.shots import Finding, ShotRow, Shots

TEST = "missing_shots"


def _finding(points: list[int], anchor: ShotRow) -> Finding:
    span = f"{points[0]}-{points[-1]}" if len(points) > 1 else str(points[0])
    return Finding(
        TEST,
        points[0],
        anchor["tstamp"],
        len(points),
        0,
        f"{len(points)} missing shot{'s' if len(points) > 1 else ''}: {span}",
        extra={"from": points[0], "to": points[-1], "count": len(points)},
    )


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """One finding per run of consecutive missing points, in shooting order, at the time of the last shot
    before the gap (so the office finds it where the vessel was)."""
    if not shots.preplot_points:
        return []
    findings = []
    shot_points = {r["point"] for r in shots.rows}
    first_at: dict[int, ShotRow] = {}
    for row in shots.distinct:
        first_at.setdefault(row["point"], row)
    before = shots.distinct[0]  # the last shot before the current place, in shooting order
    run: list[int] = []
    points = shots.preplot_points if shots.direction > 0 else list(reversed(shots.preplot_points))
    for point in points:
        if point in shot_points:
            if run:
                findings.append(_finding(run, before))
                run = []
            before = first_at.get(point, before)
        else:
            run.append(point)
    if run:
        findings.append(_finding(run, before))
    return findings
