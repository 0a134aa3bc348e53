"""Map views of a project for the office page: preplot lines by state, sequence tracks, events by position."""

from __future__ import annotations

from typing import Any

from chalicelib.db import gis as db
from chalicelib.models import geojson
from chalicelib.models.gis import (
    EventCollection,
    EventFeature,
    EventProperties,
    LineCollection,
    LineFeature,
    LineProperties,
    LineState,
    ProfilePoint,
    SequenceProfile,
    TrackCollection,
    TrackFeature,
    TrackProperties,
)
from chalicelib.models.paging import PageQuery
from chalicelib.models.sequences import sequence_status
from chalicelib.services.lookup import get_project, get_sequence_row

# Degrees: about a metre at survey latitudes, well below a pixel at any zoom that shows a whole line,
# and a straight line keeps only its ends.
SIMPLIFY_DEGREES = 1e-5
QC_LABEL = "QC"


def line_state(ntba: bool, num_points: int, prime: int, other: int, tba: int) -> LineState:
    """``ntba`` when the line is not to be acquired; ``virgin`` when no point is acquired; ``acquired``
    when nothing is left to acquire (every point acquired or NTBA); ``partial`` otherwise."""
    if ntba:
        return "ntba"
    if prime + other == 0:
        return "virgin"
    if tba == 0 or num_points == 0:
        return "acquired"
    return "partial"


def lines(pid: str) -> LineCollection:
    get_project(pid)
    features = []
    for row in db.line_features(pid, SIMPLIFY_DEGREES):
        properties = LineProperties(
            line=row["line"],
            fsp=row["fsp"],
            lsp=row["lsp"],
            state=line_state(row["ntba"], row["num_points"], row["prime"], row["other"], row["tba"]),
            num_points=row["num_points"],
            virgin=row["na"],
            prime=row["prime"],
            other=row["other"],
            ntba=row["ntba_points"],
            remaining=row["tba"],
        )
        features.append(LineFeature(geometry=row["geometry"], properties=properties))
    return LineCollection(features=features)


def tracks(pid: str) -> TrackCollection:
    get_project(pid)
    features = []
    for row in db.sequence_tracks(pid, SIMPLIFY_DEGREES):
        properties = TrackProperties(
            sequence=row["sequence"],
            line=row["line"],
            attempt=row["attempt"],
            fsp=row["fsp"],
            lsp=row["lsp"],
            kind=row["kind"],
            status=sequence_status(row),
        )
        features.append(TrackFeature(geometry=row["geometry"], properties=properties))
    return TrackCollection(features=features)


def events(pid: str, page: PageQuery) -> tuple[EventCollection, int]:
    get_project(pid)
    rows, total = db.event_positions(pid, page.limit, page.offset)
    features = [
        EventFeature(geometry=geojson.point_at(row["lon"], row["lat"]), properties=_event_properties(row))
        for row in rows
    ]
    return EventCollection(features=features), total


def _event_properties(row: dict[str, Any]) -> EventProperties:
    labels = list(row["labels"])
    return EventProperties(
        id=row["id"],
        tstamp=row["tstamp"].isoformat() if row["tstamp"] is not None else None,
        sequence=row["sequence"],
        point=row["point"],
        remarks=row["remarks"],
        labels=labels,
        qc=QC_LABEL in labels,
        accepted=row["accepted"],
    )


def profile(pid: str, sequence: int) -> SequenceProfile:
    """Shot interval and distance from the preplot along a sequence, shotpoint by shotpoint."""
    row = get_sequence_row(pid, sequence)
    points = [
        ProfilePoint(point=r["point"], tstamp=r["tstamp"].isoformat(), interval=r["interval"], error=r["error"])
        for r in db.sequence_profile(pid, sequence)
    ]
    final = row["final_upload_id"] is not None
    return SequenceProfile(sequence=sequence, kind="final" if final else "raw", points=points)
