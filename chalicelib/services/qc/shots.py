"""What every QC test reads and writes: a sequence's shot rows and the findings made of them.

A shot row is one record of the sequence's shots (final once processed, else
raw) in time order, with its preplot point matched by (line, point): a
nearest-neighbour match would pick the wrong point for exactly the outliers QC
is looking for. Simultaneous sources share a time, so a time can have several
rows; ``Shots.distinct`` keeps one row per time for the tests that judge the
vessel's progress rather than each source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, TypedDict

KNOTS = 1852.0 / 3600.0  # metres per second in a knot


class ShotRow(TypedDict):
    """One shot record as ``db.qc.sequence_shots`` returns it (``pre_*`` None: no preplot point)."""

    point: int
    objref: int | None
    """The source; None when the file does not say (P1/90 column 18 blank or an unlisted letter)."""
    tstamp: datetime
    easting: float | None
    northing: float | None
    lon: float | None
    lat: float | None
    line: int
    pre_easting: float | None
    pre_northing: float | None
    line_azimuth: float | None
    """Grid azimuth of the line at the shot's preplot point (of its segment, on a dog-leg line)."""


@dataclass(frozen=True)
class Finding:
    """One finding of one test, anchored on a shot (the first shot of a run of missing ones)."""

    test: str
    point: int
    tstamp: datetime
    value: Any
    limit: Any
    message: str
    lon: float | None = None
    lat: float | None = None
    extra: dict[str, Any] | None = None

    @classmethod
    def at(cls, test: str, row: ShotRow, value: Any, limit: Any, message: str) -> Finding:
        """A finding on this shot, placed at its position."""
        return cls(test, row["point"], row["tstamp"], value, limit, message, row["lon"], row["lat"])


@dataclass(frozen=True)
class Shots:
    """A sequence's shot rows (time order, at least one) and the preplot points of its line between its
    first and last shot (ascending). ``metres_per_unit`` turns the project grid's coordinates into metres
    (0.3048006… for US survey feet): tests judge distances and speeds in metres."""

    rows: list[ShotRow]
    preplot_points: list[int] = field(default_factory=list)
    metres_per_unit: float = 1.0

    @cached_property
    def distinct(self) -> list[ShotRow]:
        """One row per shot time (simultaneous sources share a time)."""
        out: list[ShotRow] = []
        for row in self.rows:
            if out and out[-1]["tstamp"] == row["tstamp"]:
                continue
            out.append(row)
        return out

    @cached_property
    def direction(self) -> int:
        """+1 when the sequence shoots towards higher point numbers, else -1."""
        return 1 if self.distinct[-1]["point"] >= self.distinct[0]["point"] else -1
