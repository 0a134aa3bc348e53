"""The real-time navigation feed: headers from the vessel in, queries and GIS views out.

Which project a header belongs to: the feed is the vessel's, not a project's (``/navdata`` has no project in
its path). A header is *online* when its line name matches the ``online.line.pattern`` of an unarchived
project the sender may see; the newest such project (by creation) takes it, and the header is read with
that project's ``configuration.navdata.fields``. A header of no online line is read with the field names
of the newest unarchived project the sender may see (the survey in progress), or the defaults.

A batch is all or nothing: every header is checked before anything is written, and the first bad one is a
400 naming its index and field. Headers already stored (same time and position: a repeated batch or a
redelivered message) are skipped by the table's unique key, so sending a batch twice stores it once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.db import Connection, transaction
from chalicelib.db import navdata as db
from chalicelib.models.configuration import Matcher, NavdataFields
from chalicelib.models.geojson import Feature, point
from chalicelib.models.limits import INT32_MAX, INT32_MIN
from chalicelib.models.navdata import (
    MAX_HEADER_BYTES,
    MAX_NAV_BATCH,
    NavData,
    NavFeedStatus,
    NavIngestResult,
    NavQuery,
    NavRow,
)
from chalicelib.services import events, ingest


@dataclass(frozen=True)
class Candidate:
    """A project a header may belong to: its namespace name, field names and line pattern."""

    pid: str
    schema: str
    fields: NavdataFields
    pattern: tuple[Matcher, list[str]] | None


def _candidate(row: dict[str, Any]) -> Candidate:
    configuration = row["configuration"] or {}
    navdata = configuration.get("navdata") if isinstance(configuration.get("navdata"), dict) else {}
    try:
        fields = NavdataFields.model_validate((navdata or {}).get("fields") or {})
    except ValueError:
        fields = NavdataFields()
    try:
        pattern: tuple[Matcher, list[str]] | None = ingest.line_pattern(configuration)
    except ingest.RejectError:
        pattern = None
    return Candidate(row["pid"], row["schema"], fields, pattern)


def candidates(pids: list[str] | None) -> list[Candidate]:
    return [_candidate(row) for row in db.candidate_projects(pids)]


# ---------------------------------------------------------------- reading one header

# Dougal's own keys of a stored item: a header's values under these names are not kept (an offline item
# must not carry a ``_sequence`` the sender made up).
OWN_KEYS = frozenset({"_received", "_latency", "_online", "_sequence", "_line", "_point", "_schema"})


def _bad(index: int, field: str, why: str) -> errors.BadRequestError:
    return errors.BadRequestError(f"item {index}: {field}: {why}; nothing stored")


def _time(header: dict[str, Any], index: int, key: str) -> datetime:
    value = header.get(key)
    if value is None:
        raise _bad(index, key, "the header's time is missing")
    if isinstance(value, bool):
        raise _bad(index, key, "not a time")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 <= value < 32_503_680_000:  # Unix seconds up to year 3000
            raise _bad(index, key, "Unix seconds out of range")
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or len(value) > 40:
        raise _bad(index, key, "not an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _bad(index, key, f"not an ISO-8601 time: {value!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _degrees(header: dict[str, Any], index: int, key: str, limit: float) -> float:
    value = header.get(key)
    if value is None:
        raise _bad(index, key, "missing")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad(index, key, "not a number")
    try:
        number = float(value)
    except ValueError as exc:
        raise _bad(index, key, f"not a number: {str(value)[:40]!r}") from exc
    if not math.isfinite(number) or abs(number) > limit:
        raise _bad(index, key, f"must be within ±{limit:g} degrees")
    return number


def _point(header: dict[str, Any], index: int, key: str) -> int | None:
    value = header.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _bad(index, key, "not a point number")
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,10}", value.strip()):
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not INT32_MIN <= value <= INT32_MAX:
        raise _bad(index, key, "not a point number (a 32-bit integer)")
    return value


def _line_name(header: dict[str, Any], key: str) -> str | None:
    value = header.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def _online(header: dict[str, Any], found: list[Candidate]) -> tuple[Candidate, ingest.SequenceIdentity] | None:
    for candidate in found:
        if candidate.pattern is None:
            continue
        name = _line_name(header, candidate.fields.line)
        if name is None:
            continue
        try:
            return candidate, ingest.identify_sequence(name, "", candidate.pattern)
        except ingest.RejectError:
            continue
    return None


def read_header(header: Any, index: int, found: list[Candidate], received: datetime) -> NavRow:
    """The row a header becomes; 400 naming the item and field when it cannot be read."""
    if not isinstance(header, dict):
        raise errors.BadRequestError(f"item {index}: a header is a JSON object; nothing stored")
    if len(json.dumps(header, default=str)) > MAX_HEADER_BYTES:
        raise errors.BadRequestError(f"item {index}: a header holds at most {MAX_HEADER_BYTES} bytes; nothing stored")
    online = _online(header, found)
    fields = online[0].fields if online else (found[0].fields if found else NavdataFields())
    tstamp = _time(header, index, fields.tstamp)
    lat = _degrees(header, index, fields.lat, 90.0)
    lon = _degrees(header, index, fields.lon, 180.0)
    point = _point(header, index, fields.point)
    latency = round((received - tstamp) / timedelta(milliseconds=1))
    own: dict[str, Any] = {"_received": received, "_latency": latency, "_online": online is not None}
    pid = sequence = line = point_kept = attempt = None
    line_name: str | None = None
    if online is not None:
        candidate, identity = online
        pid, sequence, line, point_kept = candidate.pid, identity.sequence, identity.line, point
        attempt, line_name = identity.attempt, _line_name(header, candidate.fields.line)
        own.update({"_sequence": sequence, "_line": line, "_point": point, "_schema": candidate.schema})
    item = NavData.model_validate(own)
    added = item.model_dump(mode="json", by_alias=True, exclude_none=True)
    return NavRow(
        tstamp=tstamp,
        lon=lon,
        lat=lat,
        online=online is not None,
        pid=pid,
        sequence=sequence,
        line=line,
        point=point_kept,
        attempt=attempt,
        line_name=line_name,
        data={**{k: v for k, v in header.items() if k not in OWN_KEYS}, **added},
    )


def store_headers(headers: Any, pids: list[str] | None, received: datetime | None = None) -> NavIngestResult:
    """Check a batch whole, then store it in one statement. ``pids``: the projects the sender may see
    (None: all)."""
    if not isinstance(headers, list):
        raise errors.BadRequestError("The body must be a JSON array of navigation headers")
    if not headers:
        raise errors.BadRequestError("The batch holds no header")
    if len(headers) > MAX_NAV_BATCH:
        raise errors.BadRequestError(f"A batch holds at most {MAX_NAV_BATCH} headers, not {len(headers)}")
    now = received or datetime.now(UTC)
    found = candidates(pids)
    rows = [read_header(header, index, found, now) for index, header in enumerate(headers)]
    with transaction() as conn:
        stored = db.insert_navdata(conn, now, [row.model_dump() for row in rows])
        if stored:
            sync_online_events(conn)
    return NavIngestResult(received=len(rows), stored=stored, online=sum(row.online for row in rows))


def sync_online_events(conn: Connection) -> None:
    """The FSP and LSP system events of online sequences (no file imported yet), from the feed.

    FSP: written when a sequence is first seen online, at its first header (moved if an earlier header
    arrives late). LSP: written when the sequence goes offline, i.e. when the feed holds a header later
    than its latest one that is not of it (an offline header, another sequence's), at that latest header;
    moved if later headers of the sequence arrive after that. A sequence still online has no LSP yet.
    The import of its raw file makes them the file's first and last shots (``events.sync_sequence_events``
    finds them by ``meta.system``): one FSP and one LSP, never two.
    """
    for row in db.online_events_due(conn):
        anchors: dict[str, events.OnlineAnchor] = {}
        if row["fsp_due"]:
            anchors["FSP"] = events.OnlineAnchor(row["fsp"], row["ts0"], row["fsp_lon"], row["fsp_lat"])
        if row["lsp_due"]:
            anchors["LSP"] = events.OnlineAnchor(row["lsp"], row["ts1"], row["lsp_lon"], row["lsp_lat"])
        events.sync_online_sequence_events(conn, row["pid"], row["sequence"], anchors)
        db.mark_online_events(
            conn,
            row["pid"],
            row["sequence"],
            row["ts0"] if row["fsp_due"] else None,
            row["ts1"] if row["lsp_due"] else None,
        )


# ---------------------------------------------------------------- reading the feed


def _project(data: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """The item with only ``fields`` (in their order); names it does not hold are left out."""
    if fields is None:
        return data
    return {name: data[name] for name in fields if name in data}


def list_navdata(query: NavQuery) -> tuple[list[dict[str, Any]], int]:
    """One page of items (newest first) matching the query, and how many match."""
    t0 = t1 = None
    if query.tstamp is not None:
        tolerance = timedelta(milliseconds=query.tolerance_ms)
        t0, t1 = query.tstamp - tolerance, query.tstamp + tolerance
    rows, total = db.list_navdata(t0, t1, query.lon, query.lat, query.radius_m, query.limit, query.offset)
    return [_project(row["data"], query.fields) for row in rows], total


def latest() -> dict[str, Any]:
    """The newest item of the feed: where the vessel is now; 404 while the feed is empty."""
    row = db.latest_navdata()
    if row is None:
        raise errors.NotFoundError("No navigation data received yet")
    data: dict[str, Any] = row["data"]
    return data


def point_features(limit: int, offset: int) -> list[Feature]:
    """The latest items as GeoJSON point features (newest first), the item as the properties."""
    rows, _total = db.list_navdata(None, None, None, None, 0.0, limit, offset)
    return [Feature(geometry=point(row["lon"], row["lat"]), properties=row["data"]) for row in rows]


def line_feature(limit: int, offset: int) -> Feature:
    """One LineString through the latest ``limit`` fixes in time order; no geometry with fewer than two."""
    row = db.navdata_line(limit, offset) or {}
    ts0, ts1 = row.get("ts0"), row.get("ts1")
    properties = {
        "vertices": int(row.get("vertices") or 0),
        "ts0": ts0.isoformat() if ts0 else None,
        "ts1": ts1.isoformat() if ts1 else None,
    }
    return Feature(geometry=row.get("geometry"), properties=properties)


# ---------------------------------------------------------------- the feed's age

DEFAULT_STALE_SECONDS = 60.0


@dataclass(frozen=True)
class Feed:
    """The newest header's time and, per unarchived project, after how many seconds the feed is stale."""

    newest: datetime | None
    projects: dict[str, float]

    @property
    def stale_seconds(self) -> float:
        """The strictest project's limit (the default without projects)."""
        return min(self.projects.values(), default=DEFAULT_STALE_SECONDS)

    def age_now(self) -> float | None:
        if self.newest is None:
            return None
        return round((datetime.now(UTC) - self.newest).total_seconds(), 3)


