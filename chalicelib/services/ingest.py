"""Ingestion of uploaded navigation files: S3 object → parsed records → PostGIS, in one transaction.

Upload contract (object keys in the upload bucket): ``{pid}/preplot/{file}``,
``{pid}/raw/{file}``, ``{pid}/final/{file}``. Anything else is recorded as
rejected. The format is detected from the content.

Guarantees:
- One transaction per object: a file is imported whole or not at all. A file
  with an error is recorded ``rejected`` with the line number and reason, and
  nothing of it is written. A crash or a lost database leaves nothing behind
  (the upload row itself is part of the transaction), so the same bytes can
  arrive again.
- Deliveries of one object (bucket, key, etag) queue up on its upload row; the
  first to commit decides and the others see its status: exactly one import.
- Content already imported (same SHA-256, any key) is not imported again while it is what the
  sequence (or the preplot) holds. A raw or final file of up to ``SPOOL_MEMORY`` is read while S3
  sends it; its bytes are checked at the end and the import undone when they are the sequence's file.
- A sequence's raw (or final) shots are replaced whole by a newer file of the
  same kind; the older file becomes ``superseded``. "Newer" is the time S3 says
  the object was written, so a late or out-of-order message cannot bring back
  an older version.
- A preplot file redefines the lines it contains and keeps each point's
  ``ntba``, remarks and meta; other lines are left as they are. SPS points
  with the same line/point and another index are points of their own; the
  lowest index of each line/point is the primary point, the others are kept
  as alternatives that production figures and QC do not count. Preplot imports
  of a project take turns (``db.preplots.lock_preplot``): lines new to the
  project are COPYed straight into the points table, the lines it has are
  merged through a staging table.
- The file is read (parsed, transformed, formatted) in a thread of its own
  while the COPY sends what is ready (``_copy_alongside``); a file read while S3
  sends it is read as the COPY asks for its rows.
- Receivers (P1/11 ``R1``, P1/90 ``R``, SPS ``R``) belong to the upload that
  brought them: a raw or final file that supersedes its sequence's previous
  one takes that file's receivers away; a file without a sequence (a preplot,
  or a raw or final file of receivers only) redefines the receiver lines it
  gives, as a preplot redefines its lines. A file of receivers only is imported.
- Warnings of the readers (a configured P1/90 year that the header
  contradicts, ignored record types) are kept in the file's message.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import tempfile
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, Any, TypeVar

from chalicelib import aws, db
from chalicelib.db import Connection
from chalicelib.db import files as db_files
from chalicelib.db import preplots as db_preplots
from chalicelib.db import projects as db_projects
from chalicelib.db import receivers as db_receivers
from chalicelib.db import sequences as db_sequences
from chalicelib.models.limits import INT32_MAX, INT32_MIN
from chalicelib.observability import Phases, current_phases, logger, measuring
from chalicelib.services import audit
from chalicelib.settings import get_settings

if TYPE_CHECKING:  # pragma: no cover
    from chalicelib import geodesy
    from chalicelib.models.configuration import Matcher
    from chalicelib.parsers.records import FileHeader, PointColumns, ShotColumns
    from chalicelib.services.sequences import ShotFigures

KINDS = ("preplot", "raw", "final")
_T = TypeVar("_T")
_B = TypeVar("_B")
CHUNK_RECORDS = 5_000  # small enough that a 10k-shot file is read while its first chunks are sent
CHUNK_POINTS = 32_768
# What the reading of a file does (alongside its COPY: `_copy_alongside`; inside the receivers COPY).
ROW_PHASES = ("parse", "coordinates", "format rows")
HEAD_BYTES = 65_536
SPOOL_MEMORY = 8 * 1024 * 1024
"""Files up to this size are held in memory; a raw or final file of at most this size is read while it arrives."""
BLOCK_BYTES = 1024 * 1024


class RejectError(Exception):
    """The file cannot be imported; the message says why (and where)."""


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str | None = None
    records: int | None = None
    sequence: int | None = None
    timings: dict[str, float] | None = None
    """Milliseconds per phase of the import (``ingest_object`` sets it; also logged as "import timings")."""
    replaced_upload: int | None = None
    """The upload whose shots this import replaced (the sequence's file of this kind before it)."""


@dataclass(frozen=True)
class SequenceIdentity:
    sequence: int
    line: int | None
    attempt: int


# ---------------------------------------------------------------- naming


def parse_key(key: str) -> tuple[str, str, str]:
    parts = key.split("/")
    if len(parts) != 3 or not all(parts) or parts[1] not in KINDS:
        raise RejectError(
            f"object key {key!r} does not follow {{project}}/preplot|raw|final/{{file}}; nothing imported"
        )
    return parts[0], parts[1], parts[2]


def line_pattern(configuration: dict[str, Any]) -> tuple[Matcher, list[str]]:
    """The project's line pattern run by RE2, checked as ``PUT …/configuration`` checks it (a pattern stored
    before that check existed is refused here, with the reason, rather than run)."""
    from chalicelib.models.configuration import check_pattern

    spec = (((configuration.get("online") or {}).get("line") or {}).get("pattern")) or {}
    regex, captures = spec.get("regex"), spec.get("captures") or []
    if not isinstance(regex, str) or not isinstance(captures, list):
        raise RejectError("the project configuration has no online.line.pattern to find the sequence number")
    try:
        compiled = check_pattern(regex, str(spec.get("flags", "")))
    except ValueError as exc:
        raise RejectError(f"the project's online.line.pattern.regex is refused: {exc}; nothing imported") from exc
    if "sequence" not in captures:
        raise RejectError("online.line.pattern.captures does not name a 'sequence' capture")
    if len(captures) > compiled.groups:
        raise RejectError(
            f"the project's online.line.pattern.captures names {len(captures)} groups; "
            f"the regex has {compiled.groups}; nothing imported"
        )
    return compiled, [str(c) for c in captures]


def identify_sequence(line_name: str | None, file_name: str, pattern: tuple[Matcher, list[str]]) -> SequenceIdentity:
    """Sequence, line and attempt from the line name in the records, else from the file name."""
    from chalicelib.models.configuration import MAX_LINE_NAME_CHARS

    regex, captures = pattern
    stem = PurePosixPath(file_name).stem
    for candidate in (line_name, stem):
        if not candidate or len(candidate.strip()) > MAX_LINE_NAME_CHARS:  # not a line name: not searched
            continue
        match = regex.search(candidate.strip())
        if match is None:
            continue
        values = dict(zip(captures, match.groups(), strict=False))
        try:
            sequence = int(values["sequence"])
            line = int(values["line"]) if values.get("line") is not None else None
            attempt = int(values["attempt"]) if values.get("attempt") is not None else 0
        except (TypeError, ValueError):
            continue
        for name, value in (("sequence", sequence), ("line", line), ("attempt", attempt)):
            if value is not None and not INT32_MIN <= value <= INT32_MAX:
                raise RejectError(
                    f"the {name} number {value} found in {candidate.strip()!r} by the project's line pattern "
                    "is out of range (a 32-bit integer)"
                )
        return SequenceIdentity(sequence=sequence, line=line, attempt=attempt)
    raise RejectError(
        f"neither the line name {_shown(line_name)} nor the file name {_shown(stem)} match the project's line pattern"
        f" (a name longer than {MAX_LINE_NAME_CHARS} characters is not searched)"
    )


def _shown(name: str | None) -> str:
    return repr(name) if name is None or len(name) <= 80 else f"{name[:80]!r}… ({len(name)} characters)"


# ---------------------------------------------------------------- coordinates


def file_datum(header: FileHeader) -> geodesy.Datum:
    """The datum of a file's lat/lon, with the transformation to WGS 84 its header gives."""
    from chalicelib import geodesy

    given = header.transformation
    return geodesy.Datum(
        header.geographic_epsg,
        given.epsg if given is not None else None,
        given.towgs84 if given is not None else None,
    )


def _column(records: list[Any], name: str) -> Any:
    import numpy as np

    nan = math.nan
    return np.fromiter(
        (nan if v is None else v for v in (getattr(r, name) for r in records)), dtype=np.float64, count=len(records)
    )


def _complete_coordinates(
    records: list[Any], header: FileHeader, project_grid: int | None
) -> tuple[list[float], list[float], list[float], list[float]]:
    """``_complete_columns`` of records, as lists."""
    import numpy as np

    linenos = np.fromiter((r.lineno for r in records), dtype=np.int64, count=len(records))
    es, ns, lons, lats = (_column(records, name) for name in ("easting", "northing", "lon", "lat"))
    es, ns, lons, lats = _complete_columns(es, ns, lons, lats, linenos, header, project_grid)
    return es.tolist(), ns.tolist(), lons.tolist(), lats.tolist()


def _complete_columns(
    es: Any, ns: Any, lons: Any, lats: Any, linenos: Any, header: FileHeader, project_grid: int | None
) -> tuple[Any, Any, Any, Any]:
    """Eastings, northings (project grid), longitudes and latitudes (WGS 84) of points (numpy arrays,
    NaN where the file gives none; ``linenos`` the file lines, for messages).

    Files give grid coordinates, geographic ones, or both; whatever is missing is
    computed with pyproj, a whole chunk at a time. Lat/lon on another datum than
    WGS 84 are transformed (``file_datum``); grid coordinates in another CRS than
    the project's are recomputed from the WGS 84 ones; grid coordinates go to WGS 84
    through their grid's datum, the same operation as the file's lat/lon when the
    grid is on the file's datum, so given and interpolated points agree.
    """
    import numpy as np

    from chalicelib import geodesy

    file_grid = header.grid_epsg
    grid = project_grid or file_grid
    source_grid = file_grid or project_grid
    datum = file_datum(header)
    es, ns = es.copy(), ns.copy()
    has_ll = ~(np.isnan(lons) | np.isnan(lats))
    has_en = ~(np.isnan(es) | np.isnan(ns))
    nowhere = ~(has_ll | has_en)
    if nowhere.any():
        raise RejectError(f"line {linenos[int(np.argmax(nowhere))]}: no position in the record")
    regrid = file_grid is not None and grid is not None and file_grid != grid
    need_ll = ~has_ll
    need_en = ~has_en | regrid  # grid-only records of another grid too: from their WGS 84 position
    if (need_ll.any() or need_en.any()) and grid is None:
        raise RejectError("the project configuration has no grid.epsg and the file declares no grid CRS")
    try:
        if has_en.any() and file_grid is None and grid is not None and header.grid_unit_metres is not None:
            unit, metres = geodesy.grid_unit(grid)
            # rel_tol: a factor written to 7 digits is still the US survey foot, which differs from the foot by 2e-6.
            if not math.isclose(metres, header.grid_unit_metres, rel_tol=5e-7):
                raise RejectError(
                    f"the file's grid is in {header.grid_unit} and names no CRS, the project grid "
                    f"EPSG:{grid} is in {unit}: the file's grid coordinates cannot be taken as the project's; "
                    "nothing imported"
                )
        out_lon, out_lat = lons.copy(), lats.copy()
        if has_ll.any():
            out_lon[has_ll], out_lat[has_ll] = geodesy.to_wgs84(datum, lons[has_ll], lats[has_ll])
            note = geodesy.operation_note(datum, lons[has_ll], lats[has_ll])
            if note is not None and note not in header.warnings:
                header.warnings.append(note)
        if need_ll.all():
            assert source_grid is not None
            out_lon, out_lat = geodesy.grid_to_wgs84_arrays(source_grid, es, ns, datum)
        elif need_ll.any():
            assert source_grid is not None
            out_lon[need_ll], out_lat[need_ll] = geodesy.grid_to_wgs84_arrays(
                source_grid, es[need_ll], ns[need_ll], datum
            )
        if need_en.any():
            assert grid is not None
            es[need_en], ns[need_en] = geodesy.wgs84_to_grid_arrays(grid, out_lon[need_en], out_lat[need_en], datum)
    except geodesy.GeodesyError as exc:
        raise RejectError(str(exc)) from exc
    bad = ~(np.isfinite(es) & np.isfinite(ns) & np.isfinite(out_lon) & np.isfinite(out_lat))
    if bad.any():
        raise RejectError(
            f"line {linenos[int(np.argmax(bad))]}: the position cannot be transformed "
            "(outside the area of the CRS or its datum transformation)"
        )
    return es, ns, out_lon, out_lat


def complete_coordinates(
    records: list[Any], header: Any, project_grid: int | None
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Eastings, northings (project grid), longitudes and latitudes (WGS 84) of the records (see below)."""
    with current_phases()("coordinates"):
        return _complete_coordinates(records, header, project_grid)


def complete_columns(
    points: PointColumns | ShotColumns, header: Any, project_grid: int | None
) -> tuple[Any, Any, Any, Any]:
    """``_complete_columns`` of a batch of points or shots."""
    with current_phases()("coordinates"):
        return _complete_columns(
            points.easting, points.northing, points.lon, points.lat, points.lineno, header, project_grid
        )


def _chunks(records: Iterable[Any], phase: str = "parse") -> Iterator[list[Any]]:
    """The records in chunks of ``CHUNK_RECORDS``; the time spent reading them counts as ``phase``."""
    phases = current_phases()
    chunk: list[Any] = []
    started = time.perf_counter()
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK_RECORDS:
            phases.add(phase, time.perf_counter() - started)
            yield chunk
            chunk = []
            started = time.perf_counter()
    phases.add(phase, time.perf_counter() - started)
    if chunk:
        yield chunk


def _parsed(batches: Iterable[_B]) -> Iterator[_B]:
    """The reader's batches, the time spent making each counted as parsing."""
    phases = current_phases()
    batches = iter(batches)
    while True:
        started = time.perf_counter()
        batch = next(batches, None)
        phases.add("parse", time.perf_counter() - started)
        if batch is None:
            return
        yield batch


# ---------------------------------------------------------------- the import


@dataclass
class _Counter:
    records: int = 0
    indexed: bool = False
    """Some record has a point index other than 1."""


def _shot_meta(source_id: str | None) -> str | None:
    """The shot's ``meta`` (JSON text): the source id as the file writes it when it is not the objref's own
    number (a P1/90 letter), so a shot of a source the header does not list keeps its name."""
    if not source_id or source_id.isdigit():
        return None
    return json.dumps({"source_id": source_id}, ensure_ascii=False)


def _shot_rows(
    batches: Iterator[ShotColumns],
    header: FileHeader,
    pid: str,
    ident: SequenceIdentity,
    kind: str,
    upload_id: int,
    project_grid: int | None,
    pattern: tuple[Matcher, list[str]],
    file_name: str,
    counter: _Counter,
    figures: ShotFigures,
) -> Iterator[bytes]:
    """Binary COPY rows of the shots, a batch at a time; each batch's figures go to ``figures``."""
    import numpy as np

    phases = current_phases()
    known_names: dict[str, int] = {}
    for batch in _parsed(batches):
        es, ns, lons, lats = complete_columns(batch, header, project_grid)
        formatting = time.perf_counter()
        for k, name in enumerate(batch.names):
            seq = known_names.get(name)
            if seq is None:
                seq = known_names[name] = identify_sequence(name, file_name, pattern).sequence
            if seq != ident.sequence:
                at = int(np.argmax(batch.name_index == k))
                raise RejectError(
                    f"line {batch.lineno[at]}: line {name!r} belongs to sequence {seq}, "
                    f"not {ident.sequence}: one file, one sequence"
                )
        _check_int32(batch, ("line", "point", "objref"))
        # Kept to the millimetre and 1e-9 degree (0.1 mm): a file imported again gives the same stored values.
        shots = {
            "line": batch.line, "point": batch.point, "objref": batch.objref, "has_objref": batch.has_objref,
            "tstamp": batch.tstamp, "easting": np.round(es, 3), "northing": np.round(ns, 3),
            "lon": np.round(lons, 9), "lat": np.round(lats, 9),
        }  # fmt: skip
        meta = None if batch.source_id is None else [_shot_meta(source) for source in batch.source_id]
        rows = db_sequences.shot_rows(pid, ident.sequence, kind, upload_id, shots, meta)
        figures.add(shots)
        counter.records += len(batch)
        phases.add("format rows", time.perf_counter() - formatting)
        yield rows


class _PreplotLoad:
    """The points of a preplot file on their way to the database, split by line: lines new to the
    project go straight into ``preplot_point`` (``new_rows``, the big first loads), lines it has are
    spooled (``known_rows``) to redefine them through the staging table afterwards."""

    def __init__(self, pid: str, known: set[int], grid: int | None) -> None:
        self.pid, self.known, self.grid = pid, known, grid
        self.records = 0
        self.lines: set[int] = set()
        self.new_indexed = self.known_indexed = False
        """Some point of a new (known) line has an index other than 1."""
        self.exact: list[db_preplots.ExactNumbers] = []
        """New lines' points with a line or point number that is not whole."""
        self.known_spool: IO[bytes] | None = None
        self.known_count = 0

    def close(self) -> None:
        if self.known_spool is not None:
            self.known_spool.close()

    def new_rows(self, reader: Any) -> Iterator[bytes]:
        """Binary COPY rows of the new lines' points; known lines' points go to the spool."""
        import numpy as np

        phases = current_phases()
        known = np.fromiter(self.known, dtype=np.int64, count=len(self.known))
        for batch in _parsed(reader.columns(CHUNK_POINTS)):
            es, ns, lons, lats = complete_columns(batch, reader.header, self.grid)
            formatting = time.perf_counter()
            # Kept to the millimetre and 1e-9 degree (0.1 mm), as shots are: a file imported again gives
            # the same stored values whatever the transformation's last bits.
            es, ns, lons, lats = np.round(es, 3), np.round(ns, 3), np.round(lons, 9), np.round(lats, 9)
            _check_int32(batch)
            self.records += len(batch)
            self.lines.update(np.unique(batch.line).tolist())
            is_known = np.isin(batch.line, known) if len(known) else np.zeros(len(batch), dtype=bool)
            if is_known.any():
                self._spool(batch, is_known, es, ns, lons, lats)
            new = ~is_known
            rows = None
            if new.any():
                line, point, index = batch.line[new], batch.point[new], batch.index[new]
                self.new_indexed = self.new_indexed or bool((index != 1).any())
                self._keep_exact(line, point, index, batch.exact_line[new], batch.exact_point[new])
                rows = db_preplots.point_rows(self.pid, line, point, index, es[new], ns[new], lons[new], lats[new])
            phases.add("format rows", time.perf_counter() - formatting)
            if rows is not None:
                yield rows

    def _spool(self, batch: PointColumns, rows: Any, es: Any, ns: Any, lons: Any, lats: Any) -> None:
        index = batch.index[rows]
        self.known_indexed = self.known_indexed or bool((index != 1).any())
        self.known_count += int(rows.sum())
        if self.known_spool is None:
            self.known_spool = _new_spool()
        self.known_spool.write(
            db_preplots.staging_rows(
                batch.line[rows], batch.point[rows], index, es[rows], ns[rows], lons[rows], lats[rows],
                batch.exact_line[rows], batch.exact_point[rows],
            )
        )  # fmt: skip

    def _keep_exact(self, line: Any, point: Any, index: Any, exact_line: Any, exact_point: Any) -> None:
        import numpy as np

        fractional = ~(np.isnan(exact_line) & np.isnan(exact_point))
        for values in zip(
            line[fractional].tolist(),
            point[fractional].tolist(),
            index[fractional].tolist(),
            exact_line[fractional].tolist(),
            exact_point[fractional].tolist(),
            strict=True,
        ):
            ln, pt, ix, el, ep = values
            self.exact.append((ln, pt, ix, None if el != el else el, None if ep != ep else ep))

    def known_rows(self) -> Iterator[bytes]:
        assert self.known_spool is not None
        self.known_spool.seek(0)
        while chunk := self.known_spool.read(SPOOL_MEMORY):
            yield chunk


class _ReadAhead:
    """Chunks made by a thread of their own, ``depth`` ahead, while the caller sends the current one:
    reading the file and the database's COPY overlap. ``waited`` is the time the caller waited for a
    chunk. An error while making them is raised to the caller; the caller stopping stops the thread."""

    def __init__(self, chunks: Iterator[bytes], depth: int = 2) -> None:
        import contextvars
        import queue
        import threading

        self.waited = 0.0
        self.busy = 0.0
        """Seconds the thread spent making chunks (not waiting for room in the queue)."""
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._chunks = chunks
        context = contextvars.copy_context()  # the import's phases and log keys
        self._thread = threading.Thread(target=context.run, args=(self._make,), daemon=True)

    def _put(self, item: tuple[str, Any]) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _make(self) -> None:
        try:
            started = time.perf_counter()
            for chunk in self._chunks:
                self.busy += time.perf_counter() - started
                if not self._put(("chunk", chunk)):
                    return
                started = time.perf_counter()
            self.busy += time.perf_counter() - started
            self._put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            self._put(("error", exc))

    def chunks(self) -> Generator[bytes, None, None]:
        self._thread.start()
        try:
            while True:
                started = time.perf_counter()
                kind, value = self._queue.get()
                self.waited += time.perf_counter() - started
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            self._stop.set()
            self._thread.join()


def _copy_alongside(copy: Callable[[Iterable[bytes]], _T], chunks: Iterator[bytes], ahead: bool = True) -> _T:
    """``copy(rows)`` with the rows made alongside (``_ReadAhead``): the file is read while the database
    takes the previous chunk. The reading phases ran during the COPY, so the COPY's own time is what it
    did not spend waiting for rows, and the reading it hid is taken off again: the phases still add up
    to the import's time. The reading thread's time outside the reading phases (the reader's set-up,
    its first imports) counts as parsing.

    ``ahead=False``: the rows are made in this thread as the COPY asks for them (a file read while S3
    sends it has its download's thread already: a third thread made that import slower, not faster)."""
    phases = current_phases()
    before = sum(phases.seconds.get(name, 0.0) for name in ROW_PHASES)
    started = time.perf_counter()
    if not ahead:  # the rows made as the COPY asks for them: its own time is the rest
        try:
            return copy(chunks)
        finally:
            reading = sum(phases.seconds.get(name, 0.0) for name in ROW_PHASES) - before
            phases.add("copy", time.perf_counter() - started - reading)
    rows = _ReadAhead(chunks)
    sent = rows.chunks()
    try:
        return copy(sent)
    finally:
        sent.close()  # a COPY that failed stops the reading thread now, not when its traceback goes
        wall = time.perf_counter() - started
        reading = sum(phases.seconds.get(name, 0.0) for name in ROW_PHASES) - before
        phases.add("parse", max(0.0, rows.busy - reading))
        busy = max(rows.busy, reading)
        phases.add("copy", wall - min(rows.waited, busy))
        phases.add("reading hidden behind the COPY", min(0.0, rows.waited - busy))


_NUMBER_NAMES = {"line": "line number", "point": "point number", "objref": "source (OBJREF)"}


def _check_int32(batch: PointColumns | ShotColumns, names: tuple[str, ...] = ("line", "point")) -> None:
    """Numbers the database's 32-bit integers hold, or a rejection naming the file line."""
    import numpy as np

    for name in names:
        values = getattr(batch, name)
        outside = (values < INT32_MIN) | (values > INT32_MAX)
        if outside.any():
            at = int(np.argmax(outside))
            raise RejectError(
                f"line {batch.lineno[at]}: {_NUMBER_NAMES[name]} {values[at]} is out of range (a 32-bit integer)"
            )


def _receiver_rows(
    reader: Any, pid: str, upload_id: int, kind: str, sequence: int | None, project_grid: int | None
) -> Iterator[tuple[Any, ...]]:
    """COPY rows of the receivers the reader met, positions completed as for shots and points."""
    n = 0
    for chunk in _chunks(reader.receivers):
        es, ns, lons, lats = complete_coordinates(chunk, reader.header, project_grid)
        for r, e, north, lon, lat in zip(chunk, es, ns, lons, lats, strict=True):
            n += 1
            yield (
                pid, upload_id, n, kind, sequence, r.line, r.point, r.node, r.objref, r.tstamp, r.depth,
                e, north, lon, lat,
            )  # fmt: skip


def _store_receivers(
    conn: Connection,
    reader: Any,
    pid: str,
    upload_id: int,
    kind: str,
    sequence: int | None,
    configuration: dict[str, Any],
) -> int:
    """Write the receivers the reader met (complete once its iteration ended); how many there were.

    A file without a sequence redefines the receiver lines it gives (for its kind of file).
    """
    if reader.receivers:
        db_receivers.copy_receivers(
            conn, _receiver_rows(reader, pid, upload_id, kind, sequence, _project_grid(configuration))
        )
        if sequence is None:
            db_receivers.delete_redefined_receivers(conn, pid, kind, upload_id)
    return len(reader.receivers)


MAX_WARNINGS = 20


def _note_import(conn: Connection, upload_id: int, reader: Any, receivers: int) -> None:
    """Keep the receivers count and the readers' warnings on the upload row (shown by ``/files``)."""
    warnings = list(dict.fromkeys(reader.header.warnings))
    message = None
    if warnings:
        more = f" (and {len(warnings) - MAX_WARNINGS} more)" if len(warnings) > MAX_WARNINGS else ""
        message = "warning: " + "; ".join(warnings[:MAX_WARNINGS]) + more
    db_files.note_import(conn, upload_id, receivers, message)


def _project_grid(configuration: dict[str, Any]) -> int | None:
    epsg = (configuration.get("grid") or {}).get("epsg")
    try:
        return int(epsg) if epsg is not None else None
    except (TypeError, ValueError) as exc:
        raise RejectError(f"the project configuration grid.epsg {epsg!r} is not an EPSG code") from exc


def record_grid_unit(conn: Connection, pid: str, configuration: dict[str, Any], file_grid: int | None = None) -> None:
    """Keep the project's grid unit (metres per unit) in step with its grid before figures are computed:
    ``grid.epsg``, else the file's grid, which is then the grid its coordinates are kept in."""
    from chalicelib import geodesy

    grid = _project_grid(configuration) or file_grid
    if grid is None:
        return
    try:
        db_projects.set_grid_unit(conn, pid, geodesy.grid_unit(grid))
    except geodesy.GeodesyError as exc:
        raise RejectError(f"the project configuration grid.epsg: {exc}") from exc


def _p190_year(configuration: dict[str, Any]) -> int | None:
    year = (configuration.get("p190") or {}).get("year")
    return int(year) if isinstance(year, int | str) and str(year).isdigit() else None


def import_shots(
    conn: Connection,
    spool: IO[bytes],
    fmt: str,
    pid: str,
    kind: str,
    file_name: str,
    upload: dict[str, Any],
    configuration: dict[str, Any],
    *,
    read_ahead: bool = True,
) -> Outcome:
    """Import a raw or final file's shots; ``read_ahead``: read the file in a thread of its own while the
    COPY sends what is ready (see ``_copy_alongside``)."""
    from chalicelib import parsers

    pattern = line_pattern(configuration)
    reader = parsers.open_shots(fmt, spool, year=_p190_year(configuration))
    batches = reader.columns(CHUNK_RECORDS)
    with current_phases()("parse"):  # the header and the first batch
        first = next(batches, None)
    record_grid_unit(conn, pid, configuration, reader.header.grid_epsg)  # the header is complete by now
    if first is None:
        if not reader.receivers:
            raise RejectError("the file holds no shot records and no receivers")
        found = _store_receivers(conn, reader, pid, upload["id"], kind, None, configuration)
        _note_import(conn, upload["id"], reader, found)
        return Outcome("imported", None, 0, None)
    first_name = first.names[int(first.name_index[0])]
    ident = identify_sequence(first_name, file_name, pattern)
    sequence_line = ident.line if ident.line is not None else int(first.line[0])
    current = db_sequences.lock_sequence(conn, pid, ident.sequence, sequence_line, ident.attempt, first_name)
    current_id = current[f"{kind}_upload_id"]
    current_created = current[f"{kind}_created_on"]
    if current_id is not None and current_created and upload["created_on"] and current_created > upload["created_on"]:
        return Outcome(
            "superseded",
            f"a newer {kind} file of sequence {ident.sequence} is already imported",
            sequence=ident.sequence,
        )
    from chalicelib.services.sequences import ShotFigures

    counter = _Counter()
    figures = ShotFigures()
    rows = _shot_rows(
        _prepend(first, batches),
        reader.header,
        pid,
        ident,
        kind,
        upload["id"],
        _project_grid(configuration),
        pattern,
        file_name,
        counter,
        figures,
    )
    phases = current_phases()
    touched = _copy_alongside(
        lambda chunks: db_sequences.replace_shots(conn, pid, ident.sequence, kind, chunks), rows, read_ahead
    )
    db_sequences.set_upload(conn, pid, ident.sequence, kind, upload["id"])
    if current_id is not None and current_id != upload["id"]:
        db_files.supersede_upload(conn, current_id, f"replaced by {upload['key']}")
        db_receivers.delete_upload_receivers(conn, pid, current_id)
    with phases.excluding("receivers", ROW_PHASES):
        found = _store_receivers(conn, reader, pid, upload["id"], kind, ident.sequence, configuration)
    _note_import(conn, upload["id"], reader, found)
    with phases("statistics"):
        other = "final" if kind == "raw" else "raw"
        moved = current["line_before"] is not None and current["line_before"] != sequence_line
        # The other kind's missing points count on the sequence's line: a file that changes it recounts both.
        recount = moved and current[f"{other}_upload_id"] is not None
        if recount or not figures.store(conn, pid, ident.sequence, kind, sequence_line):
            db_sequences.refresh_sequence_stats(conn, pid, [ident.sequence])
        if touched:
            db_preplots.refresh_line_stats(conn, pid, touched)
    from chalicelib.services import events

    with phases("system events"):
        events.sync_sequence_events(conn, pid, ident.sequence)
    if kind == "raw":
        from chalicelib.db import navdata as db_navdata

        with phases("navigation feed"):  # the feed's headers that are shots of the file now
            db_navdata.drop_shot_headers(conn, pid, ident.sequence)
    from chalicelib.services.planner import plan as planner

    with phases("planner"):
        planner.sequence_acquired(conn, pid, ident.sequence)
    return Outcome("imported", None, counter.records, ident.sequence, replaced_upload=current_id)


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def import_preplot(
    conn: Connection, spool: IO[bytes], fmt: str, pid: str, configuration: dict[str, Any], upload: dict[str, Any]
) -> Outcome:
    from chalicelib import parsers

    reader = parsers.open_preplot(fmt, spool)
    db_preplots.lock_preplot(conn, pid)
    load = _PreplotLoad(pid, db_preplots.line_numbers(conn, pid), _project_grid(configuration))
    try:
        _load_preplot(conn, load, reader, pid, configuration)
    finally:
        load.close()
    with current_phases().excluding("receivers", ROW_PHASES):
        found = _store_receivers(conn, reader, pid, upload["id"], "preplot", None, configuration)
    _note_import(conn, upload["id"], reader, found)
    return Outcome("imported", None, load.records, None)


def _load_preplot(conn: Connection, load: _PreplotLoad, reader: Any, pid: str, configuration: dict[str, Any]) -> None:
    phases = current_phases()
    duplicate = _copy_alongside(lambda rows: db_preplots.copy_points(conn, rows), load.new_rows(reader))
    if duplicate:
        raise _given_twice(duplicate)
    if load.records == 0 and not reader.receivers:
        raise RejectError("the file holds no preplot points and no receivers")
    record_grid_unit(conn, pid, configuration, reader.header.grid_epsg)
    if not load.records:
        return
    with phases("merge into the preplot"):
        new_lines = sorted(load.lines - load.known)
        db_preplots.insert_lines(conn, pid, new_lines)
        if load.new_indexed:
            db_preplots.mark_point_alternatives(conn, pid, new_lines)
        if load.exact:
            db_preplots.set_exact_numbers(conn, pid, load.exact)
        if load.known_count:
            db_preplots.copy_staging(conn, load.known_rows())
            if load.known_indexed:
                db_preplots.mark_staging_alternatives(conn)
            duplicate = db_preplots.merge_staging(conn, pid)
            if duplicate:
                raise _given_twice(duplicate)
        db_preplots.analyze_points(conn)
    with phases("statistics"):
        lines = sorted(load.lines)
        db_preplots.refresh_line_stats(conn, pid, lines)
        affected = db_sequences.sequences_on_lines(conn, pid, lines)  # the others' figures cannot change
        if affected:
            db_sequences.refresh_sequence_stats(conn, pid, affected)


def _given_twice(point: tuple[int, int, int]) -> RejectError:
    line, number, index = point
    which = f"point {number}" if index == 1 else f"point {number} (index {index})"
    return RejectError(f"{which} of line {line} is given twice")


class TooLargeError(RejectError):
    """The object is larger than the uploads the worker accepts (``DOUGAL_MAX_UPLOAD_BYTES``)."""


def _too_large(size: int, limit: int) -> TooLargeError:
    return TooLargeError(
        f"the file is {size} bytes, more than the {limit} bytes an upload may hold (DOUGAL_MAX_UPLOAD_BYTES); "
        "nothing imported"
    )


def _new_spool() -> IO[bytes]:
    """Memory up to SPOOL_MEMORY, then a file in /tmp."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)


def _get_object(bucket: str, key: str, etag: str, limit: int) -> dict[str, Any]:
    """The object's GET response (the version the notification named), refused when S3's length is over ``limit``."""
    quoted = etag if etag.startswith('"') else f'"{etag}"'
    response: dict[str, Any] = aws.s3().get_object(Bucket=bucket, Key=key, IfMatch=quoted)
    length = response.get("ContentLength")
    if isinstance(length, int) and length > limit:
        response["Body"].close()
        raise _too_large(length, limit)
    return response


def _spool_body(response: dict[str, Any], limit: int) -> tuple[IO[bytes], str, int]:
    """The response's bytes spooled to memory/disk, with their SHA-256 and size.

    At most ``limit`` bytes are spooled: the notification's size is checked before, and the
    bytes read are counted too (the notification may be missing or wrong), so the spool
    never outgrows the worker's ``/tmp``.
    """
    spool = _new_spool()
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in response["Body"].iter_chunks(BLOCK_BYTES):
            size += len(chunk)
            if size > limit:
                response["Body"].close()
                raise _too_large(size, limit)
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, digest.hexdigest(), size


class _StreamedBody(io.RawIOBase):
    """An object's bytes as S3 sends them, for a file small enough to hold in memory: a thread reads
    the body (counting and hashing it) while the import reads what has arrived, so the first blocks
    are parsed and sent to the database while the last ones are on their way. A read waits for its
    bytes; an error of the download (too large, the connection lost) is raised to the reader.
    ``finish()`` waits for the end: the SHA-256 and the size."""

    def __init__(self, body: Any, limit: int) -> None:
        import contextvars
        import threading

        super().__init__()
        self._body, self._limit = body, limit
        self._data = bytearray()
        self._position = 0
        self._done = False
        self._stop = False
        self._error: BaseException | None = None
        self._digest = hashlib.sha256()
        self._arrived = threading.Condition()
        self.waited = 0.0
        """Seconds readers waited for bytes."""
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._fetch,), daemon=True)
        self._thread.start()

    def _fetch(self) -> None:
        try:
            for chunk in self._body.iter_chunks(BLOCK_BYTES):
                self._digest.update(chunk)
                with self._arrived:
                    if self._stop:
                        break
                    if len(self._data) + len(chunk) > self._limit:
                        raise _too_large(len(self._data) + len(chunk), self._limit)
                    self._data += chunk
                    self._arrived.notify_all()
        except BaseException as exc:  # noqa: BLE001 - raised again to the reader
            with self._arrived:
                self._error = exc
        finally:
            self._body.close()
            with self._arrived:
                self._done = True
                self._arrived.notify_all()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._arrived:
            started = time.perf_counter()
            while self._error is None and not self._done and len(self._data) <= self._position:
                self._arrived.wait()
            self.waited += time.perf_counter() - started
            if self._error is not None:
                raise self._error
            count = min(len(buffer), len(self._data) - self._position)
            buffer[:count] = self._data[self._position : self._position + count]
            self._position += count
            return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("seek from the end of a body still arriving")
        self._position = max(0, offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def finish(self) -> tuple[str, int]:
        """Wait for the whole body: its SHA-256 and size (the download's error, if any, raised)."""
        with current_phases()("read from S3"):
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest(), len(self._data)

    def close(self) -> None:
        with self._arrived:
            self._stop = True
        self._thread.join()
        super().close()


class _SameContent(Exception):
    """The file's bytes are those its sequence held before: the import is undone."""

    def __init__(self, known: dict[str, Any]) -> None:
        super().__init__(known["key"])
        self.known = known


def _same_content(
    conn: Connection, upload_id: int, kind: str, known: dict[str, Any], sha256: str, size: int | None
) -> Outcome:
    """The upload is recorded as imported with nothing new: its bytes are ``known``'s."""
    message = f"same content as {known['key']}; nothing new to import"
    db_files.finish_upload(
        conn,
        upload_id,
        status="imported",
        message=message,
        kind=kind,
        format=known["format"],
        sha256=sha256,
        size=size,
        records=known["records"],
        sequence=known["sequence"],
    )
    return Outcome("imported", message, known["records"], known["sequence"])


def ingest_object(bucket: str, key: str, etag: str, size: int | None, created_on: datetime | None) -> Outcome:
    """Import one uploaded object (see the module docstring for the guarantees); then ask for QC.

    Only a transient failure (the database or an AWS service out of reach) is raised, so the
    message comes back later. Anything else the file causes (a value the database refuses, a
    full disk, memory, a parser's unexpected error) rejects the file in a transaction of its
    own: ``/files`` shows why, and the message is done with.
    """
    phases = Phases()
    started = time.perf_counter()
    with measuring(phases):
        try:
            outcome = _ingest_object(bucket, key, etag, size, created_on)
        except Exception as exc:
            if is_transient(exc):
                raise
            logger().exception("file rejected on an unexpected error", extra={"key": key})
            outcome = _reject_alone(bucket, key, etag, size, created_on, _failure_message(exc))
        if outcome.status == "imported" and outcome.sequence is not None and outcome.message is None:
            from chalicelib.services import qc

            with phases("QC request"):  # after the commit: the worker sees the data
                qc.enqueue(key.split("/", 1)[0], [outcome.sequence], "import")
    total = time.perf_counter() - started
    phases.add("other (commit, bookkeeping)", total - sum(phases.seconds.values()))
    outcome = replace(outcome, timings=phases.milliseconds())
    logger().info(
        "import timings",
        extra={
            "key": key,
            "status": outcome.status,
            "total_ms": round(total * 1000, 1),
            "phases_ms": phases.milliseconds(),
        },
    )
    return outcome


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same file again later may succeed: the database or AWS out of reach."""
    from chalicelib import errors

    if isinstance(exc, errors.ServiceUnavailableError | ConnectionError | TimeoutError):
        return True
    module = type(exc).__module__ or ""
    if module.startswith(("botocore", "urllib3")):
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            return (
                status >= 500
                or status == 429
                or "Throttl" in str(error.get("Code", ""))
                or (error.get("Code") in ("SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable"))
            )
        return True  # connection, read time-out, endpoint errors
    return False


def _failure_message(exc: BaseException) -> str:
    from chalicelib import errors

    if isinstance(exc, MemoryError):
        return "the file needs more memory than the worker has; nothing imported"
    if isinstance(exc, OSError):
        return f"the worker could not hold the file ({exc.strerror or exc}); nothing imported"
    if isinstance(exc, errors.BadRequestError):
        cause = exc.__cause__
        detail = str(cause).splitlines()[0] if cause is not None and str(cause) else exc.message
        return f"a value of the file does not fit the database ({detail}); nothing imported"
    if isinstance(exc, re.error):
        return f"the project's online.line.pattern fails on this file ({exc}); nothing imported"
    return f"the file could not be imported ({type(exc).__name__}: {exc}); nothing imported"[:2000]


def _reject_alone(
    bucket: str, key: str, etag: str, size: int | None, created_on: datetime | None, message: str
) -> Outcome:
    """Record the object as rejected in a transaction of its own (the import's was rolled back)."""
    pid: str | None
    kind: str | None
    try:
        pid, kind, _ = parse_key(key)
    except RejectError:
        pid, kind = key.split("/", 1)[0] or None, None
    with db.transaction() as conn:
        upload = db_files.claim_upload(conn, pid, bucket, key, etag, size, created_on)
        if upload["status"] != "pending":  # another delivery decided meanwhile
            return Outcome(upload["status"], upload["message"], upload["records"], upload["sequence"])
        db_files.finish_upload(conn, upload["id"], status="rejected", message=message, kind=kind, size=size)
    return Outcome("rejected", message)


def _ingest_object(bucket: str, key: str, etag: str, size: int | None, created_on: datetime | None) -> Outcome:
    from botocore.exceptions import ClientError

    from chalicelib import parsers

    log = logger()
    settings = get_settings()
    pid: str | None
    kind: str | None
    try:
        pid, kind, file_name = parse_key(key)
        key_error = None
    except RejectError as exc:
        pid, kind, file_name, key_error = (key.split("/", 1)[0] or None), None, key, str(exc)

    with db.transaction() as conn:
        upload = db_files.claim_upload(conn, pid, bucket, key, etag, size, created_on)
        if upload["status"] != "pending":
            log.info("already handled", extra={"key": key, "status": upload["status"]})
            return Outcome(upload["status"], upload["message"], upload["records"], upload["sequence"])
        if key_error is not None or pid is None or kind is None:
            db_files.finish_upload(conn, upload["id"], status="rejected", message=key_error, size=size)
            return Outcome("rejected", key_error)
        project = db_projects.get_project(pid, conn)
        if project is None:
            message = f"no project {pid!r}; nothing imported"
            db_files.finish_upload(conn, upload["id"], status="rejected", message=message, kind=kind, size=size)
            return Outcome("rejected", message)
        if size is not None and size > settings.max_upload_bytes:
            message = str(_too_large(size, settings.max_upload_bytes))
            db_files.finish_upload(conn, upload["id"], status="rejected", message=message, kind=kind, size=size)
            log.info("file too large", extra={"key": key, "size": size})
            return Outcome("rejected", message)
        stream: _StreamedBody | None = None
        sha256: str | None = None
        actual_size: int | None = size
        try:
            with current_phases()("read from S3"):
                response = _get_object(bucket, key, etag, settings.max_upload_bytes)
                length = response.get("ContentLength")
                if kind != "preplot" and isinstance(length, int) and length <= SPOOL_MEMORY:
                    stream = _StreamedBody(response["Body"], settings.max_upload_bytes)
                    spool: IO[bytes] = io.BufferedReader(stream, BLOCK_BYTES)
                else:
                    spool, sha256, actual_size = _spool_body(response, settings.max_upload_bytes)
        except TooLargeError as exc:
            db_files.finish_upload(conn, upload["id"], status="rejected", message=str(exc), kind=kind, size=size)
            return Outcome("rejected", str(exc))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "NoSuchKey", "404", "412"):
                message = "the object was replaced or removed before it could be read"
                db_files.finish_upload(conn, upload["id"], status="superseded", message=message, kind=kind)
                return Outcome("superseded", message)
            raise
        with spool:
            db_files.set_actor(conn, f"upload {key}")
            if sha256 is not None:
                db_files.lock_content(conn, pid, sha256)
                # Skipped only when these bytes are what the sequence (or the preplot) holds now: an
                # earlier version uploaded again to undo a bad replacement is imported again.
                known = db_files.find_current_content(conn, pid, kind, sha256)
                if known is not None:
                    return _same_content(conn, upload["id"], kind, known, sha256, actual_size)
            fmt = None
            limits = parsers.PointLimits(settings.max_segment_points, settings.max_preplot_points)
            try:
                with conn.transaction(), parsers.point_limits(limits):  # savepoint: a rejected file leaves nothing
                    fmt = parsers.detect_format(spool.read(HEAD_BYTES))
                    spool.seek(0)
                    configuration = project["configuration"]
                    if kind == "preplot":
                        outcome = import_preplot(conn, spool, fmt, pid, configuration, upload)
                    else:
                        outcome = import_shots(
                            conn, spool, fmt, pid, kind, file_name, upload, configuration, read_ahead=stream is None
                        )
                    if stream is not None:
                        sha256, actual_size = stream.finish()
                        # A file read while it arrived is checked once its bytes are all there: when they
                        # are what the sequence held before this import, the import is undone.
                        replaced = outcome.replaced_upload
                        known = None if replaced is None else db_files.upload_with_content(conn, replaced, sha256)
                        if known is not None:
                            raise _SameContent(known)
            except _SameContent as same:
                assert sha256 is not None
                return _same_content(conn, upload["id"], kind, same.known, sha256, actual_size)
            except (parsers.ParseError, RejectError, ValueError) as exc:
                outcome = Outcome("rejected", str(exc))
            if stream is not None:  # readers waiting for bytes were waiting for S3, not parsing
                current_phases().add("read from S3", stream.waited)
                current_phases().add("parse", -stream.waited)
            if stream is not None and sha256 is None:  # rejected before the end: the bytes' figures still count
                try:
                    sha256, actual_size = stream.finish()
                except TooLargeError:
                    sha256, actual_size = None, size
            db_files.finish_upload(
                conn,
                upload["id"],
                status=outcome.status,
                message=outcome.message,
                kind=kind,
                format=fmt,
                sha256=sha256,
                size=actual_size,
                records=outcome.records,
                sequence=outcome.sequence,
            )
            if outcome.status == "imported":
                ids = {"project": pid, "upload": upload["id"], "key": key, "kind": kind, "sequence": outcome.sequence}
                after = {"format": fmt, "sha256": sha256, "records": outcome.records, "message": outcome.message}
                audit.record(conn, None, "ingest_uploaded_files", pid, ids, None, after)
            log.info("file handled", extra={"key": key, "status": outcome.status, "records": outcome.records})
            return outcome
