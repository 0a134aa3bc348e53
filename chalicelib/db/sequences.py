"""Sequences and their shots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb, page, pgcopy
from chalicelib.db.queries import queries

Q = queries("sequences")

# The columns of a COPY row, in the order of ``copy_shots`` in sql/sequences.sql (whose text starts with
# ``COPY shot``, no comment: operators and tests find a running import by it in pg_stat_activity).
SHOT_COLUMNS = "pid, sequence, kind, line, point, objref, tstamp, easting, northing, lon, lat, upload_id, meta"


def shot_rows(
    pid: str,
    sequence: int,
    kind: str,
    upload_id: int,
    shots: dict[str, Any],
    meta: list[str | None] | None = None,
) -> bytes:
    """Binary COPY rows for ``copy_shots``. ``shots``: numpy columns ``line``, ``point``, ``objref``
    (int32 range, checked by the caller), ``has_objref`` (False: NULL), ``tstamp`` (microseconds from the
    Unix epoch), ``easting``, ``northing``, ``lon``, ``lat``; ``meta`` one JSON text or None per row.
    Rows alike in their NULLs and meta are written together (a row's bytes then have one length)."""
    import numpy as np

    count = len(shots["line"])
    known = shots["has_objref"]
    groups: dict[tuple[bool, str | None], Any]
    if meta is None and known.all():
        groups = {(True, None): slice(None)}
    else:
        texts = meta if meta is not None else [None] * count
        members: dict[tuple[bool, str | None], list[int]] = {}
        for i, key in enumerate(zip(known.tolist(), texts, strict=True)):
            members.setdefault(key, []).append(i)
        groups = {key: np.array(rows, dtype=np.int64) for key, rows in members.items()}
    out = []
    for (has_objref, text), rows in groups.items():
        line = shots["line"][rows]
        columns = [("text", pid), ("int4", sequence), ("text", kind), ("int4", line), ("int4", shots["point"][rows])]
        columns.append(("int4", shots["objref"][rows]) if has_objref else ("null", None))
        columns.append(("timestamptz", shots["tstamp"][rows]))
        columns += [("float8", shots[name][rows]) for name in ("easting", "northing", "lon", "lat")]
        columns += [("int8", upload_id), ("null", None) if text is None else ("jsonb", text)]
        out.append(pgcopy.rows(columns, len(line)))
    return b"".join(out)


def lock_sequence(
    conn: Connection, pid: str, sequence: int, line: int, attempt: int, line_name: str | None
) -> dict[str, Any]:
    """The sequence made or updated and locked: its uploads, and ``line_before`` (None if it is new)."""
    before = conn.execute(
        Q.upsert_sequence,
        {"pid": pid, "sequence": sequence, "line": line, "attempt": attempt, "line_name": line_name},
    ).fetchone()
    row = conn.execute(Q.lock_sequence, {"pid": pid, "sequence": sequence}).fetchone()
    assert row is not None and before is not None
    return {**row, "line_before": before["line_before"]}


def replace_shots(conn: Connection, pid: str, sequence: int, kind: str, rows: Iterable[bytes]) -> list[int]:
    """Delete the sequence's shots of this kind and COPY the new ones (``shot_rows`` chunks); lines touched
    (old and new, final)."""
    touched: set[int] = set()
    if kind == "final":
        touched.update(shot_lines(conn, pid, sequence))
    conn.execute(Q.delete_shots, {"pid": pid, "sequence": sequence, "kind": kind})
    pgcopy.copy(conn, Q.copy_shots, rows)
    if kind == "final":
        touched.update(shot_lines(conn, pid, sequence))
    return sorted(touched)


def set_upload(conn: Connection, pid: str, sequence: int, kind: str, upload_id: int) -> None:
    query = Q.set_final_upload if kind == "final" else Q.set_raw_upload
    conn.execute(query, {"pid": pid, "sequence": sequence, "upload_id": upload_id})


def sequences_on_lines(conn: Connection, pid: str, lines: list[int]) -> list[int]:
    """The sequences whose figures depend on these preplot lines (their line, or a shot on one)."""
    return sorted(row["sequence"] for row in conn.execute(Q.sequences_on_lines, {"pid": pid, "lines": lines}))


def refresh_sequence_stats(conn: Connection, pid: str, sequences: list[int] | None) -> None:
    conn.execute(Q.refresh_sequence_stats, {"pid": pid, "sequences": sequences})


def preplot_points_near(conn: Connection, pid: str, lines: list[int], low: int, high: int) -> tuple[Any, Any]:
    """The preplot points (not alternatives) of ``lines`` numbered ``low`` to ``high``: numpy arrays of
    their lines and points."""
    import numpy as np

    params = {"pid": pid, "lines": lines, "low": low, "high": high}
    row = conn.cursor(binary=True).execute(Q.preplot_points_near, params).fetchone()
    assert row is not None
    return np.array(row["lines"], dtype=np.int64), np.array(row["points"], dtype=np.int64)


def set_figures(conn: Connection, pid: str, sequence: int, kind: str, figures: dict[str, Any]) -> None:
    """Store one kind's figures computed from the shots in hand (see ``set_raw_figures``)."""
    query = Q.set_final_figures if kind == "final" else Q.set_raw_figures
    conn.execute(query, {**figures, "pid": pid, "sequence": sequence})


def list_sequences(pid: str, limit: int, offset: int) -> tuple[list[Row], int]:
    """One page of the project's sequences and how many there are."""
    params = {"pid": pid, "limit": limit, "offset": offset}
    with cursor() as conn:
        return page(conn, Q.list_sequences, Q.count_sequences, params)


def get_sequence(pid: str, sequence: int) -> Row | None:
    with cursor() as conn:
        return conn.execute(Q.get_sequence, {"pid": pid, "sequence": sequence}).fetchone()


def get_online_sequence(pid: str, sequence: int) -> Row | None:
    """A sequence known only from the navigation feed so far, in the columns of a stored one."""
    with cursor() as conn:
        return conn.execute(Q.get_online_sequence, {"pid": pid, "sequence": sequence}).fetchone()


def update_sequence(conn: Connection, pid: str, sequence: int, changes: dict[str, Any]) -> bool:
    """Set the given properties (None: unchanged); False when there is no such sequence."""
    params = {"pid": pid, "sequence": sequence}
    for name in ("remarks", "remarks_final", "ntbp"):
        params[name] = changes.get(name)
    for name in ("meta", "meta_final"):
        params[name] = jsonb(changes[name]) if changes.get(name) is not None else None
    return conn.execute(Q.update_sequence, params).fetchone() is not None


def sequence_track(pid: str, sequence: int) -> dict[str, Any] | None:
    """The GeoJSON geometry of a sequence's shot line (see the query), or None."""
    with cursor() as conn:
        row = conn.execute(Q.sequence_track, {"pid": pid, "sequence": sequence}).fetchone()
    return row["geometry"] if row else None


def shot_lines(conn: Connection, pid: str, sequence: int) -> list[int]:
    """The preplot lines the sequence's final shots lie on."""
    return [r["line"] for r in conn.execute(Q.shot_lines, {"pid": pid, "sequence": sequence})]


def get_shot(pid: str, sequence: int, kind: str, point: int) -> Row | None:
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
