"""The list of uploaded files a project has seen."""

from __future__ import annotations

from typing import Any

from chalicelib.db import files as db
from chalicelib.models.files import file_body
from chalicelib.services.lookup import get_project


def list_files(pid: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    get_project(pid)
    rows, total = db.list_files(pid, limit, offset)
    return [file_body(row) for row in rows], total
