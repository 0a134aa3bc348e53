"""The plan: planned sequences (figures from the preplot, ETAs, names), infill proposals, the forecast.

Writes of one project's plan run one at a time (the project row is locked). Every check runs
before anything is written, and a write is one transaction: a refused request leaves the plan as
it was. Estimated times are not stored: they are worked out on every read from the given times,
the clock and what was acquired, so inserting, changing or deleting a sequence (or importing one)
moves every later estimate at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.db import Connection, Row, cursor, transaction
from chalicelib.db import planner as db
from chalicelib.models.audit import Actor
from chalicelib.models.configuration import DEFAULT_NAME_TEMPLATE, check_name_template
from chalicelib.models.planner import CompletionRange, Forecast, InfillProposal, PlannedSequence, PlannedSequenceIn
from chalicelib.services import audit
from chalicelib.services.lookup import get_project
from chalicelib.services.planner import eta, geometry, infill
from chalicelib.services.planner import forecast as outlook

DEFAULT_LINE_CHANGE_MINUTES = 90.0
DEFAULT_SHOT_INTERVAL_S = 10.0
DEFAULT_RUN_IN_POINTS = 10
DEFAULT_FORECAST_DAYS = 7
TAKEN = "already planned, acquired or online in the navigation feed"


def now() -> datetime:
    """The clock the ETAs and the forecast start from."""
    return datetime.now(UTC)


# ---------------------------------------------------------------- configuration


def _planner_configuration(configuration: dict[str, Any] | None) -> dict[str, Any]:
    found = (configuration or {}).get("planner")
    return found if isinstance(found, dict) else {}


def _shot_interval(configuration: dict[str, Any], context: Row) -> timedelta:
    given = _planner_configuration(configuration).get("shot_interval_s")
    if isinstance(given, int | float) and not isinstance(given, bool) and given > 0:
        return timedelta(seconds=float(given))
    measured = context.get("shooting_rate")
    if measured is not None and float(measured) > 0:
        return timedelta(seconds=float(measured))
    return timedelta(seconds=DEFAULT_SHOT_INTERVAL_S)


def _line_change(configuration: dict[str, Any]) -> timedelta:
    given = _planner_configuration(configuration).get("line_change_minutes")
    if isinstance(given, int | float) and not isinstance(given, bool) and given >= 0:
        return timedelta(minutes=float(given))
    return timedelta(minutes=DEFAULT_LINE_CHANGE_MINUTES)


def _nested_int(configuration: dict[str, Any], section: str, key: str, default: int) -> int:
    found = (_planner_configuration(configuration).get(section) or {}).get(key)
    return found if isinstance(found, int) and not isinstance(found, bool) else default


def _template(configuration: dict[str, Any]) -> str:
    """The project's name template; the default when there is none or it is unusable (a configuration
    stored before templates were checked)."""
    given = _planner_configuration(configuration).get("name")
    if not isinstance(given, str) or not given:
        return DEFAULT_NAME_TEMPLATE
    try:
        return check_name_template(given)
    except ValueError:
        return DEFAULT_NAME_TEMPLATE


def render_name(template: str, line: int, sequence: int, attempt: int, fsp: int, lsp: int) -> str:
    """The template filled in; ``direction`` is 10 for increasing point numbers, 20 for decreasing."""
    return template.format(line=line, sequence=sequence, attempt=attempt, direction=10 if lsp >= fsp else 20)


# ---------------------------------------------------------------- figures from the preplot


def _figures_from_points(points: list[Row], fsp: int, lsp: int) -> dict[str, Any]:
    """num_points, length, azimuth and geometry of the stretch fsp..lsp (``points`` by increasing number)."""
    ordered = points if lsp >= fsp else list(reversed(points))
    grid = [(float(p["easting"]), float(p["northing"])) for p in ordered]
    kept = geometry.kept_vertices(grid)
    return {
        "num_points": len(ordered),
        "length": geometry.length([grid[i] for i in kept]),
        "azimuth": geometry.azimuth(grid),
        "geometry": {
            "type": "LineString",
            "coordinates": [[float(ordered[i]["lon"]), float(ordered[i]["lat"])] for i in kept],
        },
    }


def _figures(conn: Connection, pid: str, line: int, fsp: int, lsp: int) -> dict[str, Any]:
    if not db.line_exists(conn, pid, line):
        raise errors.BadRequestError(f"line: line {line} is not in the preplot of project {pid}")
    if fsp == lsp:
        raise errors.BadRequestError("lsp: must differ from fsp (a planned sequence runs between two points)")
    points = db.line_points_between(conn, pid, line, min(fsp, lsp), max(fsp, lsp))
    numbers = {p["point"] for p in points}
    for field, value in (("fsp", fsp), ("lsp", lsp)):
        if value not in numbers:
            raise errors.BadRequestError(f"{field}: point {value} is not a preplot point of line {line}")
    return _figures_from_points(points, fsp, lsp)


# ---------------------------------------------------------------- reading the plan


def _computed(
    rows: list[Row], context: Row, configuration: dict[str, Any], clock: datetime
) -> Iterator[tuple[Row, dict[str, Any]]]:
    """Each row of the plan (by sequence) with what is worked out on reading: times, name, duration."""
    times = eta.chain(
        (eta.Slot(r["sequence"], r["num_points"], r["ts0"], r["ts1"]) for r in rows),
        now=clock,
        last_acquired=context.get("last_acquired"),
        line_change=_line_change(configuration),
        shot_interval=_shot_interval(configuration, context),
    )
    by_sequence = {t.sequence: t for t in times}
    template = _template(configuration)
    attempts: dict[str, int] = dict(context.get("attempts") or {})
    for row in sorted(rows, key=lambda r: r["sequence"]):
        key = str(row["line"])
        attempt = attempts.get(key, 0)
        attempts[key] = attempt + 1
        times_of = by_sequence[row["sequence"]]
        name = row["name"] or render_name(template, row["line"], row["sequence"], attempt, row["fsp"], row["lsp"])
        yield (
            row,
            {
                "sequence": row["sequence"],
                "ts0": times_of.ts0.isoformat(),
                "ts1": times_of.ts1.isoformat(),
                "name": name,
                "duration": _duration(times_of.ts1 - times_of.ts0),
                "estimated": times_of.estimated,
            },
        )


def _assemble(rows: list[Row], context: Row, configuration: dict[str, Any], clock: datetime) -> list[PlannedSequence]:
    """Rows of the plan → PlannedSequences with their ETAs and names."""
    found: list[PlannedSequence] = []
    for row, computed in _computed(rows, context, configuration, clock):
        item = {
            **computed,
            "line": row["line"],
            "fsp": row["fsp"],
            "lsp": row["lsp"],
            "remarks": row["remarks"],
            "meta": row["meta"],
            "num_points": row["num_points"],
            "length": row["length"],
            "azimuth": row["azimuth"],
            "geometry": row["geometry"],
        }
        if "reason" in row:
            found.append(InfillProposal(**item, reason=row["reason"]))
        else:
            found.append(PlannedSequence(**item))
    return found


def _duration(span: timedelta) -> dict[str, Any]:
    """A ``Duration`` as its fields (validated with the rest of the item: a plan read is hot)."""
    whole, micro = divmod(span // timedelta(microseconds=1), 1_000_000)
    hours, rest = divmod(whole, 3600)
    return {"hours": hours, "minutes": rest // 60, "seconds": rest % 60, "milliseconds": micro / 1000.0}


def _read_plan(conn: Connection, pid: str, configuration: dict[str, Any]) -> list[PlannedSequence]:
    return _assemble(db.list_planned(conn, pid), db.plan_context(conn, pid), configuration, now())


def list_plan_json(pid: str) -> str:
    """The plan in sequence order, with ETAs, as the JSON text of ``GET …/plan``.

    The plan is read often (every client polls it) and may hold hundreds of sequences: the stored part
    of each ``PlannedSequence`` comes from the database as JSON text and only the part worked out on
    reading is encoded here, so a read makes a few objects per sequence instead of parsing and
    re-encoding every geometry (and the garbage collector has little to walk). The items are those the
    writes answer with (``PlannedSequence`` models built by ``_assemble``; the tests compare them).
    """
    project = get_project(pid)
    with cursor() as conn:
        rows = db.list_planned_text(conn, pid)
        context = db.plan_context(conn, pid)
    parts = [
        "{" + json.dumps(computed, separators=(",", ":"))[1:-1] + "," + row["body"][1:]
        for row, computed in _computed(rows, context, project["configuration"] or {}, now())
    ]
    return "[" + ",".join(parts) + "]"


# ---------------------------------------------------------------- writing the plan


def _lock(conn: Connection, pid: str) -> dict[str, Any]:
    project = db.lock_plan(conn, pid)
    if project is None:
        raise errors.NotFoundError(f"Project {pid} not found")
    return dict(project["configuration"] or {})


def _required(body: PlannedSequenceIn, *fields: str) -> None:
    for field in fields:
        if getattr(body, field) is None:
            raise errors.BadRequestError(f"{field}: required")


def _times(body: PlannedSequenceIn) -> tuple[datetime | None, datetime | None]:
    """The times a body gives (none when it says they are the server's estimates)."""
    if body.estimated:
        return None, None
    if body.ts0 is not None and body.ts1 is not None and body.ts1 < body.ts0:
        raise errors.BadRequestError("ts1: must not be before ts0")
    return body.ts0, body.ts1


AUDITED = ("sequence", "line", "fsp", "lsp", "ts0", "ts1", "name", "remarks", "meta")


def _audited(row: Row | None) -> dict[str, Any] | None:
    """What the audit trail keeps of a planned sequence: what a planner sets (not the figures derived)."""
    return None if row is None else {k: row.get(k) for k in AUDITED}


def _item(conn: Connection, pid: str, configuration: dict[str, Any], sequence: int) -> PlannedSequence:
    return next(p for p in _read_plan(conn, pid, configuration) if p.sequence == sequence)


def create(pid: str, body: PlannedSequenceIn, actor: Actor | None = None) -> PlannedSequence:
    """Add a planned sequence (``sequence`` defaults to one more than the highest acquired or planned)."""
    _required(body, "line", "fsp", "lsp")
    assert body.line is not None and body.fsp is not None and body.lsp is not None
    ts0, ts1 = _times(body)
    with transaction() as conn:
        configuration = _lock(conn, pid)
        figures = _figures(conn, pid, body.line, body.fsp, body.lsp)
        sequence = body.sequence
        if sequence is None:
            sequence = (db.highest_sequence(conn, pid) or 0) + 1
        elif db.sequence_taken(conn, pid, sequence):
            raise errors.ConflictError(f"sequence: {sequence} is {TAKEN}")
        row = {
            "sequence": sequence,
            "line": body.line,
            "fsp": body.fsp,
            "lsp": body.lsp,
            "ts0": ts0,
            "ts1": ts1,
            "name": body.name,
            "remarks": body.remarks or "",
            "meta": body.meta or {},
            **figures,
        }
        db.insert_planned(conn, pid, row)
        audit.record(conn, actor, "create_planned", pid, {"project": pid, "sequence": sequence}, None, _audited(row))
        return _item(conn, pid, configuration, sequence)


def _existing(conn: Connection, pid: str, sequence: int) -> Row:
    row = db.get_planned(conn, pid, sequence)
    if row is None:
        raise errors.NotFoundError(f"Sequence {sequence} is not in the plan of project {pid}")
    return dict(row)


def replace(pid: str, body: PlannedSequenceIn, actor: Actor | None = None) -> PlannedSequence:
    """PUT: the planned sequence named by ``sequence`` takes the body's properties; ``line`` is ignored."""
    _required(body, "sequence", "fsp", "lsp")
    assert body.sequence is not None and body.fsp is not None and body.lsp is not None
    ts0, ts1 = _times(body)
    with transaction() as conn:
        configuration = _lock(conn, pid)
        current = _existing(conn, pid, body.sequence)
        figures = _figures(conn, pid, current["line"], body.fsp, body.lsp)
        row = {
            **current,
            "fsp": body.fsp,
            "lsp": body.lsp,
            "ts0": ts0,
            "ts1": ts1,
            "name": body.name,
            "remarks": body.remarks or "",
            "meta": body.meta or {},
            **figures,
        }
        db.update_planned(conn, pid, body.sequence, row)
        ids = {"project": pid, "sequence": body.sequence}
        audit.record(conn, actor, "replace_planned", pid, ids, _audited(current), _audited(row))
        return _item(conn, pid, configuration, body.sequence)


def update(pid: str, sequence: int, body: PlannedSequenceIn, actor: Actor | None = None) -> PlannedSequence:
    """PATCH: only the given properties change; ``sequence`` renumbers (409 when taken)."""
    given = body.model_fields_set
    ts0, ts1 = _times(body)
    with transaction() as conn:
        configuration = _lock(conn, pid)
        current = _existing(conn, pid, sequence)
        if "line" in given and body.line != current["line"]:
            raise errors.BadRequestError(
                "line: the line of a planned sequence cannot be changed; delete it and plan a new one"
            )
        row = dict(current)
        for field in ("fsp", "lsp"):
            if field in given:
                if getattr(body, field) is None:
                    raise errors.BadRequestError(f"{field}: must be a preplot point, not null")
                row[field] = getattr(body, field)
        if row["fsp"] != current["fsp"] or row["lsp"] != current["lsp"]:
            row.update(_figures(conn, pid, row["line"], row["fsp"], row["lsp"]))
        if not body.estimated:
            if "ts0" in given:
                row["ts0"] = ts0
            if "ts1" in given:
                row["ts1"] = ts1
            if row["ts0"] is not None and row["ts1"] is not None and row["ts1"] < row["ts0"]:
                raise errors.BadRequestError("ts1: must not be before ts0")
        if "name" in given:
            row["name"] = body.name
        if "remarks" in given:
            row["remarks"] = body.remarks or ""
        if "meta" in given:
            row["meta"] = body.meta or {}
        if "sequence" in given and body.sequence is not None and body.sequence != sequence:
            if db.sequence_taken(conn, pid, body.sequence):
                raise errors.ConflictError(f"sequence: {body.sequence} is {TAKEN}")
            row["sequence"] = body.sequence
        db.update_planned(conn, pid, sequence, row)
        ids = {"project": pid, "sequence": sequence}
        audit.record(conn, actor, "update_planned", pid, ids, _audited(current), _audited(row))
        return _item(conn, pid, configuration, row["sequence"])


def delete(pid: str, sequence: int, actor: Actor | None = None) -> None:
    """Remove a planned sequence; nothing to remove is no error (and nothing for the audit trail)."""
    with transaction() as conn:
        _lock(conn, pid)
        before = db.get_planned(conn, pid, sequence)
        db.delete_planned(conn, pid, sequence)
        if before is not None:
            ids = {"project": pid, "sequence": sequence}
            audit.record(conn, actor, "delete_planned", pid, ids, _audited(before), None)


def sequence_acquired(conn: Connection, pid: str, sequence: int) -> None:
    """A raw file of ``sequence`` was imported: it is acquired, no longer planned (inside the import's transaction)."""
    db.delete_planned(conn, pid, sequence)


# ---------------------------------------------------------------- infill


def propose_infill(pid: str, add: bool, actor: Actor | None = None) -> list[InfillProposal]:
    """Planned sequences covering what is still to acquire, in shooting order; stored when ``add``."""
    get_project(pid)
    with transaction() as conn:
        configuration = _lock(conn, pid)
        planned_rows = db.list_planned(conn, pid)
        lines: dict[int, list[Row]] = {}
        for p in db.infill_points(conn, pid):
            lines.setdefault(p["line"], []).append(p)
        rejected: dict[int, set[int]] = {}
        for r in db.qc_rejected_points(conn, pid):
            rejected.setdefault(r["line"], set()).add(r["point"])
        planned: dict[int, list[tuple[int, int]]] = {}
        for r in planned_rows:
            planned.setdefault(r["line"], []).append((r["fsp"], r["lsp"]))
        last = db.last_position(conn, pid)
        start = None
        if last is not None and last["easting"] is not None:
            direction = -1 if last["fsp"] is not None and last["lsp"] is not None and last["lsp"] < last["fsp"] else 1
            start = infill.Start(float(last["easting"]), float(last["northing"]), direction)
        runs = infill.propose(
            {
                line: [
                    infill.LinePoint(p["point"], float(p["easting"]), float(p["northing"]), p["acquired"], p["ntba"])
                    for p in points
                ]
                for line, points in lines.items()
            },
            rejected,
            planned,
            _nested_int(configuration, "infill", "run_in_points", DEFAULT_RUN_IN_POINTS),
            start,
        )
        next_sequence = (db.highest_sequence(conn, pid) or 0) + 1
        proposals: list[Row] = []
        for offset, run in enumerate(runs):
            low, high = min(run.fsp, run.lsp), max(run.fsp, run.lsp)
            points = [p for p in lines[run.line] if low <= p["point"] <= high]
            proposals.append(
                {
                    "sequence": next_sequence + offset,
                    "line": run.line,
                    "fsp": run.fsp,
                    "lsp": run.lsp,
                    "ts0": None,
                    "ts1": None,
                    "name": None,
                    "remarks": "",
                    "meta": {},
                    "reason": run.reason,
                    **_figures_from_points(points, run.fsp, run.lsp),
                }
            )
        if add:
            for row in proposals:
                db.insert_planned(conn, pid, {k: v for k, v in row.items() if k != "reason"})
            if proposals:
                ids = {"project": pid, "sequences": [row["sequence"] for row in proposals]}
                audit.record(conn, actor, "propose_infill", pid, ids, None, [_audited(row) for row in proposals])
        context = db.plan_context(conn, pid)
        everything = _assemble([*planned_rows, *proposals], context, configuration, now())
        return [p for p in everything if isinstance(p, InfillProposal)]


# ---------------------------------------------------------------- forecast


def _downtime_end(tstamp: datetime, meta: Any) -> datetime | None:
    """A Downtime event's end from its meta: ``end`` (a timestamp) or ``duration`` (seconds)."""
    if not isinstance(meta, dict):
        return None
    end = meta.get("end")
    if isinstance(end, str):
        try:
            parsed = datetime.fromisoformat(end)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    duration = meta.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and 0 < duration < 366 * 86400:
        return tstamp + timedelta(seconds=float(duration))
    return None


def _range(dates: tuple[datetime, datetime, datetime] | None) -> CompletionRange | None:
    if dates is None:
        return None
    p10, p50, p90 = dates
    return CompletionRange(p10=p10.isoformat(), p50=p50.isoformat(), p90=p90.isoformat())


def forecast(pid: str) -> Forecast:
    """Remaining work, measured production and the completion date with its range."""
    project = get_project(pid)
    configuration = project["configuration"] or {}
    days = _nested_int(configuration, "forecast", "days", DEFAULT_FORECAST_DAYS)
    with cursor() as conn:
        left = db.remaining(conn, pid)
        context = db.plan_context(conn, pid)
        last = context.get("last_acquired")
        acquired: list[outlook.Acquired] = []
        downtime: list[tuple[datetime, datetime]] = []
        if last is not None:
            since = last - timedelta(days=days)
            rows = db.production_since(conn, pid, since)
            acquired = [
                outlook.Acquired(r["ts0"], r["ts1"], int(r["points"]))
                for r in rows
                if r["ts0"] is not None and r["ts1"] is not None
            ]
            events = [
                (e["tstamp"], _downtime_end(e["tstamp"], e["meta"])) for e in db.downtime_events(conn, pid, since, last)
            ]
            downtime = outlook.downtime_intervals(events, [a.ts0 for a in acquired], last)
    result = outlook.outlook(acquired, downtime, int(left["points"]), days, now(), context.get("first_acquired"))
    return Forecast(
        remaining_points=int(left["points"]),
        remaining_lines=int(left["lines"]),
        window_start=result.window_start.isoformat() if result.window_start else None,
        window_end=result.window_end.isoformat() if result.window_end else None,
        window_days=result.window_days,
        daily_production=[round(d, 3) for d in result.daily_production],
        rate=result.rate,
        shooting_share=result.shooting_share,
        line_change_share=result.line_change_share,
        downtime_share=result.downtime_share,
        completion=CompletionRange(
            p10=result.completion[0].isoformat(),
            p50=result.completion[1].isoformat(),
            p90=result.completion[2].isoformat(),
        )
        if result.completion
        else None,
    )
