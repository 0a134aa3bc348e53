"""UKOOA P1/90 reader: shots from S records, preplot points from V (or S) records.

P1/90 is fixed width: every field is read from its columns (1-based, inclusive, as in
the format notes), never by splitting on blanks, because easting and northing run
together when the northing has seven integer digits (``470246.16560527.5``).

Two things the format leaves out have to come from elsewhere:

* the year: data records carry only day of year and ``HHMMSS``. The year is the
  first 4-digit number ≥ 1900 in the ``H0200`` (survey date) data columns, else the
  ``year`` argument (the project configuration), else the file is rejected. Day of
  year dropping from 365/366 to 1 moves to the next year; ``240000`` is midnight
  at the end of the day.
* a line number: only a line name (columns 2-13) is given. ``line_number`` maps the
  name to Dougal's preplot line; the default accepts a plain number (``5210``) and
  Dougal's online naming ``(10|20)LLLLASSS`` with or without the ``S00000`` tail that
  12 columns cannot hold. Pass the project's own rule for anything else.

Lowercase record ids, stray carriage returns and columns past 80 are tolerated; a
record too short for the fields in use is rejected with its line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from math import gcd

from chalicelib.parsers.records import FileHeader, ParseError, PreplotRecord, ShotRecord

__all__ = ["PreplotReader", "ShotReader", "default_line_number", "read_preplot", "read_shots"]

LineNumber = Callable[[str], int]

_POSITION_IDS = frozenset("SGQATCVEZR")
_SHOT_COLUMNS = 79  # through the time field (74-79)
_GRID_COLUMNS = 64  # through the northing (56-64)
_GEOGRAPHIC_COLUMNS = 46  # through the longitude hemisphere
_POINT_COLUMNS = 25
_ONLINE_NAME = re.compile(r"(10|20)(\d{4})(\d)(\d{3})(S\d{0,5})?")
_YEAR = re.compile(r"\d+")
_UTM = re.compile(r"(\d{1,2})\s*([NS])?", re.IGNORECASE)


def default_line_number(name: str) -> int:
    """Preplot line number from a P1/90 line name (rule in the module docstring).

    A short all-digit name is the line itself; a name in Dougal's online form gives
    its 4-digit line capture; any other all-digit name is taken whole.
    """
    if name.isdigit() and len(name) <= 6:
        return int(name)
    match = _ONLINE_NAME.fullmatch(name)
    if match:
        return int(match.group(2))
    if name.isdigit():
        return int(name)
    raise ValueError(f"no line number in line name {name!r}; configure how line names map to lines")


def _dms(text: str, hemispheres: str, degree_digits: int, what: str, limit: int, lineno: int) -> float | None:
    """``DDMMSS.ssH`` / ``DDDMMSS.ssH`` → signed decimal degrees; blank → None."""
    if not text.strip():
        return None
    hemisphere = text[-1].upper()
    if hemisphere not in hemispheres:
        raise ParseError(lineno, f"bad hemisphere {text[-1]!r} in {what}")
    try:
        degrees = int(text[:degree_digits])
        minutes = int(text[degree_digits : degree_digits + 2])
        seconds = float(text[degree_digits + 2 : -1])
    except ValueError:
        raise ParseError(lineno, f"bad {what} {text!r}") from None
    if degrees > limit or minutes >= 60 or not 0 <= seconds < 60:
        raise ParseError(lineno, f"bad {what} {text!r}: out of range")
    value = degrees + minutes / 60 + seconds / 3600
    if value > limit:
        raise ParseError(lineno, f"bad {what} {text!r}: out of range")
    return -value if hemisphere in "SW" else value


def _grid(text: str, what: str, lineno: int) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise ParseError(lineno, f"bad {what} {text.strip()!r}") from None


class _Position:
    """Columns 1-64 of a type-1 data record, validated."""

    __slots__ = ("easting", "lat", "line_name", "lon", "northing", "point")

    def __init__(self, line: str, lineno: int) -> None:
        if len(line) < _POINT_COLUMNS:
            raise ParseError(lineno, f"record too short ({len(line)} columns, need {_POINT_COLUMNS})")
        self.line_name = line[1:13].strip()
        text = line[19:25]
        try:
            self.point = int(text)
        except ValueError:
            raise ParseError(lineno, f"bad point number {text.strip()!r} in columns 20-25") from None
        self.lat = self.lon = self.easting = self.northing = None
        if line[25:46].strip():
            if len(line) < _GEOGRAPHIC_COLUMNS:
                raise ParseError(lineno, f"record too short ({len(line)} columns, need {_GEOGRAPHIC_COLUMNS})")
            self.lat = _dms(line[25:35], "NS", 2, "latitude", 90, lineno)
            self.lon = _dms(line[35:46], "EW", 3, "longitude", 180, lineno)
        if line[46:64].strip():
            if len(line) < _GRID_COLUMNS:
                raise ParseError(lineno, f"record too short ({len(line)} columns, need {_GRID_COLUMNS})")
            self.easting = _grid(line[46:55], "easting", lineno)
            self.northing = _grid(line[55:64], "northing", lineno)
        if self.lat is None and self.easting is None:
            raise ParseError(lineno, "record has neither latitude/longitude nor easting/northing")


def _clean(raw: str, lineno: int) -> str:
    line = raw.rstrip("\r\n")
    if lineno == 1 and line.startswith("\ufeff"):
        line = line[1:]
    return line[:80].rstrip("\r")


def _header_record(header: FileHeader, line: str) -> None:
    """Keep the data columns of a header record; derive the year and the CRS.

    The first record of a type wins, except free-text ``H2600`` records, whose text
    (columns 6-80: they have no description) is joined line by line.
    """
    key = "H" + line[1:5]
    records = header.records
    if key == "H2600":
        text = line[5:80].strip()
        records[key] = records[key] + "\n" + text if key in records else text
        return
    if key in records:
        return
    code = key[1:]
    data = records[key] = line[32:80].strip()
    if code == "0200" and header.year is None:
        for token in _YEAR.findall(data):
            if len(token) == 4 and int(token) >= 1900:
                header.year = int(token)
                break
    _describe_crs(header)


def _describe_crs(header: FileHeader) -> None:
    """EPSG codes for the common WGS 84 / UTM case, from H1500, H1800 and H1900.

    P1/90 names its datum and projection in words, not codes; only the case that
    can be named without guessing is translated. Anything else leaves the codes
    ``None`` for the project configuration to supply.
    """
    records = header.records
    datum = records.get("H1500", "") or records.get("H1400", "")
    if "WGS" not in datum.upper().replace(" ", "") or "84" not in datum:
        return
    header.geographic_epsg = 4326
    projection = records.get("H1800", "").upper()
    zone_text = records.get("H1900", "")
    if ("UTM" in projection or "UNIVERSAL TRANSVERSE" in projection) and zone_text:
        match = _UTM.search(zone_text)
        if match and 1 <= int(match.group(1)) <= 60:
            south = (match.group(2) or "N").upper() == "S"
            header.grid_epsg = (32700 if south else 32600) + int(match.group(1))


class ShotReader:
    """Iterate the S records of a P1/90 file as ShotRecords (one per source).

    ``objref`` is the source id in column 18. Other record types (V, G, Q, A, T, C,
    E, Z, R) are not shots and are skipped. Times have one-second resolution.
    """

    def __init__(
        self,
        lines: Iterable[str],
        *,
        year: int | None = None,
        line_number: LineNumber | None = None,
    ) -> None:
        self._lines = lines
        self._year = year
        self._line_number = line_number or default_line_number
        self.header = FileHeader(format="p190")

    def __iter__(self) -> Iterator[ShotRecord]:
        header = self.header = FileHeader(format="p190")
        line_numbers: dict[str, int] = {}
        days: dict[tuple[int, int], datetime] = {}
        year: int | None = None
        previous_doy = 0

        for lineno, raw in enumerate(self._lines, 1):
            line = _clean(raw, lineno)
            if not line.strip():
                continue
            rid = line[0].upper()
            if rid == "H":
                _header_record(header, line)
                continue
            if rid != "S":
                if rid in _POSITION_IDS or rid == "\x1a":
                    continue
                raise ParseError(lineno, f"unknown record id {line[0]!r}")

            if year is None:
                year = header.year if header.year is not None else self._year
                if year is None:
                    raise ParseError(
                        lineno,
                        "no year for the records: no H0200 survey date in the file and no year configured",
                    )
                header.year = year
            if len(line) < _SHOT_COLUMNS:
                raise ParseError(lineno, f"record too short ({len(line)} columns, need {_SHOT_COLUMNS})")
            source = line[17]
            if not source.isdigit():
                raise ParseError(lineno, f"bad source id {source!r} in column 18")
            position = _Position(line, lineno)

            name = position.line_name
            line_no = line_numbers.get(name)
            if line_no is None:
                try:
                    line_no = self._line_number(name)
                except ValueError as exc:
                    raise ParseError(lineno, str(exc)) from None
                line_numbers[name] = line_no
                header.line_names.append(name)

            doy_text, time_text = line[70:73], line[73:79]
            try:
                doy = int(doy_text)
                hours, minutes, seconds = int(time_text[0:2]), int(time_text[2:4]), int(time_text[4:6])
            except ValueError:
                raise ParseError(lineno, f"bad day/time {doy_text + time_text!r} in columns 71-79") from None
            if doy < previous_doy - 180:
                year += 1  # 31 December → 1 January
            previous_doy = doy
            midnight = hours == 24 and minutes == 0 and seconds == 0
            if not 1 <= doy <= 366 or (not midnight and (hours > 23 or minutes > 59 or seconds > 59)):
                raise ParseError(lineno, f"bad day/time {doy_text + time_text!r} in columns 71-79")
            day = days.get((year, doy))
            if day is None:
                day = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=doy - 1)
                if day.year != year:
                    raise ParseError(lineno, f"day {doy} does not exist in {year}")
                days[(year, doy)] = day
            yield ShotRecord(
                lineno,
                name,
                line_no,
                position.point,
                int(source),
                day + timedelta(seconds=hours * 3600 + minutes * 60 + seconds),
                position.easting,
                position.northing,
                position.lon,
                position.lat,
            )


def read_shots(lines: Iterable[str], *, year: int | None = None, line_number: LineNumber | None = None) -> ShotReader:
    """Shots of a P1/90 file, streamed from ``lines`` (see ShotReader)."""
    return ShotReader(lines, year=year, line_number=line_number)


class PreplotReader:
    """Iterate every preplot point of a P1/90 file.

    The first position record type met (V, else S) holds the preplot; others are
    ignored so a file with both vessel and source lines does not double up. Records
    are grouped by consecutive line name and one line at a time is buffered, so
    memory follows the longest line, not the file.

    Within a line the point step is the greatest common divisor of the gaps between
    the given points. A line given by its two end points (the usual SeaPro preplot)
    or by vertices with unevenly spaced point numbers is filled in at step 1; a line
    given every second point keeps step 2 and gains nothing. Evenly spaced vertices
    (1000, 1020, 1040) cannot be told from a line given every 20th point and are read
    as the latter.

    Easting and northing of filled-in points are linear by point number; their
    latitude and longitude are ``None`` because linear interpolation in degrees is
    metres wrong over a few kilometres: convert the grid coordinates instead.
    """

    def __init__(self, lines: Iterable[str], *, line_number: LineNumber | None = None) -> None:
        self._lines = lines
        self._line_number = line_number or default_line_number
        self.header = FileHeader(format="p190")

    def __iter__(self) -> Iterator[PreplotRecord]:
        header = self.header = FileHeader(format="p190")
        kind: str | None = None
        current: str | None = None
        buffered: list[tuple[int, _Position]] = []
        seen: set[str] = set()

        for lineno, raw in enumerate(self._lines, 1):
            line = _clean(raw, lineno)
            if not line.strip():
                continue
            rid = line[0].upper()
            if rid == "H":
                _header_record(header, line)
                continue
            if rid not in _POSITION_IDS:
                if rid == "\x1a":
                    continue
                raise ParseError(lineno, f"unknown record id {line[0]!r}")
            if kind is None and rid in "VS":
                kind = rid
            if rid != kind:
                continue
            position = _Position(line, lineno)
            if position.line_name != current:
                yield from self._line(buffered)
                buffered = []
                current = position.line_name
                if current not in seen:
                    seen.add(current)
                    header.line_names.append(current)
            buffered.append((lineno, position))
        yield from self._line(buffered)

    def _line(self, given: list[tuple[int, _Position]]) -> Iterator[PreplotRecord]:
        if not given:
            return
        first_lineno, first = given[0]
        try:
            line = self._line_number(first.line_name)
        except ValueError as exc:
            raise ParseError(first_lineno, str(exc)) from None
        # Two points are a line's ends: fill at step 1. More points show the file's own
        # point step (their greatest common gap), which filling must keep.
        step = 0
        if len(given) > 2:
            for (_, a), (_, b) in pairwise(given):
                step = gcd(step, abs(b.point - a.point))
        step = step or 1

        previous: _Position | None = None
        for lineno, here in given:
            if previous is not None and abs(here.point - previous.point) > step:
                yield from _fill(line, previous, here, step, lineno)
            if previous is None or here.point != previous.point:
                yield PreplotRecord(lineno, line, here.point, here.easting, here.northing, here.lon, here.lat)
            previous = here


def _fill(line: int, a: _Position, b: _Position, step: int, lineno: int) -> Iterator[PreplotRecord]:
    """Points strictly between two given points of a line, every ``step``."""
    span = b.point - a.point
    signed = step if span > 0 else -step
    grid = a.easting is not None and a.northing is not None and b.easting is not None and b.northing is not None
    for point in range(a.point + signed, b.point, signed):
        if grid:
            t = (point - a.point) / span
            yield PreplotRecord(
                lineno,
                line,
                point,
                a.easting + t * (b.easting - a.easting),  # type: ignore[operator]
                a.northing + t * (b.northing - a.northing),  # type: ignore[operator]
                None,
                None,
            )
        else:
            yield PreplotRecord(lineno, line, point, None, None, None, None)


def read_preplot(lines: Iterable[str], *, line_number: LineNumber | None = None) -> PreplotReader:
    """Preplot points of a P1/90 file, streamed from ``lines`` (see PreplotReader)."""
    return PreplotReader(lines, line_number=line_number)
