"""The event log: line log and daily log, with the full history of every edit.

History model: an event (``id``) has instances (``uid``); each edit closes the
current instance's validity and opens a new one, a deletion only closes it, and
putting an old instance back undeletes. Nothing is physically deleted.

Changes since T (``changes/{since}``): every event write takes the project's
event clock (one row per project, locked for the transaction), which both
serialises writers and hands out strictly increasing change times. An instance's
change time is the start of its validity (created) or its end (deleted). So the
boundary rule is exact: a change belongs to ``since`` when its time is strictly
after ``since``; a client that asks again with the latest change time it has
received (also sent as ``X-Changes-Until``) gets every later change once, and
never one twice. Changes made by one transaction share one time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from chalicelib import db, errors
from chalicelib.db import events as db_events
from chalicelib.models.events import RESERVED_META, EventNew, event_body, instance_body
from chalicelib.services import labels as label_rules

SYSTEM = "system"
# A page of the event list: Lambda answers at most 6 MB, so the list is paged (X-Total-Count says how many).
DEFAULT_PAGE = 1000
MAX_PAGE = 10000


# ---------------------------------------------------------------- helpers


def _configuration(conn: Any, pid: str) -> dict[str, Any]:
    row = conn.execute("SELECT configuration FROM project WHERE pid = %s", (pid,)).fetchone()
    if row is None:
        raise errors.NotFoundError(f"Project {pid} not found")
    return row["configuration"]


def _user_meta(meta: dict[str, Any], keep_from: dict[str, Any] | None = None) -> dict[str, Any]:
    clean = {k: v for k, v in meta.items() if k not in RESERVED_META}
    if keep_from:
        clean.update({k: v for k, v in keep_from.items() if k in RESERVED_META})
    return clean


def _geometry(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def _check_anchor(fields: dict[str, Any]) -> None:
    if fields.get("tstamp") is None and (fields.get("sequence") is None or fields.get("point") is None):
        raise errors.BadRequestError("Either tstamp, or both sequence and point, are required")


def _fill_from_shot(conn: Any, pid: str, fields: dict[str, Any]) -> None:
    """Take the time (when missing) and the position (when not given) from the shot, if it exists yet."""
    if fields.get("sequence") is None or fields.get("point") is None:
        return
    if fields.get("tstamp") is not None and "geometry" in fields["meta"]:
        return
    shot = db_events.shot_at(conn, pid, fields["sequence"], fields["point"])
    if shot is None:
        return
    if fields.get("tstamp") is None:
        fields["tstamp"] = shot["tstamp"]
    geometry = _geometry(shot["lon"], shot["lat"])
    if geometry and "geometry" not in fields["meta"]:
        fields["meta"] = {**fields["meta"], "geometry": geometry}


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("tstamp", "sequence", "point", "remarks", "labels", "meta")}


def _replace(
    conn: Any, pid: str, current: dict[str, Any], fields: dict[str, Any], at: datetime, author: str
) -> dict[str, Any]:
    if upper_open(current):
        db_events.close_instance(conn, current["uid"], at)
    return db_events.insert_event(conn, pid, at, fields, event_id=current["id"], edited=True, author=author)


def upper_open(row: dict[str, Any]) -> bool:
    return row["validity"].upper is None


def _apply_single_labels(
    conn: Any, pid: str, fields: dict[str, Any], event_id: int, known: dict[str, Any], at: datetime, author: str
) -> None:
    """A ``multiple: false`` label moves: the other event of the sequence that had it loses it."""
    if fields.get("sequence") is None:
        return
    for name in label_rules.single_per_sequence(list(fields.get("labels") or []), known):
        for other in db_events.others_with_label(conn, pid, fields["sequence"], name, event_id):
            changed = _fields(other)
            changed["labels"] = [x for x in other["labels"] if x != name]
            _replace(conn, pid, other, changed, at, author)


def _current_row(conn: Any, pid: str, event_id: int) -> dict[str, Any]:
    row = db_events.current_instance(conn, pid, event_id)
    assert row is not None
    return row


def _readonly(row: dict[str, Any]) -> bool:
    return bool((row["meta"] or {}).get("readonly"))


# ---------------------------------------------------------------- user edits


def _user_fields(new: EventNew, known: dict[str, Any], previous_labels: Sequence[str] = ()) -> dict[str, Any]:
    """A client's event, checked: known labels only, no system labels added, no reserved meta, an anchor."""
    label_rules.check_user_labels(new.labels, known, previous_labels)
    fields = new.model_dump()
    fields["meta"] = _user_meta(fields["meta"])
    _check_anchor(fields)
    return fields


