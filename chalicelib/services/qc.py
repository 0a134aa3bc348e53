"""Quality control of sequences: configurable tests, findings as read-only events, acceptance.

Every test runs per sequence on its shots (final once processed, else raw),
matched to preplot points by (line, point): a nearest-neighbour match would pick
the wrong point for exactly the outliers QC is looking for. Parameters come from
the catalogue below, overridden by ``configuration.qc.<test>.<parameter>``;
``enabled: false`` turns a test off.

A finding is an event labelled ``QC`` on its shot (the first shot of a run),
read-only, with ``meta.qc = {test, severity, value, limit, message, accepted}``.
Regeneration compares the new findings with the current ones, keyed by (test,
point): unchanged findings stay as they are, changed ones get a new instance,
vanished ones are closed, so ``changes/{since}`` shows exactly what changed.
Acceptance is kept per (sequence, test, point) and survives regeneration.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from chalicelib import db, errors
from chalicelib.db import events as db_events
from chalicelib.db.queries import queries

Q = queries("qc")
KNOTS = 1852.0 / 3600.0  # metres per second in a knot

CATALOGUE: dict[str, dict[str, Any]] = {
    "position_error": {
        "name": "Position error against the preplot",
        "severity": "error",
        "parameters": {"max_inline": 12.5, "max_crossline": 10.0, "max_radial": 15.0},
    },
    "missing_shots": {"name": "Missing shots", "severity": "error", "parameters": {}},
    "duplicate_shots": {"name": "Duplicate shots", "severity": "warning", "parameters": {}},
    "shot_interval": {"name": "Shot interval", "severity": "warning", "parameters": {"min_s": 4.0, "max_s": 15.0}},
    "speed": {"name": "Speed over ground", "severity": "warning", "parameters": {"min_kn": 3.5, "max_kn": 5.5}},
    "source_sequence": {"name": "Source firing sequence", "severity": "error", "parameters": {"sources": None}},
    "point_order": {"name": "Point order", "severity": "warning", "parameters": {}},
    "outside_preplot": {"name": "Shots outside the preplot", "severity": "info", "parameters": {}},
}
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    test: str
    point: int
    tstamp: datetime
    value: Any
    limit: Any
    message: str
    lon: float | None = None
    lat: float | None = None
    extra: dict[str, Any] | None = None


# ---------------------------------------------------------------- configuration


def tests_for(configuration: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The catalogue with the project's overrides; disabled tests left out."""
    overrides = configuration.get("qc") or {}
    found = {}
    for test, spec in CATALOGUE.items():
        own = overrides.get(test) or {}
        if not isinstance(own, dict):
            own = {}
        if own.get("enabled") is False:
            continue
        merged = copy.deepcopy(spec)
        for name in merged["parameters"]:
            if name in own:
                merged["parameters"][name] = own[name]
        if own.get("severity") in SEVERITIES:
            merged["severity"] = own["severity"]
        if test == "source_sequence" and not merged["parameters"].get("sources"):
            continue  # not configured: not run
        found[test] = merged
    return found


# ---------------------------------------------------------------- the tests


