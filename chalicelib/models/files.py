"""Uploaded files (``GET /project/{project}/files``)."""

from __future__ import annotations

from typing import Any

from chalicelib.models import Model


class UploadedFile(Model):
    """One uploaded object and what became of it."""

    key: str
    kind: str | None
    format: str | None
    size: int | None
    sha256: str | None
    status: str
    message: str | None
    records: int | None
    receivers: int | None
    """Receiver points (nodes) read from the file."""
    sequence: int | None
    received_on: str | None
    imported_on: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> UploadedFile:
        return cls(
            key=row["key"],
            kind=row["kind"],
            format=row["format"],
            size=row["size"],
            sha256=row["sha256"],
            status=row["status"],
            message=row["message"],
            records=row["records"],
            receivers=row.get("receivers"),
            sequence=row["sequence"],
            received_on=row["received_on"].isoformat() if row["received_on"] else None,
            imported_on=row["imported_on"].isoformat() if row["imported_on"] else None,
        )
