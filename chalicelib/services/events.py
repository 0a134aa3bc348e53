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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from chalicelib import db, errors
from chalicelib.db import Connection, Row
from chalicelib.db import events as db_events
from chalicelib.models.audit import Actor
from chalicelib.models.events import (
    DEFAULT_PAGE,
    EVENT_FIELDS,
    MAX_CSV_ROWS,
    RESERVED_META,
    Event,
    EventChanged,
    EventDeleted,
    EventInstance,
    EventListQuery,
    EventNew,
    Label,
)
from chalicelib.models.geojson import point as point_geometry
from chalicelib.services import audit
from chalicelib.services import labels as label_rules
from chalicelib.services.lookup import get_project

SYSTEM = "system"


# ---------------------------------------------------------------- the one writer of event instances


class EventWriter:
    """Every write to the event log goes through here: user edits, system events, QC findings, and any
    later writer. A change to the history model is made in this class only.

    One writer per transaction and project. The project's event clock is taken on the first write
    (never when nothing is written), so all of the transaction's changes share one change time, later
    than any before, and concurrent writers of the project are serialised from then on.
    """

    def __init__(self, conn: Connection, pid: str, author: str) -> None:
        self.conn = conn
        self.pid = pid
        self.author = author
        self._at: datetime | None = None

    @property
    def at(self) -> datetime:
        """This transaction's change time (ticks the clock once)."""
        if self._at is None:
            self._at = db_events.tick(self.conn, self.pid)
        return self._at

    def create(self, fields: dict[str, Any], *, event_id: int | None = None) -> Row:
        """A new event; with ``event_id``, a new instance of an event whose instances are all closed
        (it comes back, with its history)."""
        return db_events.insert_event(
            self.conn, self.pid, self.at, fields, event_id=event_id, edited=event_id is not None, author=self.author
        )

    def create_many(self, rows: list[dict[str, Any]]) -> list[int]:
        """New events in one statement (a bulk import); their ids in the order given."""
        return db_events.insert_events(self.conn, self.pid, self.at, rows, self.author)

    def replace(self, current: Row, fields: dict[str, Any]) -> Row:
        """A new instance of ``current``'s event; ``current`` is closed first unless it already was."""
        at = self.at
        if current["validity"].upper is None:
            db_events.close_instance(self.conn, current["uid"], at)
        return db_events.insert_event(
            self.conn, self.pid, at, fields, event_id=current["id"], edited=True, author=self.author
        )

    def strip_single_labels(self, moves: list[tuple[int, str]], keep: list[int]) -> list[int]:
        """Each (sequence, label) of ``moves`` leaves the other events of the sequence (not ``keep``), each by a
        new instance; one statement (a bulk import). The ids of the events changed."""
        return db_events.strip_single_labels(self.conn, self.pid, self.at, moves, keep, self.author)

    def delete(self, current: Row) -> None:
        """Close the current instance: the event is deleted (and stays in the history)."""
        db_events.close_instance(self.conn, current["uid"], self.at, deleted=True)


# ---------------------------------------------------------------- helpers


def _configuration(pid: str) -> dict[str, Any]:
    configuration: dict[str, Any] = get_project(pid)["configuration"]
    return configuration


def _user_meta(meta: dict[str, Any], keep_from: dict[str, Any] | None = None) -> dict[str, Any]:
    clean = {k: v for k, v in meta.items() if k not in RESERVED_META}
    if keep_from:
        clean.update({k: v for k, v in keep_from.items() if k in RESERVED_META})
    return clean


def _check_anchor(fields: dict[str, Any]) -> None:
    if fields.get("tstamp") is None and (fields.get("sequence") is None or fields.get("point") is None):
        raise errors.BadRequestError("Either tstamp, or both sequence and point, are required")


def _fill_from_shot(conn: Connection, pid: str, fields: dict[str, Any]) -> None:
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
    geometry = point_geometry(shot["lon"], shot["lat"])
    if geometry and "geometry" not in fields["meta"]:
        fields["meta"] = {**fields["meta"], "geometry": geometry}


def _fields(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in EVENT_FIELDS}


