"""SEG SPS reader (revision 2.1 and revision 1): source points, receivers and relations.

A marine preplot in SPS lists every source point as an ``S`` record with grid
easting and northing; ``R`` records are receiver points (ocean-bottom nodes), kept
in ``receivers``; ``X`` relation records tie shots to receiver spreads: they are
checked and counted (``relations``), not positions. Header (``H``) records are kept
as text. SPS has no latitude/longitude, so ``lon``/``lat`` are always ``None``: the
caller converts the grid coordinates with the project's CRS.

The two revisions share the record ids but not the columns (see the format notes):

* rev 2.1: line and point are ``F10.2`` in columns 2-11 and 12-21, columns 22-23
  blank, point index in column 24; easting ``F9.1`` 47-55, northing ``F10.1`` 56-65.
* rev 1: line name ``A16`` in columns 2-17, point ``A8`` in 18-25, index in 26;
  easting and northing in the same columns as rev 2.1.

Without a version header the columns of the first data record decide (rev 2.1 is
recognised with or without decimal points); a record neither layout reads is
rejected naming the columns tried. Rev 2.1 allows fractional line and point
numbers: ``line``/``point`` are the rounded integers Dougal keys points by and the
value as written is kept in ``exact_line``/``exact_point``. The point index tells
re-shot or alternative points at the same line/point apart, so those are separate
points; two points of one line and index that round to the same integer are
rejected, naming both lines of the file. Real files are often shorter than 80
columns and may hold CRLF or tabs; a tab is read as one blank column.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from chalicelib.parsers.p190 import grid_unit
from chalicelib.parsers.records import (
    FileHeader,
    ParseError,
    PointColumns,
    PreplotRecord,
    ReceiverRecord,
    in_columns,
)

__all__ = ["PreplotReader", "read_preplot", "read_preplot_binary"]

SPS21 = "sps21"
SPS1 = "sps1"
_NEED = 65  # through the northing
_EPSG = re.compile(r"EPSG\s*(?:code|CRS)?\s*[:#=]?\s*(\d{4,5})", re.IGNORECASE)
_GEOGRAPHIC_EXTRA = frozenset({9057, 9755, 10606, 9053, 9054, 9055, 9056})
_INDEXES = {" ": 1, **{str(i): i for i in range(10)}}  # point index column: blank is 1
_INT64 = (-(2**63), 2**63 - 1)
_COLUMNS = {SPS21: ("2-11", "12-21", "24"), SPS1: ("2-17", "18-25", "26")}


def _round(value: float) -> int:
    """Round half up (``2576.5`` → 2577), as a navigator reads a point number."""
    return math.floor(value + 0.5)


def _number(text: str, what: str, columns: str, lineno: int) -> float:
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        raise ParseError(lineno, f"bad {what} {value!r} in columns {columns}") from None
    if not math.isfinite(number):
        raise ParseError(lineno, f"bad {what} {value!r} in columns {columns}")
    return number


def _coordinate(text: str, what: str, columns: str, lineno: int) -> float:
    return _number(text, what, columns, lineno)


def _revision_from_header(line: str) -> str | None:
    """SPS revision from an ``H00``/``H000`` version record, if the record says."""
    code = line[:4].upper()
    if not code.startswith("H00"):
        return None
    text = line.upper()
    squeezed = text.replace(" ", "")
    if "2.1" in text or "V2" in squeezed or "SPS2" in squeezed:
        return SPS21
    if code == "H000" or "SPS001" in squeezed or "SPS1" in squeezed:
        return SPS1
    return SPS21 if code == "H00 " else None


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _fits(line: str, revision: str) -> bool:
    """Whether a point record reads under a revision's columns."""
    if revision == SPS21:
        return (
            _is_number(line[1:11])
            and _is_number(line[11:21])
            and not line[21:23].strip()
            and (line[23:24] in (" ", "") or line[23].isdigit())
        )
    return bool(line[1:17].strip()) and _is_number(line[17:25]) and (line[25:26] in (" ", "") or line[25].isdigit())


def revision_from_data(line: str, lineno: int) -> str:
    """Rev 2.1 (line/point in 2-11, 12-21, 22-23 blank) or rev 1 (line 2-17, point 18-25), by the columns."""
    if len(line) >= 21 and line[8] == "." and line[18] == ".":
        return SPS21
    if _fits(line, SPS21):
        return SPS21
    if _fits(line, SPS1):
        return SPS1
    raise ParseError(
        lineno,
        "cannot tell the SPS revision: neither rev 2.1 columns (line 2-11, point 12-21, blank 22-23, index 24)"
        " nor rev 1 columns (line 2-17, point 18-25, index 26) read this record; add an H00 version record",
    )


