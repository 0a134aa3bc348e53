"""The list of uploaded files a project has seen."""

from __future__ import annotations

from chalicelib.db import files as db
from chalicelib.models.files import UploadedFile
from chalicelib.services.lookup import get_project


def list_files(pid: str, limit: int, offset: int) -> tuple[list[UploadedFile], int]:
    get_project(pid)
    rows, total = db.list_files(pid, limit, offset)
    return [UploadedFile.from_row(row) for row in rows], total
