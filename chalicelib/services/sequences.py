"""Sequences and shotpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.db import audit as db_audit
from chalicelib.db import preplots as db_preplots
from chalicelib.db import sequences as db
from chalicelib.db import transaction
from chalicelib.models.audit import Actor
from chalicelib.models.paging import PageQuery
from chalicelib.models.sequences import Sequence, SequenceUpdate, Shotpoint
from chalicelib.services import audit
from chalicelib.services.lookup import get_project, get_sequence_row


def list_sequences(pid: str, page: PageQuery) -> tuple[list[Sequence], int]:
    """One page of the project's sequences, and how many there are."""
    get_project(pid)
    rows, total = db.list_sequences(pid, page.limit, page.offset)
    return [Sequence.from_row(row) for row in rows], total


def get_sequence(pid: str, sequence: int, *, online: bool = True) -> Sequence:
    """A stored sequence or, with ``online``, one seen only in the navigation feed so far (status
    ``online``, the figures ``list_sequences`` shows); else 404."""
    if not online:
        return Sequence.from_row(get_sequence_row(pid, sequence))
    get_project(pid)
    row = db.get_sequence(pid, sequence) or db.get_online_sequence(pid, sequence)
    if row is None:
        raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
    return Sequence.from_row(row)


def sequence_feature(pid: str, sequence: int) -> dict[str, Any]:
    """The sequence as a GeoJSON Feature: its shot line (final shots once processed, else raw; one position
    per shot point) with the figures of ``get_sequence`` as properties. A sequence seen only in the
    navigation feed has no shots yet: its geometry is null."""
    found = get_sequence(pid, sequence)
    geometry = db.sequence_track(pid, sequence) if found.status != "online" else None
    return {"type": "Feature", "geometry": geometry, "properties": found.model_dump(mode="json")}


def update_sequence(pid: str, sequence: int, changes: SequenceUpdate, actor: Actor | None = None) -> None:
    """PATCH a sequence. An NTBP change changes which points count as acquired, so the figures of the
    lines it shot are refreshed in the same transaction."""
    get_project(pid)
    given = changes.model_dump(exclude_unset=True)
    with transaction() as conn:
        before = db_audit.sequence_state(conn, pid, sequence)
        if not db.update_sequence(conn, pid, sequence, given):
            raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
        if given.get("ntbp") is not None:
            lines = db.shot_lines(conn, pid, sequence)
            if lines:
                db_preplots.refresh_line_stats(conn, pid, lines)
        after = db_audit.sequence_state(conn, pid, sequence)
        audit.record(conn, actor, "update_sequence", pid, {"project": pid, "sequence": sequence}, before, after)


def get_shotpoint(pid: str, sequence: int, point: int, kind: str | None) -> Shotpoint:
    get_sequence_row(pid, sequence)
    if kind is None or kind == "":
        kind = "raw"  # the spec's default, also for a sequence that has a final file
    if kind not in ("raw", "final"):
        raise errors.BadRequestError("kind must be raw or final")
    shot = db.get_shot(pid, sequence, kind, point)
    if shot is None:
        raise errors.NotFoundError(f"No {kind} shotpoint {point} in sequence {sequence}")
    return Shotpoint.from_row(shot)


