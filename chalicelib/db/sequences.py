"""Sequences and their shots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg.types.json import Jsonb

from chalicelib.db import cursor, transaction
from chalicelib.db.preplots import refresh_line_stats
from chalicelib.db.queries import queries

Q = queries("sequences")

SHOT_COLUMNS = "pid, sequence, kind, line, point, objref, tstamp, easting, northing, lon, lat, upload_id"


def lock_sequence(conn: Any, pid: str, sequence: int, line: int, attempt: int, line_name: str | None) -> dict[str, Any]:
    conn.execute(
        Q.upsert_sequence,
        {"pid": pid, "sequence": sequence, "line": line, "attempt": attempt, "line_name": line_name},
    )
    row = conn.execute(Q.lock_sequence, {"pid": pid, "sequence": sequence}).fetchone()
    assert row is not None
    return dict(row)


def replace_shots(conn: Any, pid: str, sequence: int, kind: str, rows: Iterable[bytes]) -> list[int]:
    """Delete the sequence's shots of this kind and COPY the new ones; lines touched (old and new, final)."""
    touched: set[int] = set()
    if kind == "final":
        touched.update(r["line"] for r in conn.execute(Q.shot_lines, {"pid": pid, "sequence": sequence}))
    conn.execute(Q.delete_shots, {"pid": pid, "sequence": sequence, "kind": kind})
    with conn.cursor().copy(f"COPY shot ({SHOT_COLUMNS}) FROM STDIN") as copy:
        for chunk in rows:
            copy.write(chunk)
    if kind == "final":
        touched.update(r["line"] for r in conn.execute(Q.shot_lines, {"pid": pid, "sequence": sequence}))
    return sorted(touched)


def set_upload(conn: Any, pid: str, sequence: int, kind: str, upload_id: int) -> None:
    query = Q.set_final_upload if kind == "final" else Q.set_raw_upload
    conn.execute(query, {"pid": pid, "sequence": sequence, "upload_id": upload_id})


def refresh_sequence_stats(conn: Any, pid: str, sequences: list[int] | None) -> None:
    conn.execute(Q.refresh_sequence_stats, {"pid": pid, "sequences": sequences})


def list_sequences(pid: str) -> list[dict[str, Any]]:
    with cursor() as conn:
        return conn.execute(Q.list_sequences, {"pid": pid}).fetchall()


def get_sequence(pid: str, sequence: int) -> dict[str, Any] | None:
    with cursor() as conn:
        return conn.execute(Q.get_sequence, {"pid": pid, "sequence": sequence}).fetchone()


def update_sequence(pid: str, sequence: int, changes: dict[str, Any]) -> bool:
    params = {"pid": pid, "sequence": sequence}
    for name in ("remarks", "remarks_final", "ntbp"):
        params[name] = changes.get(name)
    for name in ("meta", "meta_final"):
        params[name] = Jsonb(changes[name]) if changes.get(name) is not None else None
    with transaction() as conn:
        row = conn.execute(Q.update_sequence, params).fetchone()
        if row is None:
            return False
        if changes.get("ntbp") is not None:
            lines = [r["line"] for r in conn.execute(Q.shot_lines, {"pid": pid, "sequence": sequence})]
            if lines:
                refresh_line_stats(conn, pid, lines)
        return True


def get_shot(pid: str, sequence: int, kind: str, point: int) -> dict[str, Any] | None:
    with cursor() as conn:
        return conn.execute(Q.get_shot, {"pid": pid, "sequence": sequence, "kind": kind, "point": point}).fetchone()


def project_statistics(pid: str) -> dict[str, Any]:
    """Everything a project summary needs, from the kept figures (no scan of points or shots)."""
    from chalicelib.db.preplots import project_point_statistics

    with cursor() as conn:
        figures = project_point_statistics(conn, pid)
        row = conn.execute(Q.project_sequence_statistics, {"pid": pid}).fetchone()
        figures.update(dict(row) if row else {})
        figures["fsp"] = conn.execute(Q.first_final_shot, {"pid": pid}).fetchone()
        figures["lsp"] = conn.execute(Q.last_final_shot, {"pid": pid}).fetchone()
        return figures
