"""Sequences and shotpoints."""

from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.db import audit as db_audit
from chalicelib.db import preplots as db_preplots
from chalicelib.db import sequences as db
from chalicelib.db import transaction
from chalicelib.models.audit import Actor
from chalicelib.models.paging import PageQuery
from chalicelib.models.sequences import Sequence, SequenceUpdate, Shotpoint
from chalicelib.services import audit
from chalicelib.services.lookup import get_project, get_sequence_row


def list_sequences(pid: str, page: PageQuery) -> tuple[list[Sequence], int]:
    """One page of the project's sequences, and how many there are."""
    get_project(pid)
    rows, total = db.list_sequences(pid, page.limit, page.offset)
    return [Sequence.from_row(row) for row in rows], total


def get_sequence(pid: str, sequence: int, *, online: bool = True) -> Sequence:
    """A stored sequence or, with ``online``, one seen only in the navigation feed so far (status
    ``online``, the figures ``list_sequences`` shows); else 404."""
    if not online:
        return Sequence.from_row(get_sequence_row(pid, sequence))
    get_project(pid)
    row = db.get_sequence(pid, sequence) or db.get_online_sequence(pid, sequence)
    if row is None:
        raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
    return Sequence.from_row(row)


def sequence_feature(pid: str, sequence: int) -> dict[str, Any]:
    """The sequence as a GeoJSON Feature: its shot line (final shots once processed, else raw; one position
    per shot point) with the figures of ``get_sequence`` as properties. A sequence seen only in the
    navigation feed has no shots yet: its geometry is null."""
    found = get_sequence(pid, sequence)
    geometry = db.sequence_track(pid, sequence) if found.status != "online" else None
    return {"type": "Feature", "geometry": geometry, "properties": found.model_dump(mode="json")}


def update_sequence(pid: str, sequence: int, changes: SequenceUpdate, actor: Actor | None = None) -> None:
    """PATCH a sequence. An NTBP change changes which points count as acquired, so the figures of the
    lines it shot are refreshed in the same transaction."""
    get_project(pid)
    given = changes.model_dump(exclude_unset=True)
    with transaction() as conn:
        before = db_audit.sequence_state(conn, pid, sequence)
        if not db.update_sequence(conn, pid, sequence, given):
            raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
        if given.get("ntbp") is not None:
            lines = db.shot_lines(conn, pid, sequence)
            if lines:
                db_preplots.refresh_line_stats(conn, pid, lines)
        after = db_audit.sequence_state(conn, pid, sequence)
        audit.record(conn, actor, "update_sequence", pid, {"project": pid, "sequence": sequence}, before, after)


def get_shotpoint(pid: str, sequence: int, point: int, kind: str | None) -> Shotpoint:
    get_sequence_row(pid, sequence)
    if kind is None or kind == "":
        kind = "raw"  # the spec's default, also for a sequence that has a final file
    if kind not in ("raw", "final"):
        raise errors.BadRequestError("kind must be raw or final")
    shot = db.get_shot(pid, sequence, kind, point)
    if shot is None:
        raise errors.NotFoundError(f"No {kind} shotpoint {point} in sequence {sequence}")
    return Shotpoint.from_row(shot)
