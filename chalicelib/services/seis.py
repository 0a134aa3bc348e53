"""Seis+JSON: the line log of sequences as the client's systems read it (``application/vnd.seis+json``).

Entries come from labelled events (``labels.SEIS_ENTRIES``), in shot order. The
FSP entry carries the line's true heading (geodetic, not the grid azimuth) and type, the LSP entry its status; QC
findings not yet accepted are summarised in the LSP entry's comment, accepted
ones never appear. The same document is what ASAQC transfers send.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.db import seis as db_seis
from chalicelib.models.qc import finding_of
from chalicelib.models.sequences import Sequence
from chalicelib.services.labels import SEIS_ENTRIES
from chalicelib.services.lookup import get_project

MEDIA_TYPE = "application/vnd.seis+json"


def seis_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def true_heading(row: dict[str, Any]) -> float | None:
    """The line's true heading (geodetic azimuth on WGS 84, first to last shot), from the same shots as the
    sequence's ``length``: final when both ends are final. The API's ``azimuth`` is the grid azimuth; the
    two differ by the grid's convergence."""
    final = row["fsp_final"] is not None and row["lsp_final"] is not None
    heading = row["heading_final"] if final else row["heading_raw"]
    return float(heading) if heading is not None else None


def line_status(sequence: dict[str, Any]) -> str:
    """Pending until processed; then Complete when no shot is missing, else Incomplete."""
    if not sequence["has_final"]:
        return "Pending"
    return "Complete" if not sequence["missing_shots"] else "Incomplete"


def qc_summary(findings: list[dict[str, Any]]) -> str | None:
    open_findings = [f for f in findings if not finding_of(f["meta"]).get("accepted")]
    if not open_findings:
        return None
    by_test: dict[str, list[str]] = {}
    for f in open_findings:
        qc = finding_of(f["meta"])
        by_test.setdefault(str(qc.get("test", "qc")), []).append(str(f["point"]))
    parts = [f"{test} at {', '.join(points[:10])}{'…' if len(points) > 10 else ''}" for test, points in by_test.items()]
    return f"QC: {len(open_findings)} open finding{'s' if len(open_findings) != 1 else ''}: " + "; ".join(parts)


def _entry(label: str, event: dict[str, Any], sequence: dict[str, Any], qc: list[dict[str, Any]]) -> dict[str, Any]:
    type_id, type_name = SEIS_ENTRIES[label]
    remarks = event["remarks"] or None
    entry: dict[str, Any] = {"EntryType": type_name, "EntryTypeId": type_id, "Comment": remarks}
    if label == "FSP":
        entry.update(
            {
                "Heading": float(sequence["heading"] or 0.0),
                "IsReshoot": bool(sequence["attempt"]),
                "IsUndershoot": bool((sequence["meta"] or {}).get("undershoot")),
                "LineNumber": str(sequence["line"]),
                "LineType": "Infill" if (sequence["meta"] or {}).get("infill") else "Prime",
            }
        )
    elif label == "LSP":
        summary = qc_summary(qc)
        if summary:
            entry["Comment"] = f"{remarks}. {summary}" if remarks else summary
        entry.update({"IsNTBP": sequence["status"] == "ntbp", "LineStatus": line_status(sequence)})
    entry["ShotPointId"] = int(event["point"])
    entry["Time"] = seis_time(event["tstamp"])
    return entry


def export(pid: str, sequences: list[int] | None) -> dict[str, Any]:
    get_project(pid)
    rows, events = db_seis.sequences_with_events(pid, sequences)
    return document(pid, rows, events)


def document(pid: str, rows: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The Seis+JSON of sequences and their anchored events as ``db.seis.sequences_with_events`` reads them."""
    by_sequence: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        by_sequence.setdefault(event["sequence"], []).append(event)
    out = []
    for row in rows:
        sequence = Sequence.from_row(row).model_dump()
        sequence["meta"] = row["meta"]
        sequence["attempt"] = row["attempt"]
        sequence["has_final"] = row["final_upload_id"] is not None
        sequence["heading"] = true_heading(row)
        mine = by_sequence.get(row["sequence"], [])
        qc = [e for e in mine if "QC" in e["labels"]]
        entries = [
            _entry(label, event, sequence, qc) for event in mine for label in event["labels"] if label in SEIS_ENTRIES
        ]
        out.append(
            {
                "SequenceNumber": row["sequence"],
                "Entries": entries,
                "DglNumPoints": int(sequence["num_points"] or 0),
                "DglNumMissing": int(sequence["missing_shots"] or 0),
                "DglLength": float(sequence["length"] or 0.0),
            }
        )
    return {"DglProjectId": pid, "Sequences": out}