def _editable(row: dict[str, Any] | None, event_id: int, what: str = "not found") -> dict[str, Any]:
    if row is None:
        raise errors.NotFoundError(f"Event {event_id} {what}")
    if _readonly(row):
        raise errors.ForbiddenError(f"Event {event_id} is read-only")
    return row


def _write(
    conn: Any, pid: str, old: dict[str, Any] | None, fields: dict[str, Any], known: dict[str, Any], author: str
) -> dict[str, Any]:
    """New event (``old`` None) or a new instance of ``old``; the label rules applied; the current event."""
    at = db_events.tick(conn, pid)
    _fill_from_shot(conn, pid, fields)
    if old is None:
        event_id = db_events.insert_event(conn, pid, at, fields, author=author)["id"]
    else:
        event_id = _replace(conn, pid, old, fields, at, author)["id"]
    _apply_single_labels(conn, pid, fields, event_id, known, at, author)
    return event_body(_current_row(conn, pid, event_id))


def create_event(pid: str, new: EventNew, author: str) -> dict[str, Any]:
    with db.transaction() as conn:
        known = label_rules.catalogue(_configuration(conn, pid))
        return _write(conn, pid, None, _user_fields(new, known), known, author)


def create_events(pid: str, rows: list[tuple[int, EventNew]], author: str) -> list[int]:
    """A line log imported in bulk: every row or none (the first bad row is named by its number)."""
    with db.transaction() as conn:
        known = label_rules.catalogue(_configuration(conn, pid))
        ids = []
        for number, new in rows:
            try:
                fields = _user_fields(new, known)
            except errors.BadRequestError as exc:
                raise errors.BadRequestError(f"row {number}: {exc.message}") from exc
            ids.append(_write(conn, pid, None, fields, known, author)["id"])
        return ids


def replace_event(pid: str, event_id: int, new: EventNew, author: str) -> dict[str, Any]:
    """PUT: every attribute replaced; on a deleted event this undeletes it."""
    with db.transaction() as conn:
        known = label_rules.catalogue(_configuration(conn, pid))
        latest = _editable(db_events.latest_instance(conn, pid, event_id), event_id)
        return _write(conn, pid, latest, _user_fields(new, known, latest["labels"]), known, author)


def update_event(pid: str, event_id: int, changes: dict[str, Any], author: str) -> dict[str, Any]:
    """PATCH: only the attributes given change."""
    with db.transaction() as conn:
        known = label_rules.catalogue(_configuration(conn, pid))
        current = _editable(db_events.current_instance(conn, pid, event_id), event_id, "not found (or deleted)")
        merged = EventNew.model_validate({**_fields(current), **changes})
        fields = _user_fields(merged, known, current["labels"])
        if "meta" not in changes:
            fields["meta"] = current["meta"]
        return _write(conn, pid, current, fields, known, author)


def delete_event(pid: str, event_id: int) -> None:
    with db.transaction() as conn:
        _configuration(conn, pid)
        current = db_events.current_instance(conn, pid, event_id)
        if current is None:
            if db_events.latest_instance(conn, pid, event_id) is None:
                raise errors.NotFoundError(f"Event {event_id} not found")
            return  # already deleted: nothing to do
        if _readonly(current):
            raise errors.ForbiddenError(f"Event {event_id} is read-only")
        db_events.close_instance(conn, current["uid"], db_events.tick(conn, pid), deleted=True)


# ---------------------------------------------------------------- reads


def history(pid: str, event_id: int) -> list[dict[str, Any]]:
    from chalicelib.services.projects import get_project

    get_project(pid)
    rows = db_events.event_history(pid, event_id)
    if not rows:
        raise errors.NotFoundError(f"Event {event_id} not found")
    return [instance_body(r) for r in rows]


def parse_sequences(text: str | None) -> list[int] | None:
    if text is None or text.strip() == "":
        return None
    try:
        return [int(x) for x in re.split(r"[;,\s]+", text.strip()) if x]
    except ValueError as exc:
        raise errors.BadRequestError(f"sequence: {text!r} is not a list of sequence numbers") from exc


