"""Spec tag "preplot": preplot lines."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.models.limits import Meta, Text


class PreplotLine(BaseModel):
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


class LineUpdate(BaseModel):
    """PATCH body: every property optional; an empty object changes nothing."""

    model_config = ConfigDict(extra="forbid", strict=True)

    remarks: Text | None = None
    meta: Meta | None = None
    ntba: bool | None = None
    complete: bool | None = None
    incr: bool | None = None
