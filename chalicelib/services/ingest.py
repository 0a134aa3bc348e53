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
- Content already imported (same SHA-256, any key) is not imported again.
- A sequence's raw (or final) shots are replaced whole by a newer file of the
  same kind; the older file becomes ``superseded``. "Newer" is the time S3 says
  the object was written, so a late or out-of-order message cannot bring back
  an older version.
- A preplot file redefines the lines it contains and keeps each point's
  ``ntba``, remarks and meta; other lines are left as they are.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, Any

from chalicelib import aws, db
from chalicelib.db import Connection
from chalicelib.db import files as db_files
from chalicelib.db import preplots as db_preplots
from chalicelib.db import projects as db_projects
from chalicelib.db import sequences as db_sequences
from chalicelib.observability import logger

KINDS = ("preplot", "raw", "final")
CHUNK_RECORDS = 20_000
HEAD_BYTES = 65_536
SPOOL_MEMORY = 8 * 1024 * 1024


class RejectError(Exception):
    """The file cannot be imported; the message says why (and where)."""


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str | None = None
    records: int | None = None
    sequence: int | None = None


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


def line_pattern(configuration: dict[str, Any]) -> tuple[re.Pattern[str], list[str]]:
    spec = (((configuration.get("online") or {}).get("line") or {}).get("pattern")) or {}
    regex, captures = spec.get("regex"), spec.get("captures") or []
    if not isinstance(regex, str) or not isinstance(captures, list):
        raise RejectError("the project configuration has no online.line.pattern to find the sequence number")
    flags = re.IGNORECASE if "i" in str(spec.get("flags", "")) else 0
    try:
        compiled = re.compile(regex, flags)
    except re.error as exc:
        raise RejectError(f"online.line.pattern.regex is not a valid regular expression: {exc}") from exc
    if "sequence" not in captures:
        raise RejectError("online.line.pattern.captures does not name a 'sequence' capture")
    return compiled, [str(c) for c in captures]


def identify_sequence(
    line_name: str | None, file_name: str, pattern: tuple[re.Pattern[str], list[str]]
) -> SequenceIdentity:
    """Sequence, line and attempt from the line name in the records, else from the file name."""
    regex, captures = pattern
    stem = PurePosixPath(file_name).stem
    for candidate in (line_name, stem):
        if not candidate:
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
        return SequenceIdentity(sequence=sequence, line=line, attempt=attempt)
    raise RejectError(
        f"neither the line name {line_name!r} nor the file name {stem!r} match the project's line pattern"
    )


# ---------------------------------------------------------------- coordinates


