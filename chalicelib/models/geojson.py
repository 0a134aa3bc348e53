"""GeoJSON shapes every map answer shares (RFC 7946, WGS 84 longitude then latitude).

One place writes a Point, a Feature and a FeatureCollection; the tags with typed properties
(``models/gis.py``, events) declare their own features on top of ``point``.
"""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.models import Model


def point_at(lon: float, lat: float) -> dict[str, Any]:
    """A GeoJSON Point."""
    return {"type": "Point", "coordinates": [lon, lat]}


def point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    """A GeoJSON Point, or None when the position is not known."""
    if lon is None or lat is None:
        return None
    return point_at(lon, lat)


class Feature(Model):
    """A feature whose properties are a stored object as it is (a receiver, a navigation header)."""

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(Model):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
