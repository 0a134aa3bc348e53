"""What the office does with QC results: read the tree, accept or unaccept findings, delete them."""

from __future__ import annotations

from chalicelib import db, errors
from chalicelib.db import qc as db_qc
from chalicelib.models.audit import Actor
from chalicelib.models.events import EVENT_FIELDS
from chalicelib.models.paging import PageQuery
from chalicelib.models.qc import QcFinding, QcResults, QcSequenceResult, QcTestResult
from chalicelib.services import audit
from chalicelib.services.events import EventWriter
from chalicelib.services.lookup import get_project, get_sequence_row
from chalicelib.services.qc.catalogue import tests_for
from chalicelib.services.qc.queue import enqueue
from chalicelib.services.qc.runner import store_summary


def results(pid: str, sequence: int | None, page: PageQuery | None = None) -> tuple[QcResults, int]:
    """Every enabled test with, per checked sequence the page shows (or the one asked for), its status and
    the page's findings; and how many findings of the enabled tests there are in all.

    ``limit``/``offset`` count findings in (sequence, point, id) order, so one answer is bounded however
    many findings a sequence has. A sequence's status covers all its findings, on this page or not.
    """
    page = page or PageQuery()
    project = get_project(pid)
    tests = tests_for(project["configuration"] or {})
    found = db_qc.results(pid, sequence, list(tests), page.limit, page.offset)
    if sequence is not None and not found.sequences:
        get_sequence_row(pid, sequence)
    by_test: dict[tuple[str, int], list[QcFinding]] = {}
    for r in found.findings:
        qc = r["meta"]["qc"]
        by_test.setdefault((qc["test"], r["sequence"]), []).append(
            QcFinding(
                id=r["id"],
                point=r["point"],
                tstamp=r["tstamp"].isoformat() if r["tstamp"] else None,
                value=qc["value"],
                limit=qc["limit"],
                message=qc["message"],
                accepted=bool(qc["accepted"]),
            )
        )
    tree: dict[str, QcTestResult] = {}
    for test, spec in tests.items():
        sequences: dict[str, QcSequenceResult] = {}
        for number in found.sequences:
            failing = spec["severity"] != "info" and (number, test) in found.open_tests
            sequences[str(number)] = QcSequenceResult(
                status="fail" if failing else "pass", findings=by_test.get((test, number), [])
            )
        tree[test] = QcTestResult(
            name=spec["name"], severity=spec["severity"], parameters=spec["parameters"], sequences=sequences
        )
    return QcResults(tree), found.total


def set_accepted(pid: str, ids: list[int], accepted: bool, author: str, actor: Actor | None = None) -> int:
    """Accept or unaccept findings by event id; any unknown or non-QC id → 400 and nothing changes.

    Acceptance is stored per (sequence, test, point), so it survives regeneration; the finding's event
    gets a new instance saying so.
    """
    get_project(pid)
    with db.transaction() as conn:
        by_id = {r["id"]: r for r in db_qc.findings_by_id(conn, pid, ids)}
        bad = [i for i in ids if i not in by_id or "qc" not in (by_id[i]["meta"] or {})]
        if bad:
            raise errors.BadRequestError(f"Not QC findings of project {pid}: {', '.join(map(str, bad))}")
        writer = EventWriter(conn, pid, author)
        writer.at  # noqa: B018 - the clock first: acceptances of one project are serialised
        changed = 0
        before: dict[str, bool] = {}
        for row in by_id.values():
            qc = row["meta"]["qc"]
            before[str(row["id"])] = bool(qc.get("accepted"))
            db_qc.set_acceptance(conn, pid, row["sequence"], qc["test"], row["point"], author, accepted)
            if bool(qc.get("accepted")) == accepted:
                continue
            fields = {k: row[k] for k in EVENT_FIELDS}
            fields["meta"] = {**row["meta"], "qc": {**qc, "accepted": accepted}}
            writer.replace(row, fields)
            changed += 1
        store_summary(conn, pid)
        what = "accept_qc_results" if accepted else "unaccept_qc_results"
        after = dict.fromkeys(before, accepted)
        audit.record(conn, actor, what, pid, {"project": pid, "events": sorted(by_id)}, before, after)
        return changed


def delete_results(pid: str, sequence: int | None, actor: Actor | None = None) -> None:
    """Remove the findings (closed, never erased) and ask for regeneration (not for archived projects)."""
    project = get_project(pid)
    with db.transaction() as conn:
        if sequence is not None:
            get_sequence_row(pid, sequence)
        writer = EventWriter(conn, pid, "qc")
        removed = []
        for row in db_qc.lock_current_findings(conn, pid, sequence):
            writer.delete(row)
            removed.append(row["id"])
        db_qc.forget_runs(conn, pid, sequence)
        store_summary(conn, pid)
        ids = {"project": pid, "sequence": sequence}
        audit.record(conn, actor, "delete_qc_results", pid, ids, {"findings": sorted(removed)}, {"findings": []})
    if not project["archived"]:
        enqueue(pid, [sequence] if sequence is not None else None, "results deleted")
