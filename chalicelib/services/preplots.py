"""Preplot lines: listing and the office's edits."""

from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.db import preplots as db
from chalicelib.models.preplots import LineUpdate, PreplotLine
from chalicelib.services.lookup import get_project


def list_lines(pid: str) -> list[PreplotLine]:
    get_project(pid)
    return [PreplotLine(**row) for row in db.list_lines(pid)]


def update_line(pid: str, line: int, changes: LineUpdate) -> None:
    get_project(pid)
    if not db.update_line(pid, line, changes.remarks, changes.meta, changes.ntba, changes.incr, changes.complete):
        raise errors.NotFoundError(f"Line {line} not found in project {pid}")


def as_json(lines: list[PreplotLine]) -> list[dict[str, Any]]:
    return [line.model_dump(mode="json") for line in lines]
