"""Receiver points of a project (``GET /project/{project}/receiver``): ocean-bottom nodes and seismometers."""

from __future__ import annotations

from typing import Any

from chalicelib.models import Model


class Receiver(Model):
    """One receiver position as a file gave it; grid coordinates in the project grid, lon/lat on WGS 84."""

    line: int | None
    """Receiver line (P1/90 ``R`` records give none)."""
    point: int | None
    """Receiver point (station); P1/90: the group number."""
    node: str
    """The receiver's identity as the file writes it (P1/11 receiver number or object name, SPS line/point)."""
    objref: int | None
    tstamp: str | None
    depth: float | None
    easting: float
    northing: float
    lon: float
    lat: float
    kind: str
    """The kind of file that gave it: preplot, raw or final."""
    sequence: int | None
    """The sequence of the raw or final file that gave it."""
    file: str
    """The upload's key."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Receiver:
        return cls(**{**row, "tstamp": row["tstamp"].isoformat() if row["tstamp"] else None})


class ReceiverListQuery(Model):
    line: int | None = None
    limit: int
    offset: int = 0
