"""Spec tag "metadata": the body of ``PUT /project/{project}/meta``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from chalicelib.models import Model
from chalicelib.models.limits import Int32

MAX_META_PATH_CHARS = 1_000

ElementType = Literal["sequences", "points", "lines"]
ElementKind = Literal["raw", "final", "preplot"]


class MetaUpdate(Model):
    """Which element (``sequence`` [+ ``point``], or ``line`` [+ ``point``]), where (``path``) and what (``value``).

    ``sequence`` takes precedence over ``line``; with ``line``, ``type`` is ignored (preplot). ``value`` is
    required and may be any JSON value at a ``path``; without a path it replaces the whole meta object.
    """

    model_config = ConfigDict(extra="forbid")

    type: ElementKind = "raw"
    sequence: Int32 | None = None
    line: Int32 | None = None
    point: Int32 | None = None
    path: str | None = Field(default=None, max_length=MAX_META_PATH_CHARS)
    value: Any
