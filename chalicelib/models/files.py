"""Uploaded files (``GET /project/{project}/files``)."""

from __future__ import annotations

from typing import Any


def file_body(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": row["key"],
        "kind": row["kind"],
        "format": row["format"],
        "size": row["size"],
        "sha256": row["sha256"],
        "status": row["status"],
        "message": row["message"],
        "records": row["records"],
        "sequence": row["sequence"],
        "received_on": row["received_on"].isoformat() if row["received_on"] else None,
        "imported_on": row["imported_on"].isoformat() if row["imported_on"] else None,
    }
