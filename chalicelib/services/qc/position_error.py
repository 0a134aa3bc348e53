"""``position_error``: a shot too far from its preplot point, inline (along the line), crossline or radially."""

from __future__ import annotations

import math
from typing import Any

from chalicelib.services.qc.shots import Finding, Shots

TEST = "position_error"


def check(shots: Shots, parameters: dict[str, Any]) -> list[Finding]:
    """One finding per shot record beyond a limit, naming the first limit exceeded (inline, crossline, radial).

    Inline is measured along the line's grid azimuth where the shot's preplot point is (the segment's,
    on a dog-leg line); distances in metres whatever the grid's unit. Shots with no preplot point are
    left to ``outside_preplot``.
    """
    findings = []
    metres = shots.metres_per_unit
    for row in shots.rows:
        if row["pre_easting"] is None or row["pre_northing"] is None or row["easting"] is None:
            continue
        assert row["northing"] is not None
        de = (row["easting"] - row["pre_easting"]) * metres
        dn = (row["northing"] - row["pre_northing"]) * metres
        az = math.radians(row["line_azimuth"] or 0.0)
        inline = de * math.sin(az) + dn * math.cos(az)
        crossline = de * math.cos(az) - dn * math.sin(az)
        radial = math.hypot(de, dn)
        over = [
            (name, round(v, 2), lim)
            for name, v, lim in (
                ("inline", abs(inline), parameters["max_inline"]),
                ("crossline", abs(crossline), parameters["max_crossline"]),
                ("radial", radial, parameters["max_radial"]),
            )
            if v > float(lim)
        ]
        if over:
            name, value, lim = over[0]
            message = (
                f"{name} error {value:.1f} m > {float(lim):g} m "
                f"(inline {inline:+.1f}, crossline {crossline:+.1f}, radial {radial:.1f})"
            )
            findings.append(Finding.at(TEST, row, value, lim, message))
    return findings
