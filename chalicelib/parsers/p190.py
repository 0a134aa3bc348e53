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
* a line number: only a line name (columns 2-13) is given. ``default_line_number``
  maps the name to Dougal's preplot line: a plain number (``5210``) and Dougal's
  online naming ``(10|20)LLLLASSS`` with or without the ``S00000`` tail that 12
  columns cannot hold; any other name is a rejection naming it.

Lowercase record ids, stray carriage returns and columns past 80 are tolerated; a
record too short for the fields in use is rejected with its line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from math import gcd

from chalicelib.parsers.records import (
    INT32_MAX,
    INT32_MIN,
    FileHeader,
    ParseError,
    PointColumns,
    PointLimits,
    PreplotRecord,
    ReceiverRecord,
    ShotColumns,
    ShotRecord,
    Transformation,
    check_file_points,
    check_segment_points,
    current_point_limits,
    in_columns,
    shots_in_columns,
)

__all__ = ["PreplotReader", "ShotReader", "default_line_number", "read_preplot", "read_shots"]


_POSITION_IDS = frozenset("SGQATCVEZR")
_SHOT_COLUMNS = 79  # through the time field (74-79)
_GRID_COLUMNS = 64  # through the northing (56-64)
_GEOGRAPHIC_COLUMNS = 46  # through the longitude hemisphere
_POINT_COLUMNS = 25
_ONLINE_NAME = re.compile(r"(10|20)(\d{4})(\d)(\d{3})(S\d{0,5})?")
_YEAR = re.compile(r"\d+")
_UTM = re.compile(r"(\d{1,2})\s*([NS])?", re.IGNORECASE)
_EPSG = re.compile(r"\bEPSG\s*(?:code|CRS)?\s*[:#=]?\s*(\d{4,5})\b", re.IGNORECASE)
# Header text naming the EPSG code of something other than a CRS (OMNI lists them all in H2600).
_NOT_A_CRS = re.compile(r"DATUM|PROJECTION|ELLIPSOID|METHOD|TRANSFORMATION|MERIDIAN|UNIT", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d*)?|[-+]?\.\d+")
_RECEIVER_GROUP = 26  # columns per receiver group in an R record (I4, F9.1, F9.1, F4.1)

# Datum names as P1/90 writers spell them (squeezed: upper case, no blanks or
# punctuation) → EPSG geographic 2D CRS. Longer or more specific names first.
_DATUMS = (
    ("WGS72", 4322),
    ("WGS84", 4326),
    ("WGS1984", 4326),
    ("WORLDGEODETICSYSTEM1984", 4326),
    ("ED1950", 4230),
    ("ED50", 4230),
    ("EUROPEANDATUM1950", 4230),
    ("EUROPEAN1950", 4230),
    ("EUR50", 4230),
    ("ED87", 4231),
    ("NAD27", 4267),
    ("NORTHAMERICAN1927", 4267),
    ("NORTHAMERICANDATUM1927", 4267),
    ("NAD83", 4269),
    ("NORTHAMERICAN1983", 4269),
    ("ETRS89", 4258),
    ("ETRF89", 4258),
    ("OSGB36", 4277),
    ("GDA94", 4283),
    ("GDA2020", 7844),
    ("SAD69", 4618),
    ("PSAD56", 4248),
    ("SIRGAS2000", 4674),
    ("NZGD2000", 4167),
)
# UTM zones north (and south) on a datum → EPSG projected CRS = base + zone, for the zones EPSG defines.
_UTM_BASES: dict[int, tuple[int | None, int | None, range]] = {
    4326: (32600, 32700, range(1, 61)),
    4322: (32200, 32300, range(1, 61)),
    4230: (23000, None, range(28, 39)),
    4267: (26700, None, range(1, 23)),
    4269: (26900, None, range(1, 24)),
    4258: (25800, None, range(28, 39)),
    4674: (31950, 31960, range(17, 26)),
}
_GEOGRAPHIC_CODES = frozenset({code for _, code in _DATUMS} | {9057, 9755, 10606, 4979})


