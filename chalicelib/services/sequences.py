"""Sequences and shotpoints."""

from __future__ import annotations

import re
from typing import Any

from chalicelib import errors
from chalicelib.db import preplots as db_preplots
from chalicelib.db import sequences as db
from chalicelib.db import transaction
from chalicelib.models.sequences import SequenceUpdate, sequence_body, shotpoint_body
from chalicelib.services.lookup import get_project, get_sequence_row

SHOTPOINT_ATTRIBUTES = ("sequence", "line", "point", "objref", "tstamp", "hash", "geometry", "meta")
_SEPARATORS = re.compile(r"[\s,;:]+")


def list_sequences(pid: str) -> list[dict[str, Any]]:
    get_project(pid)
    return [sequence_body(row) for row in db.list_sequences(pid)]


def get_sequence(pid: str, sequence: int) -> dict[str, Any]:
    return sequence_body(get_sequence_row(pid, sequence))


def update_sequence(pid: str, sequence: int, changes: SequenceUpdate) -> None:
    """PATCH a sequence. An NTBP change changes which points count as acquired, so the figures of the
    lines it shot are refreshed in the same transaction."""
    get_project(pid)
    given = changes.model_dump(exclude_unset=True)
    with transaction() as conn:
        if not db.update_sequence(conn, pid, sequence, given):
            raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
        if given.get("ntbp") is not None:
            lines = db.shot_lines(conn, pid, sequence)
            if lines:
                db_preplots.refresh_line_stats(conn, pid, lines)


def projection(text: str | None) -> list[str] | None:
    """Attribute names from ``project=``: any of space, comma, colon, semicolon between; cut at a dot.

    Only known attribute names survive (they are looked up, never passed on).
    """
    if text is None:
        return None
    names = [name.split(".", 1)[0] for name in _SEPARATORS.split(text.strip()) if name]
    return [a for a in SHOTPOINT_ATTRIBUTES if a in names]


def get_shotpoint(pid: str, sequence: int, point: int, kind: str | None) -> dict[str, Any]:
    row = get_sequence_row(pid, sequence)
    if kind is None:
        kind = "final" if row["final_upload_id"] is not None else "raw"
    if kind not in ("raw", "final"):
        raise errors.BadRequestError("kind must be raw or final")
    shot = db.get_shot(pid, sequence, kind, point)
    if shot is None:
        raise errors.NotFoundError(f"No {kind} shotpoint {point} in sequence {sequence}")
    return shotpoint_body(shot)


def project_attributes(body: dict[str, Any], attributes: list[str] | None) -> dict[str, Any]:
    if attributes is None:
        return body
    return {name: body[name] for name in attributes}


def as_feature(body: dict[str, Any]) -> dict[str, Any]:
    properties = {k: v for k, v in body.items() if k != "geometry"}
    return {"type": "Feature", "geometry": body.get("geometry"), "properties": properties}