def _distinct_shots(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per shot time (simultaneous sources share a time)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if out and out[-1]["tstamp"] == row["tstamp"]:
            continue
        out.append(row)
    return out


def evaluate(rows: list[dict[str, Any]], tests: dict[str, dict[str, Any]], preplot_points: list[int]) -> list[Finding]:
    """Findings for one sequence's shots (``rows`` in time order) — pure, no I/O."""
    findings: list[Finding] = []
    if not rows:
        return findings

    def add(test: str, row: dict[str, Any], value: Any, limit: Any, message: str) -> None:
        findings.append(Finding(test, row["point"], row["tstamp"], value, limit, message, row["lon"], row["lat"]))

    shots = _distinct_shots(rows)
    direction = 1 if shots[-1]["point"] >= shots[0]["point"] else -1

    if "position_error" in tests:
        p = tests["position_error"]["parameters"]
        for row in rows:
            if row["pre_easting"] is None or row["easting"] is None:
                continue
            de, dn = row["easting"] - row["pre_easting"], row["northing"] - row["pre_northing"]
            az = math.radians(row["line_azimuth"] or 0.0)
            inline = de * math.sin(az) + dn * math.cos(az)
            crossline = de * math.cos(az) - dn * math.sin(az)
            radial = math.hypot(de, dn)
            over = [
                (name, round(v, 2), lim)
                for name, v, lim in (
                    ("inline", abs(inline), p["max_inline"]),
                    ("crossline", abs(crossline), p["max_crossline"]),
                    ("radial", radial, p["max_radial"]),
                )
                if v > float(lim)
            ]
            if over:
                name, value, lim = over[0]
                add(
                    "position_error",
                    row,
                    value,
                    lim,
                    f"{name} error {value:.1f} m > {float(lim):g} m "
                    f"(inline {inline:+.1f}, crossline {crossline:+.1f}, radial {radial:.1f})",
                )

    if "missing_shots" in tests and preplot_points:
        shot_points = {r["point"] for r in rows}
        first_at: dict[int, dict[str, Any]] = {}
        for row in shots:
            first_at.setdefault(row["point"], row)
        before = shots[0]  # the last shot before the current place, in shooting order
        run: list[int] = []

        def missing(points: list[int], anchor: dict[str, Any]) -> None:
            span = f"{points[0]}-{points[-1]}" if len(points) > 1 else str(points[0])
            findings.append(
                Finding(
                    "missing_shots",
                    points[0],
                    anchor["tstamp"],
                    len(points),
                    0,
                    f"{len(points)} missing shot{'s' if len(points) > 1 else ''}: {span}",
                    extra={"from": points[0], "to": points[-1], "count": len(points)},
                )
            )

        for point in preplot_points if direction > 0 else reversed(preplot_points):
            if point in shot_points:
                if run:
                    missing(run, before)
                    run = []
                before = first_at.get(point, before)
            else:
                run.append(point)
        if run:
            missing(run, before)

    if "duplicate_shots" in tests:
        seen: dict[tuple[int, int], int] = {}
        for row in rows:
            key = (row["point"], row["objref"])
            seen[key] = seen.get(key, 0) + 1
            if seen[key] == 2:
                add("duplicate_shots", row, 2, 1, f"point {row['point']} fired again by source {row['objref']}")

    if "shot_interval" in tests or "speed" in tests:
        si = tests.get("shot_interval", {}).get("parameters")
        sp = tests.get("speed", {}).get("parameters")
        for before, row in pairwise(shots):
            dt = (row["tstamp"] - before["tstamp"]).total_seconds()
            if si is not None and not float(si["min_s"]) <= dt <= float(si["max_s"]):
                limit = si["min_s"] if dt < float(si["min_s"]) else si["max_s"]
                add(
                    "shot_interval",
                    row,
                    round(dt, 3),
                    limit,
                    f"{dt:.2f} s since the previous shot (allowed {si['min_s']}-{si['max_s']} s)",
                )
            if sp is not None and dt > 0 and row["easting"] is not None and before["easting"] is not None:
                knots = (
                    math.hypot(row["easting"] - before["easting"], row["northing"] - before["northing"]) / dt / KNOTS
                )
                if not float(sp["min_kn"]) <= knots <= float(sp["max_kn"]):
                    limit = sp["min_kn"] if knots < float(sp["min_kn"]) else sp["max_kn"]
                    add(
                        "speed",
                        row,
                        round(knots, 2),
                        limit,
                        f"{knots:.2f} kn since the previous shot (allowed {sp['min_kn']}-{sp['max_kn']} kn)",
                    )

    if "source_sequence" in tests:
        sources = [int(s) for s in tests["source_sequence"]["parameters"]["sources"]]
        judged = [r for r in rows if r["objref"] in sources]
        if judged:
            n = len(sources)
            p0 = judged[0]["point"]

            def expected(row: dict[str, Any], offset: int) -> int:
                return sources[(((row["point"] - p0) * direction) + offset) % n]

            offset = max(range(n), key=lambda k: sum(expected(r, k) == r["objref"] for r in judged))
            for row in judged:
                want = expected(row, offset)
                if row["objref"] != want:
                    add(
                        "source_sequence",
                        row,
                        row["objref"],
                        want,
                        f"point {row['point']} fired by source {row['objref']}, expected {want}",
                    )

    if "point_order" in tests:
        for before, row in pairwise(shots):
            if (row["point"] - before["point"]) * direction <= 0:
                add(
                    "point_order",
                    row,
                    row["point"],
                    before["point"],
                    f"point {row['point']} after {before['point']}: "
                    f"not {'increasing' if direction > 0 else 'decreasing'}",
                )

    if "outside_preplot" in tests:
        outside = [r for r in rows if r["pre_easting"] is None]
        if outside:
            add(
                "outside_preplot",
                outside[0],
                len(outside),
                0,
                f"{len(outside)} shot record{'s' if len(outside) > 1 else ''} with no preplot point",
            )
    return findings


# ---------------------------------------------------------------- running


def _qc_meta(test: str, severity: str, finding: Finding, accepted: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "readonly": True,
        "qc": {
            "test": test,
            "severity": severity,
            "value": finding.value,
            "limit": finding.limit,
            "message": finding.message,
            "accepted": accepted,
            **(finding.extra or {}),
        },
    }
    if finding.lon is not None and finding.lat is not None:
        meta["geometry"] = {"type": "Point", "coordinates": [finding.lon, finding.lat]}
    return meta


def run_sequence(pid: str, sequence: int) -> str:
    """Recompute one sequence's findings in one transaction; what was done."""
    from psycopg.types.json import Jsonb

    with db.transaction() as conn:
        head = conn.execute(Q.lock_sequence, {"pid": pid, "sequence": sequence}).fetchone()
        if head is None:
            return "no such sequence"
        if head["archived"]:
            return "project archived: not regenerated"
        configuration = head["configuration"] or {}
        tests = tests_for(configuration)
        kind = "final" if head["final_upload_id"] is not None else "raw"
        rows = conn.execute(Q.sequence_shots, {"pid": pid, "sequence": sequence, "kind": kind}).fetchall()
        points: list[int] = []
        if rows:
            first, last = rows[0]["point"], rows[-1]["point"]
            points = [
                r["point"]
                for r in conn.execute(
                    Q.preplot_points_between,
                    {"pid": pid, "line": head["line"], "low": min(first, last), "high": max(first, last)},
                )
            ]
        found = evaluate(rows, tests, points)
        accepted = {(r["test"], r["point"]) for r in conn.execute(Q.acceptances, {"pid": pid, "sequence": sequence})}
        existing = {
            (e["meta"]["qc"]["test"], e["point"]): e
            for e in conn.execute(Q.current_findings, {"pid": pid, "sequence": sequence})
        }
        desired = {}
        for f in found:
            meta = _qc_meta(f.test, tests[f.test]["severity"], f, (f.test, f.point) in accepted)
            desired[(f.test, f.point)] = {
                "tstamp": f.tstamp,
                "sequence": sequence,
                "point": f.point,
                "remarks": f.message,
                "labels": ["QC"],
                "meta": meta,
            }
        earlier = {
            (r["test"], r["point"]): r["id"]
            for r in conn.execute(Q.earlier_findings, {"pid": pid, "sequence": sequence})
        }
        changed = [k for k, v in desired.items() if k not in existing or _comparable(existing[k]) != _norm(v)]
        gone = [k for k in existing if k not in desired]
        if changed or gone:
            at = db_events.tick(conn, pid)
            for key in changed:
                old = existing.get(key)
                if old is None and key in earlier:  # the same finding again: a new instance of its event
                    db_events.insert_event(conn, pid, at, desired[key], event_id=earlier[key], edited=True, author="qc")
                elif old is None:
                    db_events.insert_event(conn, pid, at, desired[key], author="qc")
                else:
                    db_events.close_instance(conn, old["uid"], at)
                    db_events.insert_event(conn, pid, at, desired[key], event_id=old["id"], edited=True, author="qc")
            for key in gone:
                db_events.close_instance(conn, existing[key]["uid"], at, deleted=True)
        conn.execute(
            Q.record_run,
            {
                "pid": pid,
                "sequence": sequence,
                "raw": head["raw_upload_id"],
                "final": head["final_upload_id"],
                "configuration": Jsonb(configuration.get("qc") or {}),
            },
        )
        _store_summary(conn, pid)
        return f"{len(found)} findings ({len(changed)} new or changed, {len(gone)} gone)"


def _norm(fields: dict[str, Any]) -> str:
    return json.dumps(
        {k: fields[k] for k in ("tstamp", "point", "remarks", "labels", "meta")}, default=str, sort_keys=True
    )


def _comparable(row: dict[str, Any]) -> str:
    return _norm({**row, "labels": list(row["labels"])})


def _store_summary(conn: Any, pid: str) -> None:
    """The project info key ``qc``: a summary the office reads without walking the tree."""
    from psycopg.types.json import Jsonb

    row = conn.execute(
        "SELECT count(DISTINCT r.sequence) AS sequences, count(e.uid) AS findings,"
        " count(e.uid) FILTER (WHERE NOT coalesce((e.meta -> 'qc' ->> 'accepted')::boolean, false)) AS open,"
        " max(r.ran_on) AS updated_on"
        " FROM qc_run r LEFT JOIN event e ON e.pid = r.pid AND e.sequence = r.sequence"
        " AND upper_inf(e.validity) AND e.meta ? 'qc' WHERE r.pid = %s",
        (pid,),
    ).fetchone()
    summary = {
        "sequences": row["sequences"],
        "findings": row["findings"],
        "open": row["open"],
        "updated_on": row["updated_on"].isoformat() if row["updated_on"] else None,
    }
    conn.execute(
        "INSERT INTO project_info (pid, key, value) VALUES (%s, 'qc', %s)"
        " ON CONFLICT (pid, key) DO UPDATE SET value = excluded.value, updated_on = now()",
        (pid, Jsonb(summary)),
    )


# ---------------------------------------------------------------- queue


def enqueue(pid: str, sequences: list[int] | None, reason: str) -> None:
    """Ask the QC worker to regenerate (``sequences`` None: the whole project)."""
    from chalicelib import aws
    from chalicelib.settings import get_settings

    url = aws.queue_url(get_settings().qc_queue)
    bodies: list[dict[str, Any]] = (
        [{"pid": pid, "reason": reason}]
        if sequences is None
        else [{"pid": pid, "sequence": s, "reason": reason} for s in sequences]
    )
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        aws.sqs().send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps(b)} for i, b in enumerate(chunk)]
        )