def _apply_single_labels(writer: EventWriter, fields: dict[str, Any], event_id: int, known: dict[str, Any]) -> None:
    """A ``multiple: false`` label moves: the other event of the sequence that had it loses it."""
    if fields.get("sequence") is None:
        return
    for name in label_rules.single_per_sequence(list(fields.get("labels") or []), known):
        for other in db_events.others_with_label(writer.conn, writer.pid, fields["sequence"], name, event_id):
            changed = _fields(other)
            changed["labels"] = [x for x in other["labels"] if x != name]
            writer.replace(other, changed)


def _single_label_moves(rows: list[dict[str, Any]], known: dict[str, Any]) -> list[tuple[int, str]]:
    """The (sequence, label) of ``multiple: false`` labels in rows of a bulk import; a label is left only on
    the last row of its sequence that has it (``rows`` are changed)."""
    last: dict[tuple[int, str], int] = {}
    for index, fields in enumerate(rows):
        if fields.get("sequence") is not None:
            for name in label_rules.single_per_sequence(list(fields.get("labels") or []), known):
                last[(fields["sequence"], name)] = index
    for index, fields in enumerate(rows):
        if fields.get("sequence") is not None:
            labels = list(fields.get("labels") or [])
            drop = {n for n in label_rules.single_per_sequence(labels, known) if last[(fields["sequence"], n)] != index}
            if drop:
                fields["labels"] = [x for x in labels if x not in drop]
    return sorted(last)


def _current_row(conn: Connection, pid: str, event_id: int) -> Row:
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


def _write(writer: EventWriter, old: Row | None, fields: dict[str, Any], known: dict[str, Any]) -> Event:
    """New event (``old`` None) or a new instance of ``old``; the label rules applied; the current event."""
    writer.at  # noqa: B018 - the clock first: this write's time and the project's writers serialised
    _fill_from_shot(writer.conn, writer.pid, fields)
    if old is None:
        event_id = writer.create(fields)["id"]
    else:
        event_id = writer.replace(old, fields)["id"]
    _apply_single_labels(writer, fields, event_id, known)
    return Event.from_row(_current_row(writer.conn, writer.pid, event_id))


def _before(conn: Connection, pid: str, event_id: int) -> Event | None:
    """The event as it is now (its current instance), for the audit trail; None when deleted or new."""
    row = db_events.current_instance(conn, pid, event_id)
    return Event.from_row(row) if row is not None else None


def create_event(pid: str, new: EventNew, author: str, actor: Actor | None = None) -> Event:
    with db.transaction() as conn:
        known = label_rules.catalogue(_configuration(pid))
        created = _write(EventWriter(conn, pid, author), None, _user_fields(new, known), known)
        audit.record(conn, actor, "create_event", pid, {"project": pid, "event": created.id}, None, created)
        return created


def create_events(pid: str, rows: list[tuple[int, EventNew]], author: str, actor: Actor | None = None) -> list[int]:
    """A line log imported in bulk: every row or none (the first bad row is named by its number).

    Every row is checked and given its shot's time and position first; the project's event clock (which
    holds off the project's other writers) is taken only for the one bulk insert and the one statement
    that moves the ``multiple: false`` labels. As if the rows were written one after the other, the last
    row of a sequence with such a label keeps it: earlier rows are imported without it, and the sequence's
    other events lose it.
    """
    if len(rows) > MAX_CSV_ROWS:
        raise errors.BadRequestError(f"a CSV import holds at most {MAX_CSV_ROWS} rows; split the file")
    with db.transaction() as conn:
        known = label_rules.catalogue(_configuration(pid))
        checked = []
        for number, new in rows:
            try:
                fields = _user_fields(new, known)
            except errors.BadRequestError as exc:
                raise errors.BadRequestError(f"row {number}: {exc.message}") from exc
            _fill_from_shot(conn, pid, fields)
            checked.append(fields)
        moves = _single_label_moves(checked, known)
        writer = EventWriter(conn, pid, author)
        ids = writer.create_many(checked)
        writer.strip_single_labels(moves, ids)
        audit.record(conn, actor, "create_events", pid, {"project": pid, "events": ids}, None, {"created": len(ids)})
        return ids


