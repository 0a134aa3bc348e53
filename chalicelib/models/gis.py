"""Map views of a project (not in the contract): GeoJSON feature collections in WGS 84 for the office page."""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.models import Model

LineState = Literal["virgin", "partial", "acquired", "ntba"]


class LineProperties(Model):
    """A preplot line: its first and last points, its state and its point counts (``prime``/``other``:
    acquired once / more than once)."""

    line: int
    fsp: int | None
    lsp: int | None
    state: LineState
    num_points: int
    virgin: int
    prime: int
    other: int
    ntba: int
    remaining: int


class LineFeature(Model):
    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] | None
    properties: LineProperties


class LineCollection(Model):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[LineFeature]


class TrackProperties(Model):
    """An acquired sequence's track, drawn from its final shots once processed (``kind``), else raw."""

    sequence: int
    line: int
    attempt: int
    fsp: int | None
    lsp: int | None
    kind: Literal["raw", "final"]
    status: str


class TrackFeature(Model):
    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] | None
    properties: TrackProperties


class TrackCollection(Model):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[TrackFeature]


class EventProperties(Model):
    """A current event at a shotpoint; ``qc`` when it is a QC finding (label ``QC``), ``accepted`` its acceptance."""

    id: int
    tstamp: str | None
    sequence: int
    point: int
    remarks: str
    labels: list[str]
    qc: bool
    accepted: bool


class EventFeature(Model):
    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any]
    properties: EventProperties


class EventCollection(Model):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[EventFeature]


class ProfilePoint(Model):
    """One shotpoint of a sequence: seconds since the one before (null for the first), distance from its
    preplot point in the grid's units (null without a preplot point)."""

    point: int
    tstamp: str
    interval: float | None
    error: float | None


class SequenceProfile(Model):
    sequence: int
    kind: Literal["raw", "final"]
    points: list[ProfilePoint]