def datum_epsg(text: str) -> int | None:
    """EPSG geographic CRS for a datum as a P1/90 header names it (``ED50``, ``WGS-84``…)."""
    squeezed = re.sub(r"[^A-Z0-9]", "", text.upper())
    for name, code in _DATUMS:
        if squeezed.startswith(name):
            return code
    for name, code in _DATUMS:
        if name in squeezed:
            return code
    return None


def grid_unit(text: str) -> tuple[str, float] | None:
    """(unit, metres per unit) for a grid unit as headers write it (``METRES``, ``US SURVEY FEET``…)."""
    upper = text.upper()
    if re.search(r"\b(US|U\.S\.|SURVEY|AMERICAN|FTUS|USFT)\b", upper) and re.search(r"F(EE|OO)?T|FTUS", upper):
        return "US survey foot", 1200 / 3937
    if re.search(r"\bF(EE|OO)?T\b|\bFT\b|FEET|FOOT", upper):
        return "foot", 0.3048
    if re.search(r"MET(RE|ER)|\bM\b", upper):
        return "metre", 1.0
    return None


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


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DATE = re.compile(
    r"(\d{1,2})[\s./-]*(" + "|".join(_MONTHS) + r")[A-Z]*[\s./-]*(\d{4})"
    r"|(" + "|".join(_MONTHS) + r")[A-Z]*\.?\s+(\d{1,2}),?\s+(\d{4})"
    r"|(\d{1,2})[./-](\d{1,2})[./-](\d{4})"
    r"|(\d{4})[./-](\d{1,2})[./-](\d{1,2})",
    re.IGNORECASE,
)


def _dates(text: str) -> list[datetime]:
    """Dates written in a header's data (``15 DEC 2020``, ``Feb 1, 2026``, ``15.12.2020``, ``2020-12-15``)."""
    found = []
    for m in _DATE.finditer(text):
        try:
            if m.group(1):
                day, month, year = int(m.group(1)), _MONTHS.index(m.group(2)[:3].upper()) + 1, int(m.group(3))
            elif m.group(4):
                month, day, year = _MONTHS.index(m.group(4)[:3].upper()) + 1, int(m.group(5)), int(m.group(6))
            elif m.group(7):
                day, month, year = int(m.group(7)), int(m.group(8)), int(m.group(9))
            else:
                year, month, day = int(m.group(10)), int(m.group(11)), int(m.group(12))
            found.append(datetime(year, month, day, tzinfo=UTC))
        except ValueError:
            continue
    return found


class _HeaderState:
    """What a P1/90 header says beyond its text: survey span, sources, receivers."""

    __slots__ = ("sources", "span")

    def __init__(self) -> None:
        self.span: tuple[datetime, datetime] | None = None
        self.sources: list[str] = []  # source ids in the order the header lists them


def _header_record(header: FileHeader, line: str, state: _HeaderState | None = None) -> None:
    """Keep the data columns of a header record; derive the year, the span and the CRS.

    The first record of a type wins, except free-text ``H2600`` records, whose text
    (columns 6-80: they have no description) is joined line by line, and source
    details (``H0103``), which list one source per record in some files.
    """
    key = "H" + line[1:5]
    records = header.records
    code = key[1:]
    if key == "H2600":
        text = line[5:80].strip()
        records[key] = records[key] + "\n" + text if key in records else text
        _describe_crs(header)
        return
    if code[:2] == "01" and code[2:] == "03" and state is not None:
        data = line[32:80].upper()
        for token in re.findall(r"(?<![A-Z0-9])([A-Z0-9])(?![A-Z0-9.])", data):
            if token not in state.sources and not token.isdigit():
                state.sources.append(token)
    if key in records:
        return
    data = records[key] = line[32:80].strip()
    if code == "0200":
        dates = _dates(data)
        if dates and state is not None and len(dates) >= 2:
            state.span = (min(dates), max(dates))
        if header.year is None:
            if dates:
                header.year = dates[0].year
            else:
                for token in _YEAR.findall(data):
                    if len(token) == 4 and int(token) >= 1900:
                        header.year = int(token)
                        break
    _describe_crs(header)