def _slow(line: str, revision: str, lineno: int) -> tuple[float, float, int, float, float]:
    """Re-read a record the fast path rejected, to name the field that is wrong."""
    line_cols, point_cols, index_col = _COLUMNS[revision]
    if revision == SPS21:
        if line[21:23].strip():
            raise ParseError(lineno, f"columns 22-23 should be blank, found {line[21:23]!r}: wrong column widths?")
        line_value = _number(line[1:11], "line", line_cols, lineno)
        point_value = _number(line[11:21], "point", point_cols, lineno)
        index_text = line[23:24]
    else:
        line_value = _number(line[1:17], "line", line_cols, lineno)
        point_value = _number(line[17:25], "point", point_cols, lineno)
        index_text = line[25:26]
    if index_text.strip() and not index_text.isdigit():
        raise ParseError(lineno, f"bad point index {index_text!r} in column {index_col}")
    index = int(index_text) if index_text.strip() else 1
    easting = _coordinate(line[46:55], "easting", "47-55", lineno)
    northing = _coordinate(line[55:65], "northing", "56-65", lineno)
    return line_value, point_value, index, easting, northing


def _relation(line: str, revision: str, lineno: int) -> None:
    """Check an ``X`` record's numeric fields (the columns of its revision)."""
    fields: tuple[tuple[int, int, str, str], ...]
    if revision == SPS21:
        fields = (
            (7, 15, "field record number", "8-15"),
            (17, 27, "source line", "18-27"),
            (27, 37, "source point", "28-37"),
            (38, 43, "from channel", "39-43"),
            (43, 48, "to channel", "44-48"),
            (49, 59, "receiver line", "50-59"),
            (59, 69, "from receiver", "60-69"),
            (69, 79, "to receiver", "70-79"),
        )
        need = 37
    else:
        fields = (
            (7, 11, "field record number", "8-11"),
            (29, 37, "source point", "30-37"),
            (38, 42, "from channel", "39-42"),
            (42, 46, "to channel", "43-46"),
            (63, 71, "from receiver", "64-71"),
            (71, 79, "to receiver", "72-79"),
        )
        need = 37
    if len(line) < need:
        raise ParseError(lineno, f"relation record too short ({len(line)} columns, need {need})")
    for start, end, what, columns in fields:
        text = line[start:end]
        if text.strip():
            _number(text, what, columns, lineno)


class PreplotReader:
    """Iterate the S records of an SPS file as PreplotRecords (grid coordinates only).

    ``rev`` ('2.1' or '1') forces a revision; by default the ``H00``/``H000`` version
    record decides and, without one, the columns of the first data record do.
    ``receivers`` (R records) and ``relations`` (the number of X records) fill
    during the iteration.

    Made with ``read_preplot_binary`` from the file's bytes, ``columns()`` reads the
    runs of regular S records (printable ASCII, plain decimal numbers, 65 columns or more)
    as whole arrays and every other line as the line-by-line reader does, with the
    same state (revision, header, repeated points), so both give the same points,
    headers and errors.
    """

    def __init__(self, lines: Iterable[str], *, rev: str | None = None) -> None:
        if rev not in (None, "2.1", "1"):
            raise ValueError(f"unknown SPS revision {rev!r}; use '2.1' or '1'")
        self._lines = lines
        self._raw: IO[bytes] | None = None
        self._forced = {None: None, "2.1": SPS21, "1": SPS1}[rev]
        self.header = FileHeader(format=self._forced or SPS21)
        self.receivers: list[ReceiverRecord] = []
        """``R`` records: receiver points (nodes), line/point rounded, node ``line/point`` as written."""
        self.relations = 0
        """Number of ``X`` relation records read (each checked, none stored)."""

    def __iter__(self) -> Iterator[PreplotRecord]:
        if self._raw is not None:
            for columns in self.columns():
                yield from columns.records()
            return
        reading = ReadingState(self)
        for lineno, raw in enumerate(self._lines, 1):
            record = reading.line(lineno, raw)
            if record is not None:
                yield record
        reading.finish()

    def columns(self, size: int = 65_536) -> Iterator[PointColumns]:
        """The points in batches of about ``size``, as columns (see the class)."""
        if self._raw is None:
            yield from in_columns(self, size)
            return
        from chalicelib.parsers import sps_columns

        yield from sps_columns.read(ReadingState(self), self._raw, size)

    @staticmethod
    def _header_record(header: FileHeader, line: str) -> None:
        """Keep header data as text; pick up the version, the grid unit and any EPSG code."""
        code = line[:4].rstrip()
        data = line[32:].strip().rstrip(";").strip()
        header.records.setdefault(code, data)
        upper = code.upper()
        if upper.startswith("H00") and header.version is None:
            header.version = data or None
        if upper in ("H20", "H200") and header.grid_unit is None:
            unit = grid_unit(data)
            if unit is not None:
                header.grid_unit, header.grid_unit_metres = unit
        if upper == "H201":
            match = re.search(r"\d+(?:\.\d+)?", data)
            if match and float(match.group()) > 0:
                factor = float(match.group())
                header.grid_unit_metres = factor
                if abs(factor - 1200 / 3937) < 5e-7:
                    header.grid_unit, header.grid_unit_metres = "US survey foot", 1200 / 3937
                elif abs(factor - 0.3048) < 1e-9:
                    header.grid_unit = "foot"
                elif factor == 1.0:
                    header.grid_unit = "metre"
                elif header.grid_unit is None:
                    header.grid_unit = f"{factor} m"
        for match in _EPSG.finditer(line[4:]):
            epsg = int(match.group(1))
            # EPSG numbers geographic 2D/3D CRSs 4000-4999 (and WGS 84 realisations); projected CRSs elsewhere.
            if 4000 <= epsg <= 4999 or epsg in _GEOGRAPHIC_EXTRA:
                header.geographic_epsg = header.geographic_epsg or epsg
            else:
                header.grid_epsg = header.grid_epsg or epsg