def complete_coordinates(
    records: list[Any], file_grid: int | None, project_grid: int | None
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Eastings, northings (project grid), longitudes and latitudes (WGS 84) of the records.

    Files give grid coordinates, geographic ones, or both; whatever is missing
    is computed with pyproj, a whole chunk at a time. Grid coordinates in another
    CRS than the project's are recomputed from the geographic ones.
    """
    from chalicelib import geodesy

    grid = project_grid or file_grid
    source_grid = file_grid or project_grid
    es = [r.easting for r in records]
    ns = [r.northing for r in records]
    lons = [r.lon for r in records]
    lats = [r.lat for r in records]
    has_ll = [lon is not None and lat is not None for lon, lat in zip(lons, lats, strict=True)]
    regrid = file_grid is not None and grid is not None and file_grid != grid
    need_ll = [i for i, ok in enumerate(has_ll) if not ok and es[i] is not None and ns[i] is not None]
    need_en = [i for i, ok in enumerate(has_ll) if ok and (es[i] is None or ns[i] is None or regrid)]
    if len(need_ll) + sum(has_ll) < len(records):
        bad = next(i for i, ok in enumerate(has_ll) if not ok and (es[i] is None or ns[i] is None))
        raise RejectError(f"line {records[bad].lineno}: no position in the record")
    if (need_ll or need_en) and grid is None:
        raise RejectError("the project configuration has no grid.epsg and the file declares no grid CRS")
    try:
        if need_ll:
            assert source_grid is not None
            if len(need_ll) == len(records):
                lons, lats = geodesy.grid_to_wgs84(source_grid, es, ns)
            else:
                tl, tb = geodesy.grid_to_wgs84(source_grid, [es[i] for i in need_ll], [ns[i] for i in need_ll])
                for i, lon, lat in zip(need_ll, tl, tb, strict=True):
                    lons[i], lats[i] = lon, lat
        if need_en:
            assert grid is not None
            te, tn = geodesy.wgs84_to_grid(grid, [lons[i] for i in need_en], [lats[i] for i in need_en])
            for i, e, n in zip(need_en, te, tn, strict=True):
                es[i], ns[i] = e, n
    except geodesy.GeodesyError as exc:
        raise RejectError(str(exc)) from exc
    return es, ns, lons, lats


def _chunks(records: Iterable[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK_RECORDS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------- the import


@dataclass
class _Counter:
    records: int = 0


def _shot_rows(
    records: Iterable[Any],
    reader: Any,
    pid: str,
    ident: SequenceIdentity,
    kind: str,
    upload_id: int,
    project_grid: int | None,
    pattern: tuple[re.Pattern[str], list[str]],
    file_name: str,
    counter: _Counter,
) -> Iterator[bytes]:
    known_names: dict[str, int] = {}
    prefix = f"{pid}\t{ident.sequence}\t{kind}\t"
    suffix = f"\t{upload_id}\n"
    for chunk in _chunks(records):
        es, ns, lons, lats = complete_coordinates(chunk, reader.header.grid_epsg, project_grid)
        lines = []
        for record, e, n, lon, lat in zip(chunk, es, ns, lons, lats, strict=True):
            seq = known_names.get(record.line_name)
            if seq is None:
                seq = identify_sequence(record.line_name, file_name, pattern).sequence
                known_names[record.line_name] = seq
            if seq != ident.sequence:
                raise RejectError(
                    f"line {record.lineno}: line {record.line_name!r} belongs to sequence {seq}, "
                    f"not {ident.sequence}: one file, one sequence"
                )
            lines.append(
                f"{prefix}{record.line}\t{record.point}\t{record.objref}\t{record.tstamp.isoformat()}\t"
                f"{e:.3f}\t{n:.3f}\t{lon:.9f}\t{lat:.9f}{suffix}"
            )
        counter.records += len(lines)
        yield "".join(lines).encode()


def _preplot_rows(reader: Any, project_grid: int | None, counter: _Counter, lines_seen: set[int]) -> Iterator[bytes]:
    template = "%d\t%d\t%.3f\t%.3f\t%.9f\t%.9f\n"
    for chunk in _chunks(reader):
        es, ns, lons, lats = complete_coordinates(chunk, reader.header.grid_epsg, project_grid)
        lines = [r.line for r in chunk]
        lines_seen.update(lines)
        out = [template % row for row in zip(lines, [r.point for r in chunk], es, ns, lons, lats, strict=True)]
        counter.records += len(out)
        yield "".join(out).encode()


def _project_grid(configuration: dict[str, Any]) -> int | None:
    epsg = (configuration.get("grid") or {}).get("epsg")
    try:
        return int(epsg) if epsg is not None else None
    except (TypeError, ValueError) as exc:
        raise RejectError(f"the project configuration grid.epsg {epsg!r} is not an EPSG code") from exc


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
) -> Outcome:
    from chalicelib import parsers

    pattern = line_pattern(configuration)
    reader = parsers.shot_reader(fmt, parsers.decode_lines(spool), year=_p190_year(configuration))
    records = iter(reader)
    first = next(records, None)
    if first is None:
        raise RejectError("the file holds no shot records")
    ident = identify_sequence(first.line_name, file_name, pattern)
    current = db_sequences.lock_sequence(
        conn,
        pid,
        ident.sequence,
        ident.line if ident.line is not None else first.line,
        ident.attempt,
        first.line_name,
    )
    current_id = current[f"{kind}_upload_id"]
    current_created = current[f"{kind}_created_on"]
    if current_id is not None and current_created and upload["created_on"] and current_created > upload["created_on"]:
        return Outcome(
            "superseded",
            f"a newer {kind} file of sequence {ident.sequence} is already imported",
            sequence=ident.sequence,
        )
    counter = _Counter()
    rows = _shot_rows(
        _prepend(first, records),
        reader,
        pid,
        ident,
        kind,
        upload["id"],
        _project_grid(configuration),
        pattern,
        file_name,
        counter,
    )
    touched = db_sequences.replace_shots(conn, pid, ident.sequence, kind, rows)
    db_sequences.set_upload(conn, pid, ident.sequence, kind, upload["id"])
    if current_id is not None and current_id != upload["id"]:
        db_files.supersede_upload(conn, current_id, f"replaced by {upload['key']}")
    db_sequences.refresh_sequence_stats(conn, pid, [ident.sequence])
    if touched:
        db_preplots.refresh_line_stats(conn, pid, touched)
    from chalicelib.services import events

    events.sync_sequence_events(conn, pid, ident.sequence)
    from chalicelib.services.planner import plan as planner

    planner.sequence_acquired(conn, pid, ident.sequence)
    return Outcome("imported", None, counter.records, ident.sequence)


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def import_preplot(conn: Connection, spool: IO[bytes], fmt: str, pid: str, configuration: dict[str, Any]) -> Outcome:
    from chalicelib import parsers

    reader = parsers.preplot_reader(fmt, parsers.decode_lines(spool))
    counter = _Counter()
    lines_seen: set[int] = set()
    db_preplots.copy_staging(conn, _preplot_rows(reader, _project_grid(configuration), counter, lines_seen))
    if counter.records == 0:
        raise RejectError("the file holds no preplot points")
    duplicate = db_preplots.staging_duplicate(conn)
    if duplicate:
        raise RejectError(f"point {duplicate[1]} of line {duplicate[0]} is given twice")
    db_preplots.merge_staging(conn, pid)
    db_preplots.refresh_line_stats(conn, pid, sorted(lines_seen))
    db_sequences.refresh_sequence_stats(conn, pid, None)
    return Outcome("imported", None, counter.records, None)


def _download(bucket: str, key: str, etag: str) -> tuple[IO[bytes], str, int]:
    """The object's bytes spooled to memory/disk, with their SHA-256 and size."""
    quoted = etag if etag.startswith('"') else f'"{etag}"'
    response = aws.s3().get_object(Bucket=bucket, Key=key, IfMatch=quoted)
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)
    digest = hashlib.sha256()
    size = 0
    for chunk in response["Body"].iter_chunks(1024 * 1024):
        digest.update(chunk)
        spool.write(chunk)
        size += len(chunk)
    spool.seek(0)
    return spool, digest.hexdigest(), size


