"""Preplot lines: listing and the office's edits."""

from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.db import audit as db_audit
from chalicelib.db import preplots as db
from chalicelib.db import transaction
from chalicelib.models.audit import Actor
from chalicelib.models.paging import PageQuery
from chalicelib.models.preplots import LineUpdate, PreplotLine
from chalicelib.services import audit
from chalicelib.services.lookup import get_project


def list_lines(pid: str, page: PageQuery) -> tuple[list[PreplotLine], int]:
    """One page of the project's preplot lines, and how many there are."""
    get_project(pid)
    rows, total = db.list_lines(pid, page.limit, page.offset)
    return [PreplotLine(**row) for row in rows], total


def update_line(pid: str, line: int, changes: LineUpdate, actor: Actor | None = None) -> None:
    """The office's edit of a line. ``complete: true`` marks the line's virgin points NTBA (it is done
    as far as the office is concerned), ``false`` clears the points' NTBA; the line's figures follow."""
    get_project(pid)
    with transaction() as conn:
        before = db_audit.line_state(conn, pid, line)
        if not db.update_line(conn, pid, line, changes.remarks, changes.meta, changes.ntba, changes.incr):
            raise errors.NotFoundError(f"Line {line} not found in project {pid}")
        if changes.complete is True:
            db.set_virgin_points_ntba(conn, pid, line)
        elif changes.complete is False:
            db.clear_points_ntba(conn, pid, line)
        db.refresh_line_stats(conn, pid, [line])
        ids = {"project": pid, "line": line}
        if changes.complete is not None:
            ids["complete"] = changes.complete
        audit.record(conn, actor, "update_line", pid, ids, before, db_audit.line_state(conn, pid, line))


def as_json(lines: list[PreplotLine]) -> list[dict[str, Any]]:
    return [line.model_dump(mode="json") for line in lines]