def _helmert(text: str) -> tuple[float, float, float, float, float, float, float] | None:
    """Seven (or three) datum shift parameters from a H1401/H1501/H1600 record's data."""
    numbers = [float(x) for x in _NUMBER.findall(text)]
    if len(numbers) >= 7:
        dx, dy, dz, rx, ry, rz, ds = numbers[:7]
        return (dx, dy, dz, rx, ry, rz, ds)
    if len(numbers) == 3:
        return (numbers[0], numbers[1], numbers[2], 0.0, 0.0, 0.0, 0.0)
    return None


def _describe_crs(header: FileHeader) -> None:
    """EPSG codes, grid unit and datum shift from the header's words.

    P1/90 names its datum and projection in words, not codes. The lat/lon of the
    records are on the datum as plotted (``H1500``, else ``H1400``): ED50, NAD27,
    WGS 84… become their EPSG geographic CRS. A UTM projection (``H1800``) with a
    zone (``H1900``) on a datum EPSG has UTM CRSs for gives the grid CRS. When the
    words do not resolve the grid, an EPSG code written in the header
    (``H2600CRS EPSG Code 32621``, or in ``H1800``) does. The transformation to WGS
    84: ``H1501`` (plotted datum → WGS 84) as given, else ``H1600`` (surveyed →
    plotted) reversed when the surveyed datum is WGS 84; the parameters are read
    as position-vector rotations unless the record says coordinate frame.
    """
    records = header.records
    plotted = records.get("H1500", "")
    surveyed = records.get("H1400", "")
    geographic = datum_epsg(plotted) if plotted else None
    if geographic is None and surveyed:
        geographic = datum_epsg(surveyed)
    header.geographic_epsg = geographic
    grid = None
    projection = records.get("H1800", "").upper()
    zone_text = records.get("H1900", "")
    if geographic in _UTM_BASES and ("UTM" in projection or "UNIVERSAL TRANSVERSE" in projection) and zone_text:
        match = _UTM.search(zone_text)
        north, south, zones = _UTM_BASES[geographic]
        if match and int(match.group(1)) in zones:
            base = south if (match.group(2) or "N").upper() == "S" else north
            if base is not None:
                grid = base + int(match.group(1))
    if grid is None:
        texts = (records.get("H2600", ""), records.get("H1800", ""), records.get("H1900", ""))
        lines = [line for text in texts for line in text.split("\n") if not _NOT_A_CRS.search(line)]
        for text in lines:
            for m in _EPSG.finditer(text):
                code = int(m.group(1))
                if 4000 <= code <= 4999 or code in _GEOGRAPHIC_CODES:
                    if header.geographic_epsg is None:
                        header.geographic_epsg = code
                elif grid is None:
                    grid = code
    header.grid_epsg = grid
    unit = grid_unit(records.get("H2000", "")) if records.get("H2000") else None
    if unit is not None:
        header.grid_unit, header.grid_unit_metres = unit
    header.transformation = None
    if geographic is not None and geographic != 4326:
        shift = None
        name = ""
        if records.get("H1501"):
            shift, name = _helmert(records["H1501"]), records["H1501"]
        elif records.get("H1600") and datum_epsg(surveyed) == 4326:
            forward = _helmert(records["H1600"])
            if forward is not None:
                shift = (-forward[0], -forward[1], -forward[2], -forward[3], -forward[4], -forward[5], -forward[6])
            name = records["H1600"]
        if shift is not None:
            if "FRAME" in name.upper() or re.search(r"\bCF\b", name.upper()):
                shift = (shift[0], shift[1], shift[2], -shift[3], -shift[4], -shift[5], shift[6])
            header.transformation = Transformation(name=f"{plotted or surveyed} to WGS 84", towgs84=shift)