def ingest_object(bucket: str, key: str, etag: str, size: int | None, created_on: datetime | None) -> Outcome:
    """Import one uploaded object (see the module docstring for the guarantees); then ask for QC."""
    outcome = _ingest_object(bucket, key, etag, size, created_on)
    if outcome.status == "imported" and outcome.sequence is not None and outcome.message is None:
        from chalicelib.services import qc

        qc.enqueue(key.split("/", 1)[0], [outcome.sequence], "import")  # after the commit: the worker sees the data
    return outcome


def _ingest_object(bucket: str, key: str, etag: str, size: int | None, created_on: datetime | None) -> Outcome:
    from botocore.exceptions import ClientError

    from chalicelib import parsers

    log = logger()
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
        try:
            spool, sha256, actual_size = _download(bucket, key, etag)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "NoSuchKey", "404", "412"):
                message = "the object was replaced or removed before it could be read"
                db_files.finish_upload(conn, upload["id"], status="superseded", message=message, kind=kind)
                return Outcome("superseded", message)
            raise
        with spool:
            db_files.lock_content(conn, pid, sha256)
            known = db_files.find_imported_content(conn, pid, sha256)
            if known is not None:
                message = f"same content as {known['key']}; nothing new to import"
                db_files.finish_upload(
                    conn,
                    upload["id"],
                    status="imported",
                    message=message,
                    kind=kind,
                    format=known["format"],
                    sha256=sha256,
                    size=actual_size,
                    records=known["records"],
                    sequence=known["sequence"],
                )
                return Outcome("imported", message, known["records"], known["sequence"])
            fmt = None
            try:
                with conn.transaction():  # savepoint: a rejected file leaves nothing of itself
                    fmt = parsers.detect_format(spool.read(HEAD_BYTES))
                    spool.seek(0)
                    configuration = project["configuration"]
                    if kind == "preplot":
                        outcome = import_preplot(conn, spool, fmt, pid, configuration)
                    else:
                        outcome = import_shots(conn, spool, fmt, pid, kind, file_name, upload, configuration)
            except (parsers.ParseError, RejectError, ValueError) as exc:
                outcome = Outcome("rejected", str(exc))
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
            log.info("file handled", extra={"key": key, "status": outcome.status, "records": outcome.records})
            return outcome