def replace_event(pid: str, event_id: int, new: EventNew, author: str, actor: Actor | None = None) -> Event:
    """PUT: every attribute replaced; on a deleted event this undeletes it."""
    with db.transaction() as conn:
        known = label_rules.catalogue(_configuration(pid))
        latest = _editable(db_events.latest_instance(conn, pid, event_id), event_id)
        before = _before(conn, pid, event_id)
        after = _write(EventWriter(conn, pid, author), latest, _user_fields(new, known, latest["labels"]), known)
        audit.record(conn, actor, "replace_event", pid, {"project": pid, "event": event_id}, before, after)
        return after


def update_event(pid: str, event_id: int, changes: dict[str, Any], author: str, actor: Actor | None = None) -> Event:
    """PATCH: only the attributes given change."""
    with db.transaction() as conn:
        known = label_rules.catalogue(_configuration(pid))
        current = _editable(db_events.current_instance(conn, pid, event_id), event_id, "not found (or deleted)")
        merged = EventNew.model_validate({**_fields(current), **changes})
        fields = _user_fields(merged, known, current["labels"])
        if "meta" not in changes:
            fields["meta"] = current["meta"]
        before = _before(conn, pid, event_id)
        after = _write(EventWriter(conn, pid, author), current, fields, known)
        audit.record(conn, actor, "update_event", pid, {"project": pid, "event": event_id}, before, after)
        return after


def delete_event(pid: str, event_id: int, author: str, actor: Actor | None = None) -> None:
    with db.transaction() as conn:
        get_project(pid)
        current = db_events.current_instance(conn, pid, event_id)
        if current is None:
            if db_events.latest_instance(conn, pid, event_id) is None:
                raise errors.NotFoundError(f"Event {event_id} not found")
            return  # already deleted: nothing to do
        if _readonly(current):
            raise errors.ForbiddenError(f"Event {event_id} is read-only")
        before = _before(conn, pid, event_id)
        EventWriter(conn, pid, author).delete(current)
        audit.record(conn, actor, "delete_event", pid, {"project": pid, "event": event_id}, before, None)


# ---------------------------------------------------------------- reads


def history(pid: str, event_id: int) -> list[EventInstance]:
    get_project(pid)
    rows = db_events.event_history(pid, event_id)
    if not rows:
        raise errors.NotFoundError(f"Event {event_id} not found")
    return [EventInstance.from_row(r) for r in rows]


def list_events(pid: str, query: EventListQuery) -> tuple[list[Row], int]:
    """One page of the project's current events and how many there are in all."""
    get_project(pid)
    return db_events.list_events(pid, query.sequences, query.date0, query.date1, query.label, query.limit, query.offset)


def changes_page(pid: str, since: datetime, limit: int) -> list[Row]:
    """At most ``limit`` changes strictly after ``since``, in change order, never splitting one change time.

    The client resumes from the last change time it received, so a page that ended inside the changes
    of one transaction (they share one time) would lose the rest of them: such a page ends before that
    time instead; when the first time of the page alone holds more than ``limit`` changes, the page is
    that whole transaction (bounded by what one transaction writes: an import of at most
    ``MAX_CSV_ROWS``, one sequence's QC findings).
    """
    rows = db_events.changes_since(pid, since, limit + 1)
    if len(rows) <= limit:
        return rows
    last = rows[limit - 1]["changed_on"]
    if rows[limit]["changed_on"] != last:
        return rows[:limit]
    kept = [r for r in rows[:limit] if r["changed_on"] != last]
    return kept if kept else db_events.changes_at(pid, last)