def handle_message(body: dict[str, Any]) -> None:
    pid = body.get("pid")
    if not isinstance(pid, str):
        return
    sequence = body.get("sequence")
    if isinstance(sequence, int):
        run_sequence(pid, sequence)
        return
    with db.cursor() as conn:
        sequences = [r["sequence"] for r in conn.execute(Q.project_sequences, {"pid": pid})]
    for number in sequences:
        run_sequence(pid, number)


def sweep(limit: int = 200) -> int:
    """The deferred tasks process: regenerate sequences whose findings are older than their data."""
    with db.cursor() as conn:
        stale = conn.execute(Q.stale_sequences, {"limit": limit}).fetchall()
    for row in stale:
        run_sequence(row["pid"], row["sequence"])
    return len(stale)


# ---------------------------------------------------------------- API


def results(pid: str, sequence: int | None) -> dict[str, Any]:
    from chalicelib.services.projects import get_project

    project = get_project(pid)
    tests = tests_for(project["configuration"] or {})
    with db.cursor() as conn:
        rows = conn.execute(Q.results, {"pid": pid, "sequence": sequence}).fetchall()
    if sequence is not None and not rows:
        from chalicelib.services.sequences import get_sequence_row

        get_sequence_row(pid, sequence)
    checked = sorted({r["sequence"] for r in rows})
    tree: dict[str, Any] = {}
    for test, spec in tests.items():
        sequences: dict[str, Any] = {}
        for number in checked:
            findings = [
                {
                    "id": r["id"],
                    "point": r["point"],
                    "tstamp": r["tstamp"].isoformat() if r["tstamp"] else None,
                    "value": r["meta"]["qc"]["value"],
                    "limit": r["meta"]["qc"]["limit"],
                    "message": r["meta"]["qc"]["message"],
                    "accepted": bool(r["meta"]["qc"]["accepted"]),
                }
                for r in rows
                if r["sequence"] == number and r["id"] is not None and r["meta"]["qc"]["test"] == test
            ]
            failing = spec["severity"] != "info" and any(not f["accepted"] for f in findings)
            sequences[str(number)] = {"status": "fail" if failing else "pass", "findings": findings}
        tree[test] = {
            "name": spec["name"],
            "severity": spec["severity"],
            "parameters": spec["parameters"],
            "sequences": sequences,
        }
    return tree