def parse_date(text: str | None, name: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise errors.BadRequestError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from exc


def list_events(pid: str, query: dict[str, str], paged: bool = True) -> tuple[list[dict[str, Any]], int]:
    from chalicelib.api.http import int_param
    from chalicelib.services.projects import get_project

    get_project(pid)
    limit = int_param(query.get("limit"), "limit", default=DEFAULT_PAGE, minimum=1, maximum=MAX_PAGE)
    offset = int_param(query.get("offset"), "offset", default=0, minimum=0)
    rows, total = db_events.list_events(
        pid,
        parse_sequences(query.get("sequence")),
        parse_date(query.get("date0"), "date0"),
        parse_date(query.get("date1"), "date1"),
        query.get("label") or None,
        limit if paged else None,
        offset if paged else 0,
    )
    return rows, total


def parse_since(text: str) -> datetime:
    from urllib.parse import unquote

    text = unquote(text)
    try:
        since = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise errors.BadRequestError(f"since: {text!r} is not an ISO-8601 time") from exc
    if since.tzinfo is None:
        raise errors.BadRequestError("since: give a time zone (e.g. Z for UTC)")
    return since


def changes(pid: str, since: datetime, unique: bool) -> tuple[list[dict[str, Any]], datetime]:
    from chalicelib.services.projects import get_project

    get_project(pid)
    rows = db_events.changes_since(pid, since)
    if unique:
        latest: dict[int, dict[str, Any]] = {}
        for row in rows:  # ordered by change time
            latest[row["id"]] = row
        rows = sorted(latest.values(), key=lambda r: (r["changed_on"], r["uid"]))
    out = []
    for row in rows:
        if row["change"] == "deleted":
            body: dict[str, Any] = {"id": row["id"], "uid": row["uid"], "is_deleted": True}
        else:
            body = event_body(row)
            body.pop("has_edits")
            body["is_deleted"] = False
        body["changed_on"] = row["changed_on"].isoformat()
        out.append(body)
    until = max((r["changed_on"] for r in rows), default=since)
    return out, until


def project_labels(pid: str) -> list[dict[str, Any]]:
    with db.cursor() as conn:
        return label_rules.as_list(label_rules.catalogue(_configuration(conn, pid)))


# ---------------------------------------------------------------- system events


SYSTEM_REMARKS = {"FSP": "Start of line recording", "LSP": "End of line recording"}


def sync_sequence_events(conn: Any, pid: str, sequence: int) -> None:
    """FSP/LSP at the sequence's first and last shot and an LDSP/FDSP pair at each UTC midnight it crosses;
    then events that waited for their shot get its time and position. Called in the import transaction:
    a re-import makes new instances of what changed and never duplicates."""
    row = conn.execute(
        "SELECT final_upload_id FROM sequence WHERE pid = %s AND sequence = %s", (pid, sequence)
    ).fetchone()
    if row is None:
        return
    kind = "final" if row["final_upload_id"] is not None else "raw"
    days = db_events.sequence_anchor_shots(conn, pid, sequence, kind)
    desired: dict[str, dict[str, Any]] = {}

    def anchor(key: str, label: str, point: int, tstamp: datetime, lon: Any, lat: Any, remarks: str) -> None:
        meta: dict[str, Any] = {"readonly": True, "system": key}
        geometry = _geometry(lon, lat)
        if geometry:
            meta["geometry"] = geometry
        desired[key] = {
            "tstamp": tstamp,
            "sequence": sequence,
            "point": point,
            "remarks": remarks,
            "labels": [label],
            "meta": meta,
        }

    if days:
        first, last = days[0], days[-1]
        anchor(
            "FSP",
            "FSP",
            first["first_point"],
            first["first_tstamp"],
            first["first_lon"],
            first["first_lat"],
            SYSTEM_REMARKS["FSP"],
        )
        anchor(
            "LSP",
            "LSP",
            last["last_point"],
            last["last_tstamp"],
            last["last_lon"],
            last["last_lat"],
            SYSTEM_REMARKS["LSP"],
        )
        for before, after in pairwise(days):
            anchor(
                f"LDSP:{before['day']}",
                "LDSP",
                before["last_point"],
                before["last_tstamp"],
                before["last_lon"],
                before["last_lat"],
                f"Last shot of {before['day']} (UTC)",
            )
            anchor(
                f"FDSP:{after['day']}",
                "FDSP",
                after["first_point"],
                after["first_tstamp"],
                after["first_lon"],
                after["first_lat"],
                f"First shot of {after['day']} (UTC)",
            )

    existing = {e["meta"].get("system"): e for e in db_events.system_events_of_sequence(conn, pid, sequence)}
    waiting = db_events.events_waiting_for_shots(conn, pid, sequence)
    if not desired and not existing and not waiting:
        return
    at = db_events.tick(conn, pid)
    for key, fields in desired.items():
        old = existing.pop(key, None)
        if old is None:
            db_events.insert_event(conn, pid, at, fields, author=SYSTEM)
        elif _fields(old) != fields:
            _replace(conn, pid, old, fields, at, SYSTEM)
    for old in existing.values():  # e.g. a re-import that no longer crosses midnight
        db_events.close_instance(conn, old["uid"], at, deleted=True)
    for event in waiting:
        fields = _fields(event)
        fields["meta"] = dict(fields["meta"])
        _fill_from_shot(conn, pid, fields)
        if fields["tstamp"] is not None:
            _replace(conn, pid, event, fields, at, SYSTEM)