def _receivers(line: str, lineno: int, tstamp: datetime | None) -> Iterator[ReceiverRecord]:
    """The (up to) three receiver groups of an R record: group, easting, northing, depth; col 80 cable.

    Only files without streamers read them: with ``H0104`` streamer details the R
    records are the streamers' groups, thousands per shot, which belong to the
    shot and not to the project's receiver points (nodes).
    """
    cable = line[79].strip() if len(line) >= 80 else ""
    objref = int(cable) if cable.isdigit() else None
    for start in (1, 27, 53):
        chunk = line[start : start + _RECEIVER_GROUP]
        if not chunk.strip():
            continue
        group = chunk[0:4].strip()
        if not group:
            raise ParseError(lineno, f"receiver group without a number in columns {start + 1}-{start + 4}")
        try:
            number = int(group)
        except ValueError:
            raise ParseError(
                lineno, f"bad receiver group number {group!r} in columns {start + 1}-{start + 4}"
            ) from None
        easting = _grid(chunk[4:13], "receiver easting", lineno)
        northing = _grid(chunk[13:22], "receiver northing", lineno)
        depth = _grid(chunk[22:26], "receiver depth", lineno)
        if easting is None or northing is None:
            raise ParseError(lineno, f"receiver group {number} has no easting/northing")
        node = f"{cable}/{number}" if cable else str(number)
        yield ReceiverRecord(lineno, None, number, node, objref, tstamp, easting, northing, None, None, depth)


class ShotReader:
    """Iterate the S records of a P1/90 file as ShotRecords (one per source).

    ``objref`` is the source id in column 18. Other record types (V, G, Q, A, T, C,
    E, Z) are not shots and are skipped; ``R`` records are kept in ``receivers`` (see
    ``_receivers``). Times have one-second resolution.
    """

    def __init__(
        self,
        lines: Iterable[str],
        *,
        year: int | None = None,
    ) -> None:
        self._lines = lines
        self._year = year
        self.header = FileHeader(format="p190")
        self.receivers: list[ReceiverRecord] = []
        """``R`` receiver group positions, each with the time of the shot it follows."""

    def columns(self, size: int = 65_536) -> Iterator[ShotColumns]:
        """The shots in batches of about ``size`` records, as columns."""
        yield from shots_in_columns(self, size)

    def __iter__(self) -> Iterator[ShotRecord]:
        header = self.header = FileHeader(format="p190")
        receivers = self.receivers = []
        state = _HeaderState()
        line_numbers: dict[str, int] = {}
        days: dict[tuple[int, int], datetime] = {}
        span_years: dict[int, int | None] = {}
        sources: dict[str, tuple[int | None, str | None]] = {}
        year: int | None = None
        previous_doy = 0
        last_time: datetime | None = None

        for lineno, raw in enumerate(self._lines, 1):
            line = _clean(raw, lineno)
            if not line.strip():
                continue
            rid = line[0].upper()
            if rid == "H":
                _header_record(header, line, state)
                continue
            if rid != "S":
                if rid == "R":
                    if "H0104" not in header.records:
                        receivers.extend(_receivers(line, lineno, last_time))
                    continue
                if rid in _POSITION_IDS or rid == "\x1a":
                    continue
                raise ParseError(lineno, f"unknown record id {line[0]!r}")

            if year is None:
                year = self._choose_year(header, lineno)
            if len(line) < _SHOT_COLUMNS:
                raise ParseError(lineno, f"record too short ({len(line)} columns, need {_SHOT_COLUMNS})")
            source = line[17]
            identity = sources.get(source)
            if identity is None:
                identity = sources[source] = _source_identity(source, state.sources, lineno)
            position = _Position(line, lineno)

            name = position.line_name
            line_no = line_numbers.get(name)
            if line_no is None:
                try:
                    line_no = default_line_number(name)
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
            midnight = hours == 24 and minutes == 0 and seconds == 0
            if not 1 <= doy <= 366 or (not midnight and (hours > 23 or minutes > 59 or seconds > 59)):
                raise ParseError(lineno, f"bad day/time {doy_text + time_text!r} in columns 71-79")
            if state.span is not None:
                in_span = span_years.get(doy, 0)
                if in_span == 0:
                    in_span = span_years[doy] = _year_in_span(doy, state.span)
                if in_span is not None:
                    year = in_span
                elif doy < previous_doy - 180:
                    year += 1
            elif doy < previous_doy - 180:
                year += 1  # 31 December → 1 January
            previous_doy = doy
            day = days.get((year, doy))
            if day is None:
                day = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=doy - 1)
                if day.year != year:
                    raise ParseError(lineno, f"day {doy} does not exist in {year}")
                days[(year, doy)] = day
            last_time = day + timedelta(seconds=hours * 3600 + minutes * 60 + seconds)
            yield ShotRecord(
                lineno,
                name,
                line_no,
                position.point,
                identity[0],
                last_time,
                position.easting,
                position.northing,
                position.lon,
                position.lat,
                identity[1],
            )

    def _choose_year(self, header: FileHeader, lineno: int) -> int:
        """The header's year; the configured one only when the header has none; a conflict is a warning."""
        configured = self._year
        if header.year is not None:
            if configured is not None and configured != header.year:
                header.warnings.append(
                    f"the header dates the survey in {header.year} (H0200) but {configured} is configured;"
                    f" {header.year} from the header is used"
                )
            return header.year
        if configured is None:
            raise ParseError(lineno, "no year for the records: no H0200 survey date in the file and no year configured")
        header.year = configured
        return configured