def set_accepted(pid: str, ids: Any, accepted: bool, author: str) -> int:
    """Accept or unaccept findings by event id; any unknown or non-QC id → 400 and nothing changes."""
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise errors.BadRequestError("The body must be a non-empty array of event ids")
    from chalicelib.services.projects import get_project

    get_project(pid)
    with db.transaction() as conn:
        rows = conn.execute(Q.findings_by_id, {"pid": pid, "ids": ids}).fetchall()
        by_id = {r["id"]: r for r in rows}
        bad = [i for i in ids if i not in by_id or "qc" not in (by_id[i]["meta"] or {})]
        if bad:
            raise errors.BadRequestError(f"Not QC findings of project {pid}: {', '.join(map(str, bad))}")
        at = db_events.tick(conn, pid)
        changed = 0
        for row in by_id.values():
            qc = row["meta"]["qc"]
            key = {"pid": pid, "sequence": row["sequence"], "test": qc["test"], "point": row["point"], "by": author}
            conn.execute(Q.accept if accepted else Q.unaccept, key)
            if bool(qc.get("accepted")) == accepted:
                continue
            fields = {k: row[k] for k in ("tstamp", "sequence", "point", "remarks", "labels", "meta")}
            fields["meta"] = {**row["meta"], "qc": {**qc, "accepted": accepted}}
            db_events.close_instance(conn, row["uid"], at)
            db_events.insert_event(conn, pid, at, fields, event_id=row["id"], edited=True, author=author)
            changed += 1
        _store_summary(conn, pid)
        return changed


def delete_results(pid: str, sequence: int | None) -> None:
    """Remove the findings (closed, never erased) and ask for regeneration."""
    from chalicelib.services.projects import get_project

    project = get_project(pid)
    with db.transaction() as conn:
        if (
            sequence is not None
            and conn.execute("SELECT 1 FROM sequence WHERE pid = %s AND sequence = %s", (pid, sequence)).fetchone()
            is None
        ):
            raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
        rows = conn.execute(
            "SELECT uid FROM event WHERE pid = %(pid)s AND upper_inf(validity) AND meta ? 'qc'"
            " AND (%(sequence)s::integer IS NULL OR sequence = %(sequence)s) FOR UPDATE",
            {"pid": pid, "sequence": sequence},
        ).fetchall()
        if rows:
            at = db_events.tick(conn, pid)
            for row in rows:
                db_events.close_instance(conn, row["uid"], at, deleted=True)
        conn.execute(Q.forget_runs, {"pid": pid, "sequence": sequence})
        _store_summary(conn, pid)
    if not project["archived"]:
        enqueue(pid, [sequence] if sequence is not None else None, "results deleted")
