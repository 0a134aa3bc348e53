"""The real-time navigation feed (spec tag ``navdata``): headers in, the stored items, the query string.

A stored item (``NavData``) is the header as the vessel sent it plus what Dougal adds, under keys that start
with ``_`` so they never clash with the navigation system's own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from chalicelib.models import Model

# Headers in one POST (a vessel sends a few per second, in batches of about ten).
MAX_NAV_BATCH = 1000
# The largest single header, as JSON.
MAX_HEADER_BYTES = 16_384
# ``q``: defaults of the spec, and the largest values accepted.
DEFAULT_TOLERANCE_MS = 1000.0
DEFAULT_RADIUS_M = 1.0
MAX_TOLERANCE_MS = 366 * 86_400_000.0
MAX_RADIUS_M = 20_037_509.0  # half the equator: anything further is everywhere
# Pages of /navdata and /navdata/gis/point.
DEFAULT_NAV_PAGE = 1000
MAX_NAV_PAGE = 10_000
# Vertices of /navdata/gis/line.
MIN_LINE_VERTICES = 2
DEFAULT_LINE_VERTICES = 1000


class NavData(Model):
    """One stored item: the original header (kept as extra keys) plus Dougal's own."""

    model_config = ConfigDict(defer_build=True, extra="allow", populate_by_name=True)

    received: datetime = Field(alias="_received")
    """When Dougal received the batch (UTC)."""
    latency: int = Field(alias="_latency")
    """``_received`` minus the header's time, in milliseconds."""
    online: bool = Field(alias="_online")
    """The line name matched a project's ``online.line.pattern``."""
    sequence: int | None = Field(default=None, alias="_sequence")
    line: int | None = Field(default=None, alias="_line")
    point: int | None = Field(default=None, alias="_point")
    schema_: str | None = Field(default=None, alias="_schema")
    """The namespace name of the project whose line was online (``ProjectSummary.schema``)."""


class NavRow(Model):
    """What one header becomes in the table: the fix, the online facts, and the item to keep."""

    tstamp: datetime
    lon: float
    lat: float
    online: bool
    pid: str | None
    sequence: int | None
    line: int | None
    point: int | None
    attempt: int | None = None
    line_name: str | None = None
    data: dict[str, Any]


class NavIngestResult(Model):
    """The answer to ``POST /navdata``."""

    received: int
    """Headers in the batch."""
    stored: int
    """Headers stored now (the others were already there: a repeated batch)."""
    online: int
    """Headers of the batch on an online line."""


class NavFeedStatus(Model):
    """The feed's age as one project sees it (``/status``): the feed is the vessel's, the limit the project's."""

    project: str
    newest: datetime | None
    """The time of the newest header (null: none received)."""
    age_seconds: float | None
    """Seconds from ``newest`` to now."""
    stale_seconds: float
    """``configuration.navdata.stale_seconds`` (default 60)."""
    stale: bool
    """Older than ``stale_seconds``, or no header at all."""


class NavQuery(Model):
    """``GET /navdata``: ``q`` (time and/or position), the projection and the page."""

    tstamp: datetime | None = None
    tolerance_ms: float = DEFAULT_TOLERANCE_MS
    lon: float | None = None
    lat: float | None = None
    radius_m: float = DEFAULT_RADIUS_M
    fields: list[str] | None = None
    limit: int = DEFAULT_NAV_PAGE
    offset: int = 0