def changes(
    pid: str, since: datetime, unique: bool, limit: int = DEFAULT_PAGE
) -> tuple[list[EventChanged | EventDeleted], datetime]:
    """Changes strictly after ``since`` in change order (``unique``: the latest per event), at most about
    ``limit`` of them, and the change time of the last one (``since`` when there is none): the client's
    next ``since``. Nothing is lost between pages, even while others write: the event clock hands out
    change times in commit order, so what a page reads is always every change up to its last time."""
    get_project(pid)
    rows = changes_page(pid, since, limit)
    if unique:
        latest: dict[int, dict[str, Any]] = {}
        for row in rows:  # ordered by change time
            latest[row["id"]] = row
        rows = sorted(latest.values(), key=lambda r: (r["changed_on"], r["uid"]))
    out: list[EventChanged | EventDeleted] = []
    for row in rows:
        changed_on = row["changed_on"].isoformat()
        if row["change"] == "deleted":
            out.append(EventDeleted(id=row["id"], uid=row["uid"], changed_on=changed_on))
        else:
            body = Event.from_row(row).model_dump(exclude={"has_edits"})
            out.append(EventChanged(**body, changed_on=changed_on))
    until = max((r["changed_on"] for r in rows), default=since)
    return out, until


def project_labels(pid: str) -> list[Label]:
    return label_rules.as_list(label_rules.catalogue(_configuration(pid)))


# ---------------------------------------------------------------- system events


SYSTEM_REMARKS = {"FSP": "Start of line recording", "LSP": "End of line recording"}


@dataclass(frozen=True)
class OnlineAnchor:
    """Where a system event of an online sequence stands: a header of the navigation feed."""

    point: int | None
    tstamp: datetime
    lon: float | None
    lat: float | None


def sync_online_sequence_events(conn: Connection, pid: str, sequence: int, anchors: dict[str, OnlineAnchor]) -> None:
    """FSP/LSP (the keys of ``anchors``) of a sequence seen only in the navigation feed so far, made or moved
    to the header given. They carry ``meta.online``; the import of the sequence's file makes them its shots'
    (``sync_sequence_events`` finds them by ``meta.system``). The project's event clock is taken before
    looking: an import of the sequence holds it while it writes its events, so once it is ours, a sequence
    whose file is in is left to the import's events, and an event another batch wrote is not written twice."""
    if not anchors:
        return
    writer = EventWriter(conn, pid, SYSTEM)
    writer.at  # noqa: B018 - the clock first: serialised with imports and other batches
    if db_events.sequence_shot_kind(conn, pid, sequence) is not None:
        return
    existing = {e["meta"].get("system"): e for e in db_events.system_events_of_sequence(conn, pid, sequence)}
    for key, anchor in anchors.items():
        meta: dict[str, Any] = {"readonly": True, "system": key, "online": True}
        geometry = point_geometry(anchor.lon, anchor.lat)
        if geometry:
            meta["geometry"] = geometry
        fields = {
            "tstamp": anchor.tstamp,
            "sequence": sequence,
            "point": anchor.point,
            "remarks": SYSTEM_REMARKS[key],
            "labels": [key],
            "meta": meta,
        }
        old = existing.get(key)
        if old is None:
            writer.create(fields)
        elif _fields(old) != fields:
            writer.replace(old, fields)


def sync_sequence_events(conn: Connection, pid: str, sequence: int) -> None:
    """FSP/LSP at the sequence's first and last shot and an LDSP/FDSP pair at each UTC midnight it crosses;
    then events that waited for their shot get its time and position. Called in the import transaction:
    a re-import makes new instances of what changed and never duplicates."""
    kind = db_events.sequence_shot_kind(conn, pid, sequence)
    if kind is None:
        return
    days = db_events.sequence_anchor_shots(conn, pid, sequence, kind)
    desired: dict[str, dict[str, Any]] = {}

    def anchor(key: str, label: str, point: int, tstamp: datetime, lon: Any, lat: Any, remarks: str) -> None:
        meta: dict[str, Any] = {"readonly": True, "system": key}
        geometry = point_geometry(lon, lat)
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
    writer = EventWriter(conn, pid, SYSTEM)
    writer.at  # noqa: B018 - the clock first, as for every write
    for key, fields in desired.items():
        old = existing.pop(key, None)
        if old is None:
            writer.create(fields)
        elif _fields(old) != fields:
            writer.replace(old, fields)
    for old in existing.values():  # e.g. a re-import that no longer crosses midnight
        writer.delete(old)
    for event in waiting:
        fields = _fields(event)
        fields["meta"] = dict(fields["meta"])
        _fill_from_shot(conn, pid, fields)
        if fields["tstamp"] is not None:
            writer.replace(event, fields)
