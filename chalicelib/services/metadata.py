"""Spec tag "metadata": the meta object of a sequence, of a sequence's shot point, of a preplot line or point.

Reads follow the contract's table of element types and kinds::

    GET /meta/sequences/raw|final/{sequence}/{path…}        a sequence's meta (final: ``meta_final``)
    GET /meta/points/raw|final/{sequence}/{point}/{path…}   the meta of the shots at a point of a sequence
    GET /meta/lines/preplot/{line}/{path…}                  a preplot line's meta

Writes (``PUT /meta``) choose the element from the body: ``sequence`` (+ ``point``: the shots at that point;
``type`` raw or final), else ``line`` (+ ``point``: that preplot point; ``type`` ignored). A ``path`` sets one
attribute and keeps the rest; without it ``value`` (an object) replaces the whole meta. The element is locked
for the change, so two writers of different attributes of one element both keep theirs. Every source's record
of a shot point carries the same meta: a write sets them all.
"""

from __future__ import annotations

from typing import Any

from chalicelib import db, errors
from chalicelib.db import metadata as db_metadata
from chalicelib.models.audit import Actor
from chalicelib.models.limits import MAX_META_BYTES, json_bytes
from chalicelib.models.metadata import MetaUpdate
from chalicelib.services import audit
from chalicelib.services.jsonpaths import MISSING, put, walk
from chalicelib.services.lookup import get_project

# (type, kind) → the ids that name one element, in path order.
ELEMENTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("sequences", "raw"): ("sequence",),
    ("sequences", "final"): ("sequence",),
    ("points", "raw"): ("sequence", "point"),
    ("points", "final"): ("sequence", "point"),
    ("lines", "preplot"): ("line",),
}
TYPES = ("sequences", "points", "lines")
KINDS = ("raw", "final", "preplot")


def element_ids(type_: str, kind: str) -> tuple[str, ...]:
    """The ids a ``{type}/{kind}`` element is named by, or 400 naming what the contract does not offer."""
    if type_ not in TYPES:
        raise errors.BadRequestError(f"Metadata type {type_!r} is not one of {', '.join(TYPES)}")
    if kind not in KINDS:
        raise errors.BadRequestError(f"Metadata kind {kind!r} is not one of {', '.join(KINDS)}")
    ids = ELEMENTS.get((type_, kind))
    if ids is None:
        offered = ", ".join(k for t, k in ELEMENTS if t == type_)
        raise errors.BadRequestError(f"Metadata of {type_} is {offered}, not {kind!r}")
    return ids


def _element_meta(pid: str, type_: str, kind: str, ids: dict[str, int]) -> dict[str, Any]:
    if type_ == "sequences":
        row = db_metadata.sequence_meta(pid, ids["sequence"])
        if row is None:
            raise errors.NotFoundError(f"Sequence {ids['sequence']} not found in project {pid}")
        if kind == "final":
            if not row["has_final"]:
                raise errors.NotFoundError(f"Sequence {ids['sequence']} has no final data")
            return dict(row["meta_final"])
        return dict(row["meta"])
    if type_ == "points":
        meta = db_metadata.shot_meta(pid, ids["sequence"], kind, ids["point"])
        if meta is None:
            raise errors.NotFoundError(f"Sequence {ids['sequence']} has no {kind} shot at point {ids['point']}")
        return meta
    meta = db_metadata.line_meta(pid, ids["line"])
    if meta is None:
        raise errors.NotFoundError(f"Preplot line {ids['line']} not found in project {pid}")
    return meta


def get_meta(pid: str, type_: str, kind: str, ids: dict[str, int], segments: list[str]) -> Any:
    """The value at ``segments`` in the element's meta (the whole object without segments); 404 when absent."""
    get_project(pid)
    found = walk(_element_meta(pid, type_, kind, ids), segments)
    if found is MISSING:
        raise errors.NotFoundError(f"No metadata at {'/'.join(segments)}")
    return found


def _new_meta(current: dict[str, Any], update: MetaUpdate) -> dict[str, Any]:
    if update.path is None:
        if not isinstance(update.value, dict):
            raise errors.BadRequestError("value: without a path it replaces the whole metadata, so it is an object")
        new = update.value
    else:
        segments = [s for s in update.path.split("/") if s]
        if not segments:
            raise errors.BadRequestError("path: names no attribute")
        new = put(current, segments, update.value)
    if json_bytes(new) > MAX_META_BYTES:
        raise errors.BadRequestError(f"Metadata holds at most {MAX_META_BYTES} bytes of JSON")
    return new


def put_meta(pid: str, update: MetaUpdate, actor: Actor | None = None) -> dict[str, Any]:
    """Change one element's meta as the body says (see the module docstring); returns the element's new meta."""
    get_project(pid)
    with db.transaction() as conn:

        def done(before: Any, new: dict[str, Any]) -> dict[str, Any]:
            ids = {"project": pid, **update.model_dump(include={"type", "sequence", "line", "point", "path"})}
            audit.record(conn, actor, "put_meta", pid, ids, before, new)
            return new

        if update.sequence is not None:
            if update.type == "preplot":
                raise errors.BadRequestError("type: a sequence's metadata is raw or final, not preplot")
            sequence = db_metadata.lock_sequence_meta(conn, pid, update.sequence)
            if sequence is None:
                raise errors.NotFoundError(f"Sequence {update.sequence} not found in project {pid}")
            if update.point is not None:
                current = db_metadata.lock_shot_meta(conn, pid, update.sequence, update.type, update.point)
                if current is None:
                    raise errors.NotFoundError(
                        f"Sequence {update.sequence} has no {update.type} shot at point {update.point}"
                    )
                new = _new_meta(current, update)
                db_metadata.set_shot_meta(conn, pid, update.sequence, update.type, update.point, new)
                return done(current, new)
            final = update.type == "final"
            if final and not sequence["has_final"]:
                raise errors.NotFoundError(f"Sequence {update.sequence} has no final data")
            current = dict(sequence["meta_final" if final else "meta"])
            new = _new_meta(current, update)
            db_metadata.set_sequence_meta(conn, pid, update.sequence, final, new)
            return done(current, new)
        if update.line is not None:
            if update.point is not None:
                current = db_metadata.lock_point_meta(conn, pid, update.line, update.point)
                if current is None:
                    raise errors.NotFoundError(f"Preplot point {update.point} of line {update.line} not found")
                new = _new_meta(current, update)
                db_metadata.set_point_meta(conn, pid, update.line, update.point, new)
                return done(current, new)
            current = db_metadata.lock_line_meta(conn, pid, update.line)
            if current is None:
                raise errors.NotFoundError(f"Preplot line {update.line} not found in project {pid}")
            new = _new_meta(current, update)
            db_metadata.set_line_meta(conn, pid, update.line, new)
            return done(current, new)
    raise errors.BadRequestError("sequence or line: one of them names the element to update")
