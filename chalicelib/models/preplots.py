"""Spec tag "preplot": preplot lines."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from chalicelib.models import Model
from chalicelib.models.limits import Meta, Text


class PreplotLine(Model):
    line: int
    fsp: int | None
    lsp: int | None
    num_points: int
    na: int
    tba: int
    length: float | None
    azimuth: float | None
    incr: bool
    remarks: str
    ntba: bool
    meta: dict[str, Any]


class LineUpdate(Model):
    """PATCH body: every property optional; an empty object changes nothing."""

    model_config = ConfigDict(extra="forbid", strict=True)

    remarks: Text | None = None
    meta: Meta | None = None
    ntba: bool | None = None
    complete: bool | None = None
    incr: bool | None = None