def _year_in_span(doy: int, span: tuple[datetime, datetime]) -> int | None:
    """The year that puts day of year ``doy`` inside the survey span, if one does."""
    start, end = span
    for year in range(start.year, end.year + 1):
        day = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=doy - 1)
        if day.year == year and start <= day <= end:
            return year
    return None


def _source_identity(source: str, listed: list[str], lineno: int) -> tuple[int | None, str | None]:
    """(objref, source id text) for column 18: a digit, a letter of the header's list, or blank."""
    if source == " ":
        return None, None
    if source.isdigit():
        return int(source), source
    if source.isalpha():
        upper = source.upper()
        return (listed.index(upper) + 1 if upper in listed else None), source
    raise ParseError(lineno, f"bad source id {source!r} in column 18 (a digit, a letter or blank)")


def read_shots(lines: Iterable[str], *, year: int | None = None) -> ShotReader:
    """Shots of a P1/90 file, streamed from ``lines`` (see ShotReader)."""
    return ShotReader(lines, year=year)


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

    def __init__(self, lines: Iterable[str], *, limits: PointLimits | None = None) -> None:
        self._lines = lines
        self._limits = limits or current_point_limits()
        self.header = FileHeader(format="p190")
        self.receivers: list[ReceiverRecord] = []
        """``R`` receiver positions (nodes of an OBN preplot), filled as the iteration goes by."""

    def columns(self, size: int = 65_536) -> Iterator[PointColumns]:
        """The points in batches of ``size``, as columns."""
        return in_columns(self, size)

    def __iter__(self) -> Iterator[PreplotRecord]:
        made = 0
        limits = self._limits
        for record in self._points():
            made += 1
            if made > limits.per_file:
                check_file_points(made, limits, record.lineno)
            yield record

    def _points(self) -> Iterator[PreplotRecord]:
        header = self.header = FileHeader(format="p190")
        receivers = self.receivers = []
        state = _HeaderState()
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
                _header_record(header, line, state)
                continue
            if rid == "R":
                if "H0104" not in header.records:
                    receivers.extend(_receivers(line, lineno, None))
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
            line = default_line_number(first.line_name)
        except ValueError as exc:
            raise ParseError(first_lineno, str(exc)) from None
        if not INT32_MIN <= line <= INT32_MAX:
            raise ParseError(
                first_lineno, f"line number {line} of {first.line_name!r} is out of range (a 32-bit integer)"
            )
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
                count = abs(here.point - previous.point) // step + 1
                check_segment_points(count, self._limits, lineno, previous.point, here.point, step)
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


def read_preplot(lines: Iterable[str], *, limits: PointLimits | None = None) -> PreplotReader:
    """Preplot points of a P1/90 file, streamed from ``lines`` (see PreplotReader)."""
    return PreplotReader(lines, limits=limits)
