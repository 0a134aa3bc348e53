"""SEG SPS reader (revision 2.1 and revision 1), preplot source points only.

A marine preplot in SPS lists every source point as an ``S`` record with grid
easting and northing; receiver (``R``) and relation (``X``) records do not belong to
a source preplot and header (``H``) records are kept as text. SPS has no
latitude/longitude, so ``lon``/``lat`` are always ``None``: the caller converts the
grid coordinates with the project's CRS.

The two revisions share the record ids but not the columns (see the format notes):

* rev 2.1: line and point are ``F10.2`` in columns 2-11 and 12-21, columns 22-23
  blank; easting ``F9.1`` 47-55, northing ``F10.1`` 56-65.
* rev 1: line name ``A16`` in columns 2-17, point ``A8`` in 18-25; easting and
  northing in the same columns as rev 2.1.

Dougal's lines and points are integers, so a fractional line or point (``2576.50``)
is rejected rather than rounded. Real files are often shorter than 80 columns and
may hold CRLF or tabs; a tab is read as one blank column (one character, one
column), which keeps right-justified fields where they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from chalicelib.parsers.records import FileHeader, ParseError, PreplotRecord

__all__ = ["PreplotReader", "read_preplot"]

SPS21 = "sps21"
SPS1 = "sps1"
_NEED = 65  # through the northing
_EPSG = re.compile(r"EPSG\s*[:#]?\s*(\d{4,5})", re.IGNORECASE)


def _integral(text: str, what: str, columns: str, lineno: int) -> int:
    value = text.strip()
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        raise ParseError(lineno, f"bad {what} {value!r} in columns {columns}") from None
    if not number.is_integer():
        raise ParseError(lineno, f"{what} {value} in columns {columns} is not a whole number")
    return int(number)


def _coordinate(text: str, what: str, columns: str, lineno: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise ParseError(lineno, f"bad {what} {text.strip()!r} in columns {columns}") from None


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


def _revision_from_data(line: str) -> str:
    """Rev 2.1 puts decimal points in columns 9 and 19; rev 1 does not."""
    if len(line) >= 21 and line[8] == "." and line[18] == ".":
        return SPS21
    return SPS1


def _slow(line: str, revision: str, lineno: int) -> tuple[int, int, float, float]:
    """Re-read a record the fast path rejected, to name the field that is wrong."""
    if revision == SPS21:
        if line[21:23].strip():
            raise ParseError(lineno, f"columns 22-23 should be blank, found {line[21:23]!r}: wrong column widths?")
        line_no = _integral(line[1:11], "line", "2-11", lineno)
        point = _integral(line[11:21], "point", "12-21", lineno)
    else:
        line_no = _integral(line[1:17], "line", "2-17", lineno)
        point = _integral(line[17:25], "point", "18-25", lineno)
    easting = _coordinate(line[46:55], "easting", "47-55", lineno)
    northing = _coordinate(line[55:65], "northing", "56-65", lineno)
    return line_no, point, easting, northing


class PreplotReader:
    """Iterate the S records of an SPS file as PreplotRecords (grid coordinates only).

    ``rev`` ('2.1' or '1') forces a revision; by default the ``H00``/``H000`` version
    record decides and, without one, the columns of the first S record do.
    """

    def __init__(self, lines: Iterable[str], *, rev: str | None = None) -> None:
        if rev not in (None, "2.1", "1"):
            raise ValueError(f"unknown SPS revision {rev!r}; use '2.1' or '1'")
        self._lines = lines
        self._forced = {None: None, "2.1": SPS21, "1": SPS1}[rev]
        self.header = FileHeader(format=self._forced or SPS21)

    def __iter__(self) -> Iterator[PreplotRecord]:
        header = self.header = FileHeader(format=self._forced or SPS21)
        revision = self._forced
        seen: set[int] = set()
        last_line: int | None = None

        for lineno, raw in enumerate(self._lines, 1):
            line = raw.rstrip("\r\n")
            if lineno == 1 and line.startswith("\ufeff"):
                line = line[1:]
            if "\t" in line:
                line = line.replace("\t", " ")
            if not line.strip():
                continue
            rid = line[0].upper()
            if rid == "H":
                self._header_record(header, line)
                if revision is None:
                    revision = _revision_from_header(line)
                    if revision is not None:
                        header.format = revision
                continue
            if rid in "RX":
                continue
            if rid != "S":
                if rid == "\x1a":
                    continue
                raise ParseError(lineno, f"unknown record id {line[0]!r}")

            if revision is None:
                revision = header.format = _revision_from_data(line)
            if len(line) < _NEED:
                raise ParseError(lineno, f"record too short ({len(line)} columns, need {_NEED})")
            try:
                # Fast path: all four numbers parse and line/point are whole.
                if revision == SPS21:
                    if line[21] != " " or line[22] != " ":
                        raise ValueError
                    line_value, point_value = float(line[1:11]), float(line[11:21])
                else:
                    line_value, point_value = float(line[1:17]), float(line[17:25])
                easting, northing = float(line[46:55]), float(line[55:65])
                if not (line_value.is_integer() and point_value.is_integer()):
                    raise ValueError
                line_no, point = int(line_value), int(point_value)
            except ValueError:
                line_no, point, easting, northing = _slow(line, revision, lineno)
            if line_no != last_line:
                last_line = line_no
                if line_no not in seen:
                    seen.add(line_no)
                    header.line_names.append(str(line_no))
            yield PreplotRecord(lineno, line_no, point, easting, northing, None, None)

    @staticmethod
    def _header_record(header: FileHeader, line: str) -> None:
        """Keep header data as text; pick up the version and any EPSG code."""
        code = line[:4].rstrip()
        data = line[32:].strip().rstrip(";").strip()
        header.records.setdefault(code, data)
        if code.upper().startswith("H00") and header.version is None:
            header.version = data or None
        for match in _EPSG.finditer(line[4:]):
            epsg = int(match.group(1))
            # EPSG numbers geographic 2D/3D CRSs 4000-4999; projected CRSs elsewhere.
            if 4000 <= epsg <= 4999:
                header.geographic_epsg = header.geographic_epsg or epsg
            else:
                header.grid_epsg = header.grid_epsg or epsg


def read_preplot(lines: Iterable[str], *, rev: str | None = None) -> PreplotReader:
    """Source preplot points of an SPS file, streamed from ``lines`` (see PreplotReader)."""
    return PreplotReader(lines, rev=rev)
