"""Projects: the list, the summary, and the administrative inputs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from chalicelib.models import Model
from chalicelib.models.limits import Meta

PID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"


class ProjectListItem(Model):
    pid: str
    name: str
    schema_: str = Field(serialization_alias="schema")
    groups: list[str]
    meta: dict[str, Any]


class ProjectCreate(Model):
    model_config = ConfigDict(extra="forbid")

    pid: str = Field(pattern=PID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    groups: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=100)
    configuration: dict[str, Any] = Field(default_factory=dict)
    meta: Meta = Field(default_factory=dict)


class Duration(Model):
    hours: int
    minutes: int
    seconds: int
    milliseconds: float

    @classmethod
    def from_seconds(cls, total: float | None) -> Duration | None:
        if total is None:
            return None
        millis = round(total * 1000.0, 3)
        whole_seconds, ms = divmod(millis, 1000.0)
        hours, rest = divmod(int(whole_seconds), 3600)
        minutes, seconds = divmod(rest, 60)
        return cls(hours=hours, minutes=minutes, seconds=seconds, milliseconds=round(ms, 3))


class ProjectSummary(Model):
    """The spec's ProjectSummary, from the figures kept up to date at import (no scan of points or shots).

    ``fsp``/``lsp`` are the project's earliest and latest final shots (``Shotpoint`` bodies).
    ``grid_unit`` is ours, next to the spec's properties.
    """

    pid: str
    name: str
    schema_: str = Field(serialization_alias="schema")
    lines: int
    total: int
    virgin: int
    prime: int
    other: int
    ntba: int
    remaining: int
    fsp: dict[str, Any] | None
    lsp: dict[str, Any] | None
    seq_raw: int
    seq_final: int
    prod_duration: Duration | None
    prod_distance: float
    shooting_rate: float | None
    grid_unit: str = "metre"
    """The unit of the project grid's coordinates (``metre``, ``US survey foot``, ``foot``); lengths,
    distances and speeds are in metres whatever it is. Not in the contract's schema, which allows more
    properties."""