def feed() -> Feed:
    """The feed is the vessel's, one for every project: its newest header, and each project's
    ``configuration.navdata.stale_seconds`` (default 60)."""
    rows = db.feed_ages()
    newest = rows[0]["newest"] if rows else None
    projects = {
        r["pid"]: float(r["stale_seconds"])
        if r["stale_seconds"] is not None and r["stale_seconds"] > 0
        else DEFAULT_STALE_SECONDS
        for r in rows
        if r["pid"] is not None
    }
    return Feed(newest, projects)


def feed_status(may_see: Callable[[str], bool]) -> list[NavFeedStatus]:
    """The feed's age for each unarchived project the caller may see, stale by the project's own limit."""
    found = feed()
    age = found.age_now()
    return [
        NavFeedStatus(
            project=pid,
            newest=found.newest,
            age_seconds=age,
            stale_seconds=limit,
            stale=age is None or age > limit,
        )
        for pid, limit in sorted(found.projects.items())
        if may_see(pid)
    ]


# ---------------------------------------------------------------- the queue and retention

DEFAULT_RETENTION_DAYS = 30


def store_message(body: str) -> NavIngestResult:
    """A message of the ``navdata`` queue: a JSON array of headers (or one header). The vessel sends on the
    queue with its own AWS credentials, so every project is a candidate. A message may come twice: the
    headers it holds are stored once."""
    try:
        headers = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise errors.BadRequestError("The message is not JSON") from exc
    return store_headers([headers] if isinstance(headers, dict) else headers, None)


def expire() -> dict[str, int]:
    """Delete the feed past ``configuration.navdata.retention_days`` (default 30; items of no project: 30)."""
    found = db.expire_navdata(DEFAULT_RETENTION_DAYS)
    return {"items": int(found["items"]), "sequences": int(found["sequences"])}
