"""Spec tag "planner": planned sequences, infill proposals and the completion forecast."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool, field_validator

from chalicelib.models import Model
from chalicelib.models.limits import Int32, Meta, Text
from chalicelib.models.projects import Duration

MAX_NAME_CHARS = 200


class PlannedSequenceIn(Model):
    """POST, PUT and PATCH body. The read-only properties of a ``PlannedSequence`` (what the server
    computes) are accepted and ignored, so that an answer can be sent back as it was read."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sequence: Int32 | None = Field(default=None, ge=1)
    line: Int32 | None = None
    fsp: Int32 | None = None
    lsp: Int32 | None = None
    ts0: datetime | None = None
    ts1: datetime | None = None
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_CHARS)
    remarks: Text | None = None
    meta: Meta | None = None
    # Read-only: computed by the server, ignored when sent.
    duration: Any = None
    num_points: Any = None
    length: Any = None
    azimuth: Any = None
    class_: Any = Field(default=None, alias="class")
    geometry: Any = None
    reason: Any = None
    # ``estimated: true`` says the ts0/ts1 sent are the server's estimates: they are not taken as given.
    estimated: StrictBool | None = None

    @field_validator("ts0", "ts1")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a timestamp needs a time zone (e.g. Z for UTC)")
        return value


class PlannedSequence(Model):
    """The spec's PlannedSequence, with ``estimated``: whether ts0/ts1 (one or both) are the server's estimates."""

    model_config = ConfigDict(populate_by_name=True)

    sequence: int
    line: int
    fsp: int
    lsp: int
    ts0: str
    ts1: str
    name: str
    remarks: str
    meta: dict[str, Any]
    duration: Duration | None
    num_points: int
    length: float
    azimuth: float | None
    class_: Literal["V"] = Field(default="V", serialization_alias="class")
    geometry: dict[str, Any]
    estimated: bool


class InfillProposal(PlannedSequence):
    """A planned sequence proposed by ``POST …/plan/infill``, with why: ``virgin`` (a line never shot),
    ``missing`` (a gap in a line already shot) or ``qc`` (shots rejected by QC)."""

    reason: Literal["virgin", "missing", "qc"]


class InfillParameters(Model):
    """The query string of ``POST …/plan/infill``: ``add=true`` stores the proposals in the plan."""

    add: bool = False


class CompletionRange(Model):
    p10: str
    p50: str
    p90: str


class Forecast(Model):
    """``GET …/forecast``: what remains, the production measured over the last days, and when it ends."""

    remaining_points: int
    remaining_lines: int
    window_start: str | None
    window_end: str | None
    window_days: int
    daily_production: list[float]
    rate: float | None = Field(description="preplot points per hour of shooting")
    shooting_share: float | None
    line_change_share: float | None
    downtime_share: float | None
    completion: CompletionRange | None