class ReadingState:
    """The state of one pass over a file: revision, header, receivers and the points of the current line."""

    def __init__(self, reader: PreplotReader) -> None:
        self.reader = reader
        reader.header = self.header = FileHeader(format=reader._forced or SPS21)
        self.receivers: list[ReceiverRecord] = []
        reader.receivers = self.receivers
        reader.relations = 0
        self.revision = reader._forced
        self.seen: set[int] = set()
        self.last_line: int | None = None
        # (rounded point x 10 + index) → file line, for the line being read; runs read as columns add
        # (keys, file lines) arrays instead.
        self.taken: dict[int, int] = {}
        self.taken_runs: list[tuple[Any, Any]] = []
        # The points of the lines read before, kept compact (keys, file lines) per line: a line whose
        # records come back after another line's ("split") is checked for repeats once, at the end.
        self.stretches: dict[int, list[tuple[Any, Any]]] = {}
        self.split: set[int] = set()
        self.fractional: dict[int, float] = {}
        """File line → point number as written, for the records read one at a time whose point is not a
        whole number; runs read as columns add (file lines, points) arrays to ``fractional_runs``."""
        self.fractional_runs: list[tuple[Any, Any]] = []

    def line(self, lineno: int, raw: str) -> PreplotRecord | None:
        """The point a file line gives, or None (a header, receiver or relation record, a blank line)."""
        line = raw.rstrip("\r\n")
        if lineno == 1 and line.startswith("\ufeff"):
            line = line[1:]
        if "\t" in line:
            line = line.replace("\t", " ")
        if not line.strip():
            return None
        header = self.header
        rid = line[0].upper()
        if rid == "H":
            PreplotReader._header_record(header, line)
            if self.revision is None:
                self.revision = _revision_from_header(line)
                if self.revision is not None:
                    header.format = self.revision
            return None
        if rid not in "SRX" or rid == "":
            if rid == "\x1a":
                return None
            raise ParseError(lineno, f"unknown record id {line[0]!r}")
        revision = self.revision
        if revision is None:
            if rid == "X":
                revision = SPS21 if len(line) >= 37 and line[24] == "." and line[34] == "." else SPS1
            else:
                revision = revision_from_data(line, lineno)
            self.revision = header.format = revision
        if rid == "X":
            _relation(line, revision, lineno)
            self.reader.relations += 1
            return None

        if len(line) < _NEED:
            raise ParseError(lineno, f"record too short ({len(line)} columns, need {_NEED})")
        try:
            # Fast path: all four numbers parse and the index is blank or a digit.
            if revision == SPS21:
                if line[21] != " " or line[22] != " ":
                    raise ValueError
                line_value, point_value = float(line[1:11]), float(line[11:21])
                index_text = line[23]
            else:
                line_value, point_value = float(line[1:17]), float(line[17:25])
                index_text = line[25]
            easting, northing = float(line[46:55]), float(line[55:65])
            index = _INDEXES[index_text]
            if line_value.is_integer() and point_value.is_integer():
                line_no, point = int(line_value), int(point_value)
                exact_line = exact_point = None
            else:
                raise ValueError
        except (ValueError, KeyError, OverflowError):
            line_value, point_value, index, easting, northing = _slow(line, revision, lineno)
            line_no, point = _round(line_value), _round(point_value)
            exact_line = line_value if line_value != line_no else None
            exact_point = point_value if point_value != point else None

        if rid == "R":
            node = (
                f"{line[1:11].strip()}/{line[11:21].strip()}"
                if revision == SPS21
                else f"{line[1:17].strip()}/{line[17:25].strip()}"
            )
            if index != 1:
                node += f"#{index}"
            self.receivers.append(
                ReceiverRecord(lineno, line_no, point, node, None, None, easting, northing, None, None, None)
            )
            return None
        self.claim(line_no, point, index, lineno, point_value)
        return PreplotRecord(lineno, line_no, point, easting, northing, None, None, index, exact_line, exact_point)

    def enter_line(self, line_no: int) -> None:
        """A record of ``line_no`` follows one of another line (or none)."""
        if line_no != self.last_line:
            self._retire()
            self.last_line = line_no
            if line_no not in self.seen:
                self.seen.add(line_no)
                self.header.line_names.append(str(line_no))
            else:
                self.split.add(line_no)

    def _retire(self) -> None:
        """Keep the points of the line just read (compact) for the check of split lines at the end."""
        if self.last_line is None:
            return
        kept = self.stretches.setdefault(self.last_line, [])
        kept.extend(self.taken_runs)
        if self.taken:
            taken = self.taken
            if not all(_INT64[0] <= key <= _INT64[1] for key in (min(taken), max(taken))):
                taken = {k: v for k, v in taken.items() if _INT64[0] <= k <= _INT64[1]}  # refused later (32 bits)
            kept.append((array("q", taken), array("q", taken.values())))
        self.taken = {}
        self.taken_runs = []

    def finish(self) -> None:
        """After the last record: a point of a split line given again in another of its stretches is an
        error naming both file lines, as a repeat within a stretch is (the first such repeat in the file)."""
        self._retire()
        self.last_line = None
        if not self.split:
            return
        import numpy as np

        found: tuple[int, int, int, int] | None = None  # (second file line, first file line, line, key)
        for line_no in sorted(self.split):
            parts = self.stretches[line_no]
            keys = np.concatenate([np.asarray(k, dtype=np.int64) for k, _ in parts])
            linenos = np.concatenate([np.asarray(n, dtype=np.int64) for _, n in parts])
            order = np.lexsort((linenos, keys))
            keys, linenos = keys[order], linenos[order]
            again = np.flatnonzero(keys[1:] == keys[:-1]) + 1
            if not len(again):
                continue
            at = int(again[np.argmin(linenos[again])])
            first = int(linenos[int(np.searchsorted(keys, keys[at]))])
            if found is None or int(linenos[at]) < found[0]:
                found = (int(linenos[at]), first, line_no, int(keys[at]))
        if found is not None:
            second, first, line_no, key = found
            point, index = key // 10, key % 10
            raise _given_twice(point, line_no, index, first, second, self.written)

    def written(self, lineno: int) -> float | None:
        """The point number file line ``lineno`` writes, when it is not a whole number (else None)."""
        if lineno in self.fractional:
            return self.fractional[lineno]
        for linenos, values in self.fractional_runs:
            hits = (linenos == lineno).nonzero()[0]
            if len(hits):
                return float(values[hits[0]])
        return None

    def claim(self, line_no: int, point: int, index: int, lineno: int, point_value: float) -> None:
        """Note a point of the line being read; a point it already gave (rounded) is an error."""
        self.enter_line(line_no)
        key = point * 10 + index
        if point_value != point:
            self.fractional[lineno] = point_value
        other = self.taken.setdefault(key, lineno)
        for keys, linenos in self.taken_runs:
            hits = (keys == key).nonzero()[0]
            if len(hits):
                other = min(other, int(linenos[hits[0]]))
        if other != lineno:
            raise _given_twice(point, line_no, index, other, lineno, self.written)


def _given_twice(
    point: int, line_no: int, index: int, first: int, second: int, written: Callable[[int], float | None]
) -> ParseError:
    """Two records of one line and index with the same point, or with points that round to the same one
    (the point numbers as written shown where they are not whole)."""
    values = [written(first), written(second)]
    named = [
        f"file line {n}" + (f" ({v:g})" if v is not None else "") for n, v in zip((first, second), values, strict=True)
    ]
    how = "round to the same point" if any(v is not None for v in values) else "give the same point"
    return ParseError(
        second, f"point {point} of line {line_no} (index {index}) is given twice: {named[0]} and {named[1]} {how}"
    )


def read_preplot(lines: Iterable[str], *, rev: str | None = None) -> PreplotReader:
    """Source preplot points of an SPS file, streamed from ``lines`` (see PreplotReader)."""
    return PreplotReader(lines, rev=rev)


def read_preplot_binary(raw: IO[bytes], *, rev: str | None = None) -> PreplotReader:
    """Source preplot points of an SPS file read from its bytes: ``columns()`` reads regular runs whole."""
    reader = PreplotReader((), rev=rev)
    reader._raw = raw
    return reader
