"""Receiver points: the list, as JSON or as GeoJSON."""

from __future__ import annotations

from typing import Any

from chalicelib.db import receivers as db
from chalicelib.models.geojson import Feature, FeatureCollection, point
from chalicelib.models.receivers import Receiver, ReceiverListQuery
from chalicelib.services.lookup import get_project


def list_receivers(pid: str, query: ReceiverListQuery) -> tuple[list[Receiver], int]:
    """One page of the project's receivers (by line, point, time), and how many there are."""
    get_project(pid)
    rows, total = db.list_receivers(pid, query.line, query.limit, query.offset)
    return [Receiver.from_row(row) for row in rows], total


def as_json(receivers: list[Receiver]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in receivers]


def as_geojson(receivers: list[Receiver]) -> FeatureCollection:
    """A FeatureCollection of points on WGS 84; the other fields are the properties."""
    features = []
    for receiver in receivers:
        body = receiver.model_dump(mode="json")
        features.append(Feature(geometry=point(body["lon"], body["lat"]), properties=body))
    return FeatureCollection(features=features)