class ShotFigures:
    """A sequence's figures for one kind of shots, from the shots an import has in hand: the first and
    last shot (by time, then source; an unknown source last) and the distinct shot points, gathered batch
    by batch as the rows go to the database, then counted against the preplot with one range query and
    stored with the same formulas as ``refresh_sequence_stats`` (which a test holds them equal to).
    The import thus reads back none of the shots it has just written.

    Past ``most`` shots the points are not kept: counting a long file's points in hand would cost the
    worker more memory (several arrays of its size) than the database takes time to count them, and
    ``store`` then leaves the figures to ``refresh_sequence_stats``."""

    MOST = 50_000

    def __init__(self, most: int | None = None) -> None:
        self.first: tuple[Any, ...] | None = None
        self.last: tuple[Any, ...] | None = None
        self._keys: list[Any] = []
        self._most = self.MOST if most is None else most
        self._count = 0

    def add(self, shots: dict[str, Any]) -> None:
        """A batch of stored shots: numpy columns as ``db.sequences.shot_rows`` takes them."""
        import numpy as np

        if not len(shots["line"]):
            return
        tstamp = shots["tstamp"]
        source = np.where(shots["has_objref"], shots["objref"], np.iinfo(np.int64).max)
        fields = ("point", "easting", "northing", "lon", "lat")
        for pick, keep in ((np.argmin, min), (np.argmax, max)):
            at = int(pick(tstamp))
            ties = np.flatnonzero(tstamp == tstamp[at])
            at = int(ties[pick(source[ties])]) if len(ties) > 1 else at
            # File order decides between shots alike in time and source: the earliest wins either way.
            candidate = (int(tstamp[at]), int(source[at]), *(shots[name][at].item() for name in fields))
            if keep is min:
                self.first = candidate if self.first is None or candidate[:2] < self.first[:2] else self.first
            else:
                self.last = candidate if self.last is None or candidate[:2] > self.last[:2] else self.last
        self._count += len(shots["line"])
        if self._count > self._most:
            self._keys = []
        else:
            self._keys.append(np.unique(_point_keys(shots["line"], shots["point"])))

    def store(self, conn: Any, pid: str, sequence: int, kind: str, sequence_line: int) -> bool:
        """Count the points against the preplot and store the figures (there must have been shots); False
        when there were too many shots to count in hand: nothing is stored."""
        import numpy as np

        from chalicelib.db import sequences as db_sequences

        assert self.first is not None and self.last is not None
        if self._count > self._most:
            return False
        keys = np.concatenate(self._keys)
        self._keys = []
        keys.sort()
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]  # distinct, sorted
        lines, points = keys >> 32, (keys & 0xFFFFFFFF) - 2**31
        low, high = sorted((self.first[2], self.last[2]))
        wanted = sorted({*np.unique(lines).tolist(), sequence_line})
        pre_lines, pre_points = db_sequences.preplot_points_near(
            conn, pid, wanted, min(int(points.min()), low), max(int(points.max()), high)
        )
        # Sorted preplot keys searched for each shot key (isin's sort of both would hold several copies).
        planned_keys = np.sort(_point_keys(pre_lines, pre_points))
        at = np.minimum(np.searchsorted(planned_keys, keys), max(len(planned_keys) - 1, 0))
        planned = planned_keys[at] == keys if len(planned_keys) else np.zeros(len(keys), dtype=bool)
        in_range = planned & (lines == sequence_line) & (points >= low) & (points <= high)
        range_points = (pre_lines == sequence_line) & (pre_points >= low) & (pre_points <= high)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        (t0, _, fsp, e0, n0, lon0, lat0), (t1, _, lsp, e1, n1, lon1, lat1) = self.first, self.last
        figures = {
            "fsp": fsp, "lsp": lsp,
            "ts0": epoch + timedelta(microseconds=t0), "ts1": epoch + timedelta(microseconds=t1),
            "num_points": len(np.unique(points)),
            "num_preplots": len(np.unique(points[planned])),
            "missing": int(range_points.sum()) - len(np.unique(points[in_range])),
            "e0": e0, "n0": n0, "e1": e1, "n1": n1, "lon0": lon0, "lat0": lat0, "lon1": lon1, "lat1": lat1,
        }  # fmt: skip
        db_sequences.set_figures(conn, pid, sequence, kind, figures)
        return True


def _point_keys(lines: Any, points: Any) -> Any:
    """One int64 per (line, point) pair (both 32-bit): the line in the high half, the point offset to unsigned."""
    import numpy as np

    return (lines.astype(np.int64) << 32) + (points.astype(np.int64) + 2**31)
