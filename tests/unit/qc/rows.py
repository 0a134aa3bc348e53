"""Shot rows built in the test: a line shot north (azimuth 0°) from point 1000, 25 m and 10 s apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.services.qc.shots import ShotRow, Shots

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SPACING = 25.0  # metres between preplot points
INTERVAL = 10.0  # seconds between shots: 2.5 m/s, 4.86 kn


def row(
    point: int, seconds: float, *, objref: int | None = 1, de: float = 0.0, dn: float = 0.0, **changes: Any
) -> ShotRow:
    """The shot at ``point`` fired ``seconds`` after the start, ``de``/``dn`` metres off its preplot point."""
    north = (point - 1000) * SPACING
    shot: ShotRow = {
        "point": point,
        "objref": objref,
        "tstamp": START + timedelta(seconds=seconds),
        "easting": 500_000.0 + de,
        "northing": 6_000_000.0 + north + dn,
        "lon": 3.0,
        "lat": 54.0 + north / 111_000.0,
        "line": 10,
        "pre_easting": 500_000.0,
        "pre_northing": 6_000_000.0 + north,
        "line_azimuth": 0.0,
    }
    shot.update(changes)  # type: ignore[typeddict-item]
    return shot


def line(points: list[int], **changes: Any) -> list[ShotRow]:
    """Shots at ``points``, one every ``INTERVAL`` seconds in that order."""
    return [row(p, i * INTERVAL, **changes) for i, p in enumerate(points)]


def shots(rows: list[ShotRow], preplot: list[int] | None = None) -> Shots:
    return Shots(rows, preplot or [])
