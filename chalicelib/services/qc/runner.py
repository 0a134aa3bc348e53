"""Regeneration: one sequence's findings recomputed from its current data, in one transaction.

Regeneration compares the new findings with the current ones, keyed by (test,
point): unchanged findings stay as they are, changed ones get a new instance,
vanished ones are closed, so ``changes/{since}`` shows exactly what changed. A
finding that comes back keeps its event id. Acceptance is kept per (sequence,
test, point) and survives regeneration. Every QC message and the hourly sweep
end here; since the work is recomputed from the data, a duplicate, late or
out-of-order message ends in the same state.
"""

from __future__ import annotations

import json
from typing import Any, cast

from chalicelib import db
from chalicelib.db import Connection, Row
from chalicelib.db import qc as db_qc
from chalicelib.models.events import EVENT_FIELDS
from chalicelib.models.geojson import point as point_geometry
from chalicelib.models.qc import QcSummary
from chalicelib.services.events import EventWriter
from chalicelib.services.qc.catalogue import tests_for
from chalicelib.services.qc.evaluate import evaluate
from chalicelib.services.qc.shots import Finding, ShotRow

AUTHOR = "qc"


def finding_meta(severity: str, finding: Finding, accepted: bool) -> dict[str, Any]:
    """The event meta of a finding: read-only, ``qc`` with what was found, at the shot's position."""
    meta: dict[str, Any] = {
        "readonly": True,
        "qc": {
            "test": finding.test,
            "severity": severity,
            "value": finding.value,
            "limit": finding.limit,
            "message": finding.message,
            "accepted": accepted,
            **(finding.extra or {}),
        },
    }
    geometry = point_geometry(finding.lon, finding.lat)
    if geometry is not None:
        meta["geometry"] = geometry
    return meta


def run_sequence(pid: str, sequence: int) -> str:
    """Recompute one sequence's findings in one transaction; what was done."""
    with db.transaction() as conn:
        head = db_qc.lock_sequence(conn, pid, sequence)
        if head is None:
            return "no such sequence"
        if head["archived"]:
            return "project archived: not regenerated"
        configuration = head["configuration"] or {}
        tests = tests_for(configuration)
        kind = "final" if head["final_upload_id"] is not None else "raw"
        rows = cast(list[ShotRow], db_qc.sequence_shots(conn, pid, sequence, kind))
        points: list[int] = []
        if rows:
            first, last = rows[0]["point"], rows[-1]["point"]
            points = db_qc.preplot_points_between(conn, pid, head["line"], min(first, last), max(first, last))
        found = evaluate(rows, tests, points, head["grid_unit_metres"])
        accepted = db_qc.acceptances(conn, pid, sequence)
        existing = {(e["meta"]["qc"]["test"], e["point"]): e for e in db_qc.current_findings(conn, pid, sequence)}
        desired = {}
        for f in found:
            meta = finding_meta(tests[f.test]["severity"], f, (f.test, f.point) in accepted)
            desired[(f.test, f.point)] = {
                "tstamp": f.tstamp,
                "sequence": sequence,
                "point": f.point,
                "remarks": f.message,
                "labels": ["QC"],
                "meta": meta,
            }
        earlier = db_qc.earlier_findings(conn, pid, sequence)
        changed = [k for k, v in desired.items() if k not in existing or _comparable(existing[k]) != _norm(v)]
        gone = [k for k in existing if k not in desired]
        writer = EventWriter(conn, pid, AUTHOR)
        for key in changed:
            old = existing.get(key)
            if old is not None:
                writer.replace(old, desired[key])
            else:  # new, or the same finding again: a new instance of its event
                writer.create(desired[key], event_id=earlier.get(key))
        for key in gone:
            writer.delete(existing[key])
        db_qc.record_run(
            conn, pid, sequence, head["raw_upload_id"], head["final_upload_id"], configuration.get("qc") or {}
        )
        store_summary(conn, pid)
        return f"{len(found)} findings ({len(changed)} new or changed, {len(gone)} gone)"


def _norm(fields: dict[str, Any]) -> str:
    return json.dumps({k: fields[k] for k in EVENT_FIELDS if k != "sequence"}, default=str, sort_keys=True)


def _comparable(row: Row) -> str:
    return _norm({**row, "labels": list(row["labels"])})


def store_summary(conn: Connection, pid: str) -> None:
    """The project info key ``qc``: a summary the office reads without walking the tree."""
    row = db_qc.summary(conn, pid)
    summary = QcSummary(
        sequences=row["sequences"],
        findings=row["findings"],
        open=row["open"],
        updated_on=row["updated_on"].isoformat() if row["updated_on"] else None,
    )
    db_qc.store_summary(conn, pid, summary.model_dump())


def handle_message(body: dict[str, Any]) -> None:
    """A QC queue message: ``{pid, sequence}`` regenerates a sequence, ``{pid}`` every sequence of the project."""
    pid = body.get("pid")
    if not isinstance(pid, str):
        return
    sequence = body.get("sequence")
    if isinstance(sequence, int):
        run_sequence(pid, sequence)
        return
    for number in db_qc.project_sequences(pid):
        run_sequence(pid, number)


def sweep(limit: int = 200) -> int:
    """The deferred tasks process: regenerate sequences whose findings are older than their data."""
    stale = db_qc.stale_sequences(limit)
    for row in stale:
        run_sequence(row["pid"], row["sequence"])
    return len(stale)
