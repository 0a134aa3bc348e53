"""IOGP P1/11 reader: shots from S1 records, preplot points from N1 records.

P1/11 describes itself: which coordinate tuple of a position record is projected and
which geographic, in what axis order, and how its time field counts, are all stated
in the header. Nothing here assumes a column holds easting or that time is GPS
seconds; everything is resolved through the records that define it:

* ``H1,1,0,0`` position record type (PRT): the CRS of each coordinate tuple and the
  time reference of the record, and how many extension fields follow;
* ``HC,1,3,0``/``HC,1,4,0`` CRSs (EPSG code, projected/geographic/compound),
  ``HC,1,4,1`` the horizontal part of a compound CRS, ``HC,1,6,0`` coordinate system
  type and ``HC,1,6,1`` axes (a northing-first grid or a lon-first geographic CRS is
  read correctly);
* ``HC,1,2,0`` time reference (UTC or GPS with the file's own leap seconds; seconds
  since an epoch, or ``YYYY:MM:DD:HH:MM:SS`` / ``YYYY:DDD:HH:MM:SS`` text) and the
  ``HC,1,1,0`` unit it counts in;
* ``HC,2,3,0`` position objects, the only valid OBJREFs.

Files are streamed: a post-plot of a long sequence is tens of megabytes, mostly
``P1`` records of objects that did not fire, which are skipped on a prefix check
before any splitting. Field numbers in comments are 1-based as in the format notes;
list indices are 0-based.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO

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

__all__ = ["PreplotReader", "ShotReader", "ShotReadingState", "read_preplot", "read_shots", "read_shots_binary"]

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")
# Records that are never shots and are frequent enough to deserve a prefix test.
_NOT_SHOTS = "P1,"
_S1_BASE_FIELDS = 26  # record id … field 26; extension fields follow
_TUPLE_START = (12, 15, 18)  # index of the first ordinate of coordinate tuples 1, 2, 3
# WGS 84 and its realisations (G730 … G2296), geographic 2D and 3D: a tuple in one of
# these is preferred over one on another datum when a record holds both.
WGS84_GEOGRAPHIC = frozenset(
    {4326, 4979, 7657, 7659, 7661, 7663, 7665, 9053, 9054, 9055, 9056, 9057, 9754, 9755, 10605, 10606}
)
_WGS84_GEOGRAPHIC = WGS84_GEOGRAPHIC
# Comments that name an EPSG code of something other than a CRS (SeaPro lists them all).
_NOT_A_CRS = re.compile(r"DATUM|PROJECTION|ELLIPSOID|METHOD|TRANSFORMATION|MERIDIAN|UNIT", re.IGNORECASE)
_COMMENT_EPSG = re.compile(r"\bEPSG\s*(?:code|CRS)?\s*[:#=]?\s*(\d{4,5})\b", re.IGNORECASE)
# Metres per unit for the linear units grids are written in, by the names writers use.
_LENGTH_UNITS = {
    "metre": 1.0,
    "meter": 1.0,
    "metres": 1.0,
    "meters": 1.0,
    "m": 1.0,
    "foot": 0.3048,
    "feet": 0.3048,
    "ft": 0.3048,
    "international foot": 0.3048,
    "us survey foot": 1200 / 3937,
    "us survey feet": 1200 / 3937,
    "ftus": 1200 / 3937,
    "us foot": 1200 / 3937,
    "us feet": 1200 / 3937,
    "american feet": 1200 / 3937,
}
# EPSG parameter codes of the seven Helmert parameters, in +towgs84 order.
_HELMERT_CODES = (8605, 8606, 8607, 8608, 8609, 8610, 8611)
_COORDINATE_FRAME_METHODS = frozenset({9607, 1032, 1038})

# EPSG axis name codes (used when an axis record gives a code but an unusual name).
_AXIS_CODES = {9901: "lat", 9902: "lon", 9906: "e", 9907: "n"}
_CRS_PROJECTED = 1
_CRS_GEOGRAPHIC = (2, 3)
_CRS_COMPOUND = 7


def _unescape(text: str) -> str:
    """Undo the ``\\u`` + four-hex-digit escapes writers apply to reserved characters in text fields."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _field(fields: list[str], index: int) -> str:
    return fields[index].strip() if index < len(fields) else ""


def whole(text: str) -> int:
    """An integer as writers write it: ``18``, ``+18``, ``18.0`` or ``3.000``; ``18.5`` is not one."""
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise ValueError(f"{text!r} is not a whole number") from None
        return int(value)


def _int(fields: list[str], index: int, lineno: int, what: str) -> int:
    text = _field(fields, index)
    try:
        value = whole(text)
    except (ValueError, OverflowError):
        raise ParseError(lineno, f"bad {what} {text!r} in field {index + 1} (want a whole number)") from None
    if not INT32_MIN <= value <= INT32_MAX:
        raise ParseError(lineno, f"{what} {text!r} in field {index + 1} is out of range (a 32-bit integer)")
    return value


def _opt_int(fields: list[str], index: int, lineno: int, what: str) -> int | None:
    return _int(fields, index, lineno, what) if _field(fields, index) else None


def _opt_float(fields: list[str], index: int) -> float | None:
    try:
        return float(_field(fields, index))
    except ValueError:
        return None


def _integral(text: str) -> int:
    """A line or point number; ``2576.0`` is accepted, ``2576.5`` is not."""
    return whole(text)


def length_unit_metres(name: str) -> float | None:
    """Metres per unit for a linear unit's name (``metre``, ``foot``, ``US survey foot``…), if known."""
    return _LENGTH_UNITS.get(" ".join(name.lower().replace("_", " ").split()))


# --------------------------------------------------------------------------- header


@dataclass(slots=True)
class _Unit:
    name: str
    format_code: int | None
    scale: float  # value in the base unit = scale x value (A = D = 0 in the HC,1,1,0 formula)
    quantity: str = ""  # HC,1,1,0 quantity type: length, angle, time…


@dataclass(slots=True)
class _TimeRef:
    ref: int
    lineno: int
    system: int | None
    leap_seconds: int | None
    relative: bool
    epoch: datetime | None
    unitref: int | None


@dataclass(slots=True)
class _Crs:
    ref: int
    lineno: int
    epsg: int | None = None
    kind: int | None = None  # HC,1,4,0 CRS type code
    cs_type: int | None = None  # HC,1,6,0: 2 Cartesian, 3 ellipsoidal
    name: str = ""
    horizontal: int | None = None  # CRSREF of the horizontal component (compound CRS)
    horizontal_epsg: int | None = None
    axes: dict[int, str] = field(default_factory=dict)  # axis order → role or ""
    axis_unit: tuple[int | None, str] | None = None  # UNITREF and unit name of the first axis


@dataclass(slots=True)
class _Prt:
    ref: int
    lineno: int
    crsrefs: tuple[int | None, int | None, int | None]
    timeref: int | None
    extensions: int


@dataclass(slots=True)
class _PreplotType:
    ref: int
    lineno: int
    crsrefs: tuple[int | None, int | None]


@dataclass(slots=True)
class _Roles:
    """Where the wanted ordinates sit in a record, as field indices (-1 = absent)."""

    easting: int = -1
    northing: int = -1
    lat: int = -1
    lon: int = -1
    grid_epsg: int | None = None
    geographic_epsg: int | None = None
    grid_crsref: int | None = None
    easting_z: int = -1  # third ordinate of the grid tuple (depth or height), -1 = none
    geographic_z: int = -1


def _axis_role(name: str, orientation: str, abbreviation: str, code: int | None) -> str:
    """Role of one axis from its name, then its EPSG code, abbreviation, orientation."""
    text = name.lower()
    if "latitude" in text:
        return "lat"
    if "longitude" in text:
        return "lon"
    if "easting" in text:
        return "e"
    if "northing" in text:
        return "n"
    if code in _AXIS_CODES:
        return _AXIS_CODES[code]
    abbr = abbreviation.lower()
    if abbr in ("lat", "φ", "phi", "b"):
        return "lat"
    if abbr in ("lon", "long", "λ", "lambda", "l"):
        return "lon"
    if abbr in ("e", "x"):
        return "e"
    if abbr in ("n", "y"):
        return "n"
    orient = orientation.lower()
    if orient.startswith("east"):
        return "east"
    if orient.startswith("north"):
        return "north"
    return ""


class _HeaderState:
    """Definitions collected from the header records of one file."""

    def __init__(self, header: FileHeader, wanted: str) -> None:
        self.header = header
        self.wanted = wanted  # the data record the reader is after: "S1" or "N1"
        self.units: dict[int, _Unit] = {}
        self.timerefs: dict[int, _TimeRef] = {}
        self.crs: dict[int, _Crs] = {}
        self.prts: dict[int, _Prt] = {}
        self.preplot_types: dict[int, _PreplotType] = {}
        self.data_started = False
        self.comment_epsg: list[int] = []  # EPSG codes written in CC comments, in order
        self.streamer_objrefs: set[str] = set()  # OBJREFs (as text) of streamers: their R1 groups are skipped
        self.transformation_epsg: int | None = None
        self.transformation_name = ""
        self.transformation_method: int | None = None
        self.transformation_inverse = False  # the parameters go from WGS 84 to the file's datum
        self.helmert: dict[int, float] = {}  # EPSG parameter code → value in PROJ's units
        self._handlers: dict[str, Callable[[list[str], int], None]] = {
            "HC,1,1,0": self._unit,
            "HC,1,2,0": self._timeref,
            "HC,1,3,0": self._crs_implicit,
            "HC,1,4,0": self._crs_details,
            "HC,1,4,1": self._crs_horizontal,
            "HC,1,6,0": self._coordinate_system,
            "HC,1,6,1": self._axis,
            "HC,1,7,0": self._transformation,
            "HC,2,3,0": self._object,
            "H1,0,0,0": self._content,
            "H1,0,2,0": self._parameter,
            "H1,1,0,0": self._prt,
            "H1,4,0,0": self._preplot_type,
        }

    # One call per record that is not a data record: header, comment or unknown.
    def feed(self, line: str, lineno: int) -> None:
        if lineno == 1 and line.startswith("\ufeff"):
            line = line[1:]
        text = line.rstrip("\r\n")
        if not text.strip():
            return
        fields = text.split(",")
        rid = fields[0].strip().upper()
        if rid in ("OGP", "IOGP"):
            self.header.version = _field(fields, 3) or None
            self.header.records[rid] = _unescape(",".join(f.strip() for f in fields[1:]).rstrip(","))
            return
        if rid == "CC":
            if not self.data_started:
                comment = _unescape(",".join(fields[4:]).strip().rstrip(","))
                self.header.comments.append(comment)
                # SeaPro and others name the CRS in a comment (``CRS EPSG Code 32621``).
                if not _NOT_A_CRS.search(comment):
                    self.comment_epsg.extend(int(m.group(1)) for m in _COMMENT_EPSG.finditer(comment))
            return
        if rid in ("HC", "H1"):
            if len(fields) < 5:
                raise ParseError(lineno, f"header record {text[:20]!r} has only {len(fields)} fields")
            key = ",".join(f.strip() for f in fields[:4])
            handler = self._handlers.get(key)
            if handler is not None:
                handler(fields, lineno)
            elif key.startswith("HC,1,8,"):
                self._transformation_detail(fields, lineno)
            values = ",".join(f.strip() for f in fields[5:]).rstrip(",")
            self.header.records.setdefault(key, _unescape(values))
            return
        if rid == self.wanted:
            # The reader only recognises this record at the very start of a line; one
            # indented or in lowercase would otherwise be lost without a word.
            raise ParseError(lineno, f"{rid} record id must start the line, in capitals: {text[:20]!r}")
        if rid in ("N1", "M1", "S1", "P1", "R1"):
            return
        if rid.startswith(("E", "H", "X", "N", "M")) and rid[1:].isdigit():
            return  # v1.1 event, relation and other data records: not used, not noise
        warning = f"record type {rid!r} ignored"
        if warning not in self.header.warnings:
            self.header.warnings.append(warning)

    def _crs_entry(self, ref: int, lineno: int) -> _Crs:
        crs = self.crs.get(ref)
        if crs is None:
            crs = self.crs[ref] = _Crs(ref=ref, lineno=lineno)
        return crs

    def _unit(self, f: list[str], lineno: int) -> None:
        ref = _int(f, 5, lineno, "UNITREF")
        a, b, c, d = (_opt_float(f, i) for i in (10, 11, 12, 13))
        scale = 1.0
        if b is not None and c and not a and not d:
            scale = b / c
        code = _field(f, 8)
        self.units[ref] = _Unit(
            _unescape(_field(f, 6)), int(code) if code.isdigit() else None, scale, _field(f, 7).lower()
        )

    def _timeref(self, f: list[str], lineno: int) -> None:
        ref = _int(f, 5, lineno, "TIMEREF")
        epoch_text = _field(f, 10)
        epoch = None
        if epoch_text:
            try:
                year, month, day = (int(p) for p in epoch_text.split(":"))
                epoch = datetime(year, month, day, tzinfo=UTC)
            except ValueError:
                raise ParseError(lineno, f"bad time reference epoch {epoch_text!r} (want YYYY:MM:DD)") from None
        flag = _field(f, 9)
        relative = flag == "1" if flag else epoch is not None
        self.timerefs[ref] = _TimeRef(
            ref=ref,
            lineno=lineno,
            system=_opt_int(f, 6, lineno, "time system"),
            leap_seconds=_opt_int(f, 7, lineno, "leap-second count"),
            relative=relative,
            epoch=epoch,
            unitref=_opt_int(f, 11, lineno, "UNITREF"),
        )

    def _crs_implicit(self, f: list[str], lineno: int) -> None:
        crs = self._crs_entry(_int(f, 5, lineno, "CRSREF"), lineno)
        crs.epsg = crs.epsg or _opt_int(f, 6, lineno, "EPSG code")
        crs.name = crs.name or _unescape(_field(f, 7))

    def _crs_details(self, f: list[str], lineno: int) -> None:
        crs = self._crs_entry(_int(f, 5, lineno, "CRSREF"), lineno)
        crs.epsg = _opt_int(f, 6, lineno, "EPSG code") or crs.epsg
        crs.kind = _opt_int(f, 7, lineno, "CRS type")
        crs.name = _unescape(_field(f, 9)) or crs.name

    def _crs_horizontal(self, f: list[str], lineno: int) -> None:
        crs = self._crs_entry(_int(f, 5, lineno, "CRSREF"), lineno)
        crs.horizontal = _opt_int(f, 6, lineno, "component CRSREF")
        crs.horizontal_epsg = _opt_int(f, 7, lineno, "EPSG code")

    def _coordinate_system(self, f: list[str], lineno: int) -> None:
        crs = self._crs_entry(_int(f, 5, lineno, "CRSREF"), lineno)
        crs.cs_type = _opt_int(f, 8, lineno, "coordinate system type")

    def _axis(self, f: list[str], lineno: int) -> None:
        crs = self._crs_entry(_int(f, 5, lineno, "CRSREF"), lineno)
        order = _int(f, 6, lineno, "axis order")
        code = _field(f, 7)
        crs.axes[order] = _axis_role(_field(f, 8), _field(f, 9), _field(f, 10), int(code) if code.isdigit() else None)
        if crs.axis_unit is None or order == 1:
            unit_text = _field(f, 11)
            unitref = whole(unit_text) if unit_text.isdigit() else None
            crs.axis_unit = (unitref, _unescape(_field(f, 12)))

    def _transformation(self, f: list[str], lineno: int) -> None:
        """``HC,1,7,0``: TRANSREF, EPSG code, name of the transformation to WGS 84."""
        if self.transformation_epsg is None and not self.transformation_name:
            self.transformation_epsg = _opt_int(f, 6, lineno, "transformation EPSG code")
            self.transformation_name = _unescape(_field(f, 7))

    def _transformation_detail(self, f: list[str], lineno: int) -> None:
        """``HC,1,8,x`` records, told apart by their description as writers number them differently.

        Seen (SeaPro): ``,8,0`` number/EPSG code/name, ``,8,1`` source and target
        CRS, ``,8,2`` method, ``,8,4`` one parameter each.
        """
        description = _field(f, 4).lower()
        if "method" in description:
            self._transformation_method(f, lineno)
        elif "source" in description or "target" in description:
            source, target = _opt_int(f, 7, lineno, "EPSG code"), _opt_int(f, 10, lineno, "EPSG code")
            self.transformation_inverse = source in WGS84_GEOGRAPHIC and target not in WGS84_GEOGRAPHIC
        elif _field(f, 3) == "0" and ("name" in description or "code" in description):
            self._transformation(f, lineno)
        else:
            self._transformation_parameter(f, lineno)

    def _transformation_method(self, f: list[str], lineno: int) -> None:
        """The method record: TRANSREF, EPSG method code, method name (position vector, coordinate frame…)."""
        code = _opt_int(f, 6, lineno, "transformation method code")
        name = _field(f, 7).lower()
        if code is None and "frame" in name:
            code = 9607
        elif code is None and "position vector" in name:
            code = 9606
        if self.transformation_method is None:
            self.transformation_method = code

    def _transformation_parameter(self, f: list[str], lineno: int) -> None:
        """``HC,1,8,x``: TRANSREF, EPSG parameter code, value, UNITREF, unit; the name is the description."""
        code = _opt_int(f, 6, lineno, "transformation parameter code")
        name = _field(f, 4).lower()
        if code is None:
            code = _helmert_code_from_name(name)
        if code not in _HELMERT_CODES:
            return
        value_text = _field(f, 7)
        try:
            value = float(value_text)
        except ValueError:
            raise ParseError(lineno, f"bad transformation parameter {value_text!r} in field 8") from None
        unit_name = _field(f, 9).lower()
        unit_text = _field(f, 8)
        if not unit_name and unit_text.isdigit() and int(unit_text) in self.units:
            unit_name = self.units[int(unit_text)].name.lower()
        self.helmert[code] = _helmert_to_proj_units(code, value, unit_name)

    def _object(self, f: list[str], lineno: int) -> None:
        objref = _int(f, 5, lineno, "OBJREF")
        name = _unescape(_field(f, 6)) or _unescape(_field(f, 4))
        header = self.header
        header.objects[objref] = name
        objtype = _field(f, 7)
        if objtype == "1" and header.vessel_objref is None:
            header.vessel_objref = objref
        elif objtype == "2":
            self.streamer_objrefs.add(str(objref))
        elif objtype == "4" and objref not in header.source_objrefs:
            header.source_objrefs.append(objref)

    def _content(self, f: list[str], lineno: int) -> None:
        self.header.content = _unescape(_field(f, 5)) or None

    def _parameter(self, f: list[str], lineno: int) -> None:
        if "sequence" in _field(f, 4).lower():
            value = _field(f, 6)
            if value.isdigit():
                self.header.sequence = int(value)

    def _prt(self, f: list[str], lineno: int) -> None:
        ref = _int(f, 5, lineno, "PRTREF")
        crsrefs = (
            _opt_int(f, 6, lineno, "CRSREF"),
            _opt_int(f, 7, lineno, "CRSREF"),
            _opt_int(f, 8, lineno, "CRSREF"),
        )
        self.prts[ref] = _Prt(
            ref=ref,
            lineno=lineno,
            crsrefs=crsrefs,
            timeref=_opt_int(f, 9, lineno, "TIMEREF"),
            extensions=_opt_int(f, 11, lineno, "number of extension fields") or 0,
        )

    def _preplot_type(self, f: list[str], lineno: int) -> None:
        ref = _int(f, 5, lineno, "preplot type")
        refs: list[int | None] = []
        for index in (10, 11):
            text = _field(f, index)
            refs.append(int(text) if text.isdigit() else None)
        self.preplot_types[ref] = _PreplotType(ref=ref, lineno=lineno, crsrefs=(refs[0], refs[1]))

    # ----------------------------------------------------------- resolution

    def axis_order(self, crsref: int, lineno: int) -> tuple[tuple[str, str], int | None]:
        """(role of ordinate 1, role of ordinate 2) and EPSG code of the horizontal CRS.

        Roles are 'e'/'n' for grid and 'lat'/'lon' for geographic ordinates. Axis
        records are the authority; without them the CRS type gives EPSG's usual
        order (easting, northing / latitude, longitude); with neither, the EPSG code
        range does (4000-4999 are geographic CRSs), else the tuple cannot be used.
        """
        crs = self.crs.get(crsref)
        if crs is None:
            raise ParseError(lineno, f"CRS {crsref} is not defined (no HC,1,3,0 or HC,1,4,0 record)")
        epsg = crs.epsg
        horizontal = crs
        if crs.kind == _CRS_COMPOUND or crs.horizontal is not None or crs.horizontal_epsg is not None:
            component = self.crs.get(crs.horizontal) if crs.horizontal is not None else None
            if component is not None:
                horizontal = component
            epsg = crs.horizontal_epsg or (component.epsg if component is not None else None)
        axes = crs.axes or horizontal.axes
        kind = horizontal.kind if horizontal.kind is not None else crs.kind
        cs_type = horizontal.cs_type or crs.cs_type
        geographic: bool | None = None
        if kind == _CRS_PROJECTED or cs_type == 2:
            geographic = False
        elif kind in _CRS_GEOGRAPHIC or cs_type == 3:
            geographic = True
        roles = [axes[k] for k in sorted(axes)][:2]
        if geographic is None and any(r in ("lat", "lon") for r in roles):
            geographic = True
        if geographic is None and any(r in ("e", "n") for r in roles):
            geographic = False
        if geographic is None and epsg is not None:
            geographic = 4000 <= epsg <= 4999
        if geographic is None:
            raise ParseError(crs.lineno, f"cannot tell whether CRS {crsref} is projected or geographic")
        if len(roles) < 2:
            pair = ("lat", "lon") if geographic else ("e", "n")
        else:
            pair_list = []
            for role in roles:
                if role == "east":
                    role = "lon" if geographic else "e"
                elif role == "north":
                    role = "lat" if geographic else "n"
                pair_list.append(role)
            pair = (pair_list[0], pair_list[1])
            valid = {("e", "n"), ("n", "e")} if not geographic else {("lat", "lon"), ("lon", "lat")}
            if pair not in valid:
                raise ParseError(crs.lineno, f"cannot resolve the horizontal axes of CRS {crsref}: {pair}")
        return pair, epsg

    def roles(self, crsrefs: Iterable[int | None], starts: Iterable[int], lineno: int) -> _Roles:
        """Field indices of E/N/lat/lon for coordinate tuples with these CRSs.

        Grid coordinates come from the first projected tuple; geographic ones from
        a WGS 84 tuple if there is one (Dougal stores WGS 84), else the first
        geographic tuple.
        """
        result = _Roles()
        for crsref, start in zip(crsrefs, starts, strict=False):
            if crsref is None:
                continue
            (first, second), epsg = self.axis_order(crsref, lineno)
            index = {first: start, second: start + 1}
            if "e" in index:
                if result.easting < 0:
                    result.easting, result.northing, result.grid_epsg = index["e"], index["n"], epsg
                    result.grid_crsref, result.easting_z = crsref, start + 2
            elif result.lat < 0 or (result.geographic_epsg not in _WGS84_GEOGRAPHIC and epsg in _WGS84_GEOGRAPHIC):
                result.lat, result.lon, result.geographic_epsg = index["lat"], index["lon"], epsg
                result.geographic_z = start + 2
        return result

    def describe_crs(self, roles: _Roles) -> None:
        """Promote the CRSs in use to the public header (first ones seen win).

        A CRS the formal records leave without an EPSG code takes one written in a
        comment (``CC,1,0,0,CRS EPSG Code 32621``), projected or geographic by the
        code. The grid's unit comes from its axis records; the transformation to
        WGS 84 from ``HC,1,7,0``/``HC,1,8,x``.
        """
        header = self.header
        grid_epsg, geographic_epsg = roles.grid_epsg, roles.geographic_epsg
        for code in self.comment_epsg:
            if is_geographic_epsg(code):
                if geographic_epsg is None and roles.lat >= 0:
                    geographic_epsg = code
            elif grid_epsg is None and roles.easting >= 0:
                grid_epsg = code
        if header.grid_epsg is None:
            header.grid_epsg = grid_epsg
        if header.geographic_epsg is None:
            header.geographic_epsg = geographic_epsg
        if header.grid_unit is None and roles.grid_crsref is not None:
            header.grid_unit, header.grid_unit_metres = self.grid_unit(roles.grid_crsref)
        if header.transformation is None and (
            self.transformation_epsg is not None or self.transformation_name or self.helmert
        ):
            header.transformation = self.transformation()

    def grid_unit(self, crsref: int) -> tuple[str | None, float | None]:
        """Name and metres per unit of a grid CRS's axes, from ``HC,1,6,1`` and ``HC,1,1,0``."""
        crs = self.crs.get(crsref)
        if crs is None:
            return None, None
        if crs.axis_unit is None and crs.horizontal is not None and crs.horizontal in self.crs:
            crs = self.crs[crs.horizontal]
        if crs.axis_unit is None:
            return None, None
        unitref, name = crs.axis_unit
        unit = self.units.get(unitref) if unitref is not None else None
        if unit is not None and not name:
            name = unit.name
        metres = length_unit_metres(name) if name else None
        if metres is None and unit is not None:
            metres = length_unit_metres(unit.name) or (unit.scale if unit.quantity == "length" else None)
        if not name:
            return None, metres
        canonical = {1.0: "metre", 0.3048: "foot", 1200 / 3937: "US survey foot"}.get(metres or 0.0, name)
        return canonical, metres

    def transformation(self) -> Transformation:
        """The header's transformation in PROJ's position-vector convention."""
        towgs84: tuple[float, float, float, float, float, float, float] | None = None
        if self.helmert:
            values = [self.helmert.get(code, 0.0) for code in _HELMERT_CODES]
            if self.transformation_method in _COORDINATE_FRAME_METHODS:
                values[3:6] = [-v for v in values[3:6]]
            towgs84 = (values[0], values[1], values[2], values[3], values[4], values[5], values[6])
            if self.transformation_inverse or _name_targets_other_datum(self.transformation_name):
                towgs84 = (-values[0], -values[1], -values[2], -values[3], -values[4], -values[5], -values[6])
        return Transformation(epsg=self.transformation_epsg, name=self.transformation_name, towgs84=towgs84)


def is_geographic_epsg(code: int) -> bool:
    """Whether an EPSG CRS code is geographic: 4000-4999, or a WGS 84 realisation."""
    return 4000 <= code <= 4999 or code in WGS84_GEOGRAPHIC


def _helmert_code_from_name(name: str) -> int | None:
    """EPSG parameter code from a parameter's name, for writers that leave the code out."""
    text = name.lower()
    for axis, translation, rotation in (("x", 8605, 8608), ("y", 8606, 8609), ("z", 8607, 8610)):
        if text.startswith(f"{axis}-axis") or text.startswith(f"{axis} axis") or text.startswith(f"d{axis}"):
            return rotation if "rot" in text else translation
        if text.startswith(f"r{axis}"):
            return rotation
    if "scale" in text:
        return 8611
    return None


def _helmert_to_proj_units(code: int, value: float, unit: str) -> float:
    """A Helmert parameter in +towgs84 units: metres, arc-seconds, parts per million."""
    if code in (8608, 8609, 8610):
        if "microradian" in unit:
            return value * 0.206264806247
        if "radian" in unit:
            return value * 206264.806247
        if "degree" in unit:
            return value * 3600.0
        return value  # arc-second
    if code == 8611:
        if "billion" in unit or "ppb" in unit:
            return value / 1000.0
        if "unity" in unit or unit == "coefficient":
            return value * 1e6
        return value  # parts per million
    if "foot" in unit or "feet" in unit:
        return value * (1200 / 3937 if "us" in unit else 0.3048)
    return value


def _name_targets_other_datum(name: str) -> bool:
    """``WGS 84 to ED50``: the parameters go from WGS 84, so they are applied inverted."""
    text = name.upper().replace(" ", "")
    return text.startswith("WGS84TO") and not text.startswith("WGS84TOWGS84")


# --------------------------------------------------------------------------- time


def _parse_datetime_text(text: str) -> datetime:
    """``YYYY:MM:DD:HH:MM:SS[.s]`` or ``YYYY:DDD:HH:MM:SS[.s]`` as a UTC datetime."""
    parts = text.strip().split(":")
    if len(parts) == 6:
        year, month, day, hour, minute = (int(p) for p in parts[:5])
        base = datetime(year, month, day, hour, minute, tzinfo=UTC)
    elif len(parts) == 5:
        year, doy, hour, minute = (int(p) for p in parts[:4])
        if not 1 <= doy <= 366:
            raise ValueError(text)
        base = datetime(year, 1, 1, hour, minute, tzinfo=UTC) + timedelta(days=doy - 1)
        if base.year != year:
            raise ValueError(text)
    else:
        raise ValueError(text)
    seconds = float(parts[-1])
    if not 0 <= seconds < 61:
        raise ValueError(text)
    return base + timedelta(seconds=seconds)


def _time_converter(
    state: _HeaderState, timeref: int, lineno: int
) -> tuple[Callable[[str], datetime], datetime | None]:
    """A function turning the time field of a record into UTC, per the TIMEREF's definition, and the
    instant the field counts seconds from when it is a plain count of seconds (else None)."""
    ref = state.timerefs.get(timeref)
    if ref is None:
        raise ParseError(lineno, f"time reference {timeref} is not defined (no HC,1,2,0 record for it)")
    if ref.system == 2:
        if ref.leap_seconds is None:
            raise ParseError(ref.lineno, f"GPS time reference {timeref} does not give the GPS-UTC leap seconds")
        shift = timedelta(seconds=ref.leap_seconds)
    elif ref.system == 1:
        shift = timedelta(0)
    else:
        raise ParseError(ref.lineno, f"unsupported time system {ref.system} (1 = UTC and 2 = GPS are)")
    if state.header.leap_seconds is None:
        state.header.leap_seconds = ref.leap_seconds
    unit = None
    if ref.unitref is not None:
        unit = state.units.get(ref.unitref)
        if unit is None:
            raise ParseError(ref.lineno, f"time reference {timeref} counts in UNITREF {ref.unitref}, not defined")
    absolute_text = unit is not None and unit.format_code in (11, 12)

    if ref.relative and not absolute_text:
        if ref.epoch is None:
            raise ParseError(ref.lineno, f"time reference {timeref} counts from an epoch but gives none")
        base = ref.epoch - shift
        scale = unit.scale if unit is not None else 1.0
        if scale == 1.0:
            return (lambda text: base + timedelta(seconds=float(text))), base
        return (lambda text: base + timedelta(seconds=float(text) * scale)), None
    if shift:
        return (lambda text: _parse_datetime_text(text) - shift), None
    return _parse_datetime_text, None


# --------------------------------------------------------------------------- shots


@dataclass(slots=True)
class _Plan:
    """Everything needed to read an S1 record of one PRT, resolved once."""

    prt: int
    nfields: int
    to_utc: Callable[[str], datetime]
    easting: int
    northing: int
    lat: int
    lon: int
    need: int  # fields a record must have to hold every value in use
    easting_z: int = -1
    geographic_z: int = -1
    seconds_from: datetime | None = None  # the time field is a plain count of seconds from this instant


def _make_plan(state: _HeaderState, prt_text: str, lineno: int, rid: str) -> _Plan:
    """Resolve how to read records of one PRT (shared by S1 and R1)."""
    try:
        prtref = whole(prt_text.strip())
    except ValueError:
        raise ParseError(lineno, f"bad PRTREF {prt_text.strip()!r} in field 11") from None
    prt = state.prts.get(prtref)
    if prt is None:
        raise ParseError(lineno, f"PRTREF {prtref} is not defined in any H1,1,0,0 record")
    if prt.timeref is None:
        raise ParseError(prt.lineno, f"position record type {prtref} names no time reference")
    to_utc, seconds_from = _time_converter(state, prt.timeref, prt.lineno)
    roles = state.roles(prt.crsrefs, _TUPLE_START, prt.lineno)
    if roles.easting < 0 and roles.lat < 0:
        raise ParseError(prt.lineno, f"position record type {prtref} has no usable coordinate tuple")
    state.describe_crs(roles)
    return _Plan(
        prt=prtref,
        nfields=_S1_BASE_FIELDS + prt.extensions,
        to_utc=to_utc,
        easting=roles.easting,
        northing=roles.northing,
        lat=roles.lat,
        lon=roles.lon,
        need=max(11, roles.easting, roles.northing, roles.lat, roles.lon) + 1,
        easting_z=roles.easting_z,
        geographic_z=roles.geographic_z,
        seconds_from=seconds_from,
    )


def _fit(f: list[str], plan: _Plan, lineno: int, rid: str) -> list[str]:
    """The record's fields, padded when the writer dropped trailing empty fields.

    Writers stop at the last field they fill, so a record shorter than its PRT's 26
    + extension fields is complete as long as it reaches every field in use; one
    that stops before a coordinate is truncated. More fields than the PRT declares
    are tolerated only when the extra ones are empty (a trailing comma).
    """
    n = len(f)
    if n < plan.need:
        raise ParseError(
            lineno,
            f"{rid} record truncated: {n} fields, position record type {plan.prt} needs at least {plan.need}",
        )
    if n < plan.nfields:
        return f + [""] * (plan.nfields - n)
    if any(x.strip() for x in f[plan.nfields :]):
        raise ParseError(lineno, f"{rid} record has {n} fields, position record type {plan.prt} needs {plan.nfields}")
    return f


def _is_streamer_group(state: _HeaderState, line: str) -> bool:
    """Whether an ``R1`` record is a streamer's receiver group (OBJREF of object type 2).

    Streamer groups are thousands per shot and belong to the shot, not to the
    project's receiver points (nodes), so they are not kept.
    """
    if not state.streamer_objrefs:
        return False
    fields = line.split(",", 9)
    return len(fields) > 8 and fields[8].strip() in state.streamer_objrefs


def _receiver(state: _HeaderState, plans: dict[str, _Plan], line: str, lineno: int) -> ReceiverRecord:
    """One ``R1`` record: a node or receiver group position.

    Field 12 is the receiver number; the node is named by it when given, else by
    the object (field 10, or the OBJREF's definition). Line and point (fields 4, 5)
    are the receiver line and station; time is optional (a deployed node's fix).
    """
    f = line.rstrip("\r\n").split(",")
    if len(f) < 11:
        raise ParseError(lineno, f"R1 record truncated: {len(f)} fields, a position record needs at least 26")
    plan = plans.get(f[10])
    if plan is None:
        plan = plans[f[10]] = _make_plan(state, f[10], lineno, "R1")
    f = _fit(f, plan, lineno, "R1")

    def number(index: int, what: str) -> float | None:
        if index < 0 or index >= len(f):
            return None
        text = f[index].strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise ParseError(lineno, f"bad {what} {text!r} in field {index + 1}") from None

    def optional_int(index: int, what: str) -> int | None:
        text = f[index].strip()
        if not text:
            return None
        try:
            return whole(text)
        except (ValueError, OverflowError):
            raise ParseError(lineno, f"bad {what} {text!r} in field {index + 1}") from None

    objref = optional_int(8, "OBJREF")
    time_text = f[7].strip()
    tstamp = None
    if time_text:
        try:
            tstamp = plan.to_utc(time_text)
        except (ValueError, OverflowError):
            raise ParseError(lineno, f"bad time {time_text!r} in field 8") from None
    receiver_number = _unescape(f[11].strip())
    object_name = _unescape(f[9].strip()) or (state.header.objects.get(objref, "") if objref is not None else "")
    node = receiver_number or object_name or (str(objref) if objref is not None else "")
    depth = number(plan.easting_z, "depth") if plan.easting >= 0 else number(plan.geographic_z, "height")
    return ReceiverRecord(
        lineno,
        optional_int(3, "line number"),
        optional_int(4, "point number"),
        node,
        objref,
        tstamp,
        number(plan.easting, "easting"),
        number(plan.northing, "northing"),
        number(plan.lon, "longitude"),
        number(plan.lat, "latitude"),
        depth,
    )


class ShotReader:
    """Iterate the S1 records of a P1/11 post-plot file as ShotRecords.

    ``header`` is filled as the header records go by and is complete once the
    first record has been yielded. Only ``S1`` records are shots: ``P1`` (other
    objects), ``R1`` (receivers), ``N1`` (preplot) and ``M1`` (perimeter) records
    are skipped. Every ``S1`` is kept, so simultaneous sources give several records
    for one shot point. Iterating again re-reads ``lines`` from where it stands.

    Made with ``read_shots_binary`` from the file's bytes, ``columns()`` reads the runs
    of regular ``S1`` records (printable ASCII, plain numbers, a PRT and OBJREF already
    met) as whole arrays and skips ``P1`` records in bulk; every other line goes to the
    line-by-line reading with the same state, so both give the same shots, header,
    receivers and errors.
    """

    def __init__(self, lines: Iterable[str], *, year: int | None = None) -> None:
        # ``year`` is accepted so all shot readers share one signature; P1/11 times
        # are complete and never need it.
        self._lines = lines
        self._raw: IO[bytes] | None = None
        self.header = FileHeader(format="p111")
        self.receivers: list[ReceiverRecord] = []
        """``R1`` receiver positions, filled as the iteration goes by."""

    def columns(self, size: int = 65_536) -> Iterator[ShotColumns]:
        """The shots in batches of about ``size`` records, as columns."""
        if self._raw is None:
            yield from shots_in_columns(self, size)
            return
        from chalicelib.parsers import p111_columns

        yield from p111_columns.read(ShotReadingState(self), self._raw, size)

    def __iter__(self) -> Iterator[ShotRecord]:
        if self._raw is not None:
            for columns in self.columns():
                yield from columns.records()
            return
        line = ShotReadingState(self).line
        for lineno, text in enumerate(self._lines, 1):
            record = line(lineno, text)
            if record is not None:
                yield record


class ShotReadingState:
    """The state of one pass over a post-plot: header definitions, the plans of the PRTs met, the
    OBJREFs met (both by their text as written), the line names and the receivers.

    ``line`` reads one file line; the columnar reading hands it every line it does not take.
    """

    def __init__(self, reader: ShotReader) -> None:
        reader.header = self.header = FileHeader(format="p111")
        self.receivers: list[ReceiverRecord] = []
        reader.receivers = self.receivers
        self.state = _HeaderState(self.header, "S1")
        self.plans: dict[str, _Plan] = {}
        """PRTREF as written in field 11 → how to read the record."""
        self.objrefs: dict[str, int] = {}
        """OBJREF as written in field 9 → its number (defined in the header)."""
        self.seen_names: set[str] = set()
        self._receiver_plans: dict[str, _Plan] = {}
        self._last_name: str | None = None

    def note_name(self, name: str) -> None:
        """A line name (unescaped, stripped) of a shot; the header lists each once, in file order."""
        if name not in self.seen_names:
            self.seen_names.add(name)
            self.header.line_names.append(name)

    def _plan(self, prt_text: str, lineno: int) -> _Plan:
        state = self.state
        if not state.prts or not state.timerefs or not state.header.objects:
            missing = [
                name
                for name, ok in (
                    ("time reference (HC,1,2,0)", state.timerefs),
                    ("position record type (H1,1,0,0)", state.prts),
                    ("position objects (HC,2,3,0)", state.header.objects),
                )
                if not ok
            ]
            raise ParseError(lineno, f"S1 record before the header defined a {' and a '.join(missing)}")
        return _make_plan(state, prt_text, lineno, "S1")

    def line(self, lineno: int, line: str) -> ShotRecord | None:
        """The shot a file line gives, or None (a header, comment, other position or receiver record)."""
        if line.startswith(_NOT_SHOTS):
            return None
        state = self.state
        if not line.startswith("S1,"):
            if line.startswith("R1,"):
                state.data_started = True
                if not _is_streamer_group(state, line):
                    self.receivers.append(_receiver(state, self._receiver_plans, line, lineno))
            else:
                state.feed(line, lineno)
            return None

        state.data_started = True
        f = line.split(",")
        n = len(f)
        if n < 11:
            raise ParseError(lineno, f"S1 record truncated: {n} fields, a position record needs at least 26")
        plan = self.plans.get(f[10])
        if plan is None:
            plan = self.plans[f[10]] = self._plan(f[10], lineno)
        if n != plan.nfields and not (n == plan.nfields + 1 and not f[-1].strip()):
            f = _fit(f, plan, lineno, "S1")
        objref = self.objrefs.get(f[8])
        if objref is None:
            objref = _objref(state, f[8], lineno)
            self.objrefs[f[8]] = objref
        name = f[2]
        if name != self._last_name:
            self._last_name = name
            self.note_name(_unescape(name.strip()))
        try:
            ie = plan.easting
            ilat = plan.lat
            e = f[ie] if ie >= 0 else ""
            nn = f[plan.northing] if ie >= 0 else ""
            la = f[ilat] if ilat >= 0 else ""
            lo = f[plan.lon] if ilat >= 0 else ""
            line_number, point_number = int(f[3]), int(f[4])
            if not (INT32_MIN <= line_number <= INT32_MAX and INT32_MIN <= point_number <= INT32_MAX):
                raise ValueError("out of range")  # the slow path names the field
            return ShotRecord(
                lineno,
                _unescape(name.strip()),
                line_number,
                point_number,
                objref,
                plan.to_utc(f[7]),
                float(e) if e else None,
                float(nn) if nn else None,
                float(lo) if lo else None,
                float(la) if la else None,
            )
        except (ValueError, OverflowError):
            return _shot_slow(f, plan, objref, lineno)


def _objref(state: _HeaderState, text: str, lineno: int) -> int:
    try:
        objref = whole(text.strip())
    except (ValueError, OverflowError):
        raise ParseError(lineno, f"bad OBJREF {text.strip()!r} in field 9") from None
    if objref not in state.header.objects:
        raise ParseError(lineno, f"OBJREF {objref} is not defined in any HC,2,3,0 record")
    return objref


def _shot_slow(f: list[str], plan: _Plan, objref: int, lineno: int) -> ShotRecord:
    """Re-read a record the fast path choked on, to accept padding or name the bad field."""

    def number(index: int, what: str) -> float | None:
        if index < 0:
            return None
        text = f[index].strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise ParseError(lineno, f"bad {what} {text!r} in field {index + 1}") from None

    values: list[int] = []
    for index, what in ((3, "line number"), (4, "point number")):
        text = f[index].strip()
        try:
            values.append(_integral(text))
        except ValueError:
            raise ParseError(lineno, f"bad {what} {text!r} in field {index + 1}") from None
        if not INT32_MIN <= values[-1] <= INT32_MAX:
            raise ParseError(lineno, f"{what} {text!r} in field {index + 1} is out of range (a 32-bit integer)")
    time_text = f[7].strip()
    try:
        tstamp = plan.to_utc(time_text)
    except (ValueError, OverflowError):
        raise ParseError(lineno, f"bad time {time_text!r} in field 8") from None
    return ShotRecord(
        lineno,
        _unescape(f[2].strip()),
        values[0],
        values[1],
        objref,
        tstamp,
        number(plan.easting, "easting"),
        number(plan.northing, "northing"),
        number(plan.lon, "longitude"),
        number(plan.lat, "latitude"),
    )


def read_shots(lines: Iterable[str], *, year: int | None = None) -> ShotReader:
    """Shots of a P1/11 post-plot, streamed from ``lines`` (see ShotReader)."""
    return ShotReader(lines, year=year)


def read_shots_binary(raw: IO[bytes], *, year: int | None = None) -> ShotReader:
    """Shots of a P1/11 post-plot read from its bytes: ``columns()`` reads regular runs whole."""
    reader = ShotReader((), year=year)
    reader._raw = raw
    return reader


# --------------------------------------------------------------------------- preplot


@dataclass(slots=True)
class _PreplotLine:
    line: int
    type_ref: int | None


_SEGMENT_FIELDS = 21  # N1 sub-type 2 up to the end point's second tuple (field 21)
_SEGMENT_MIN_FIELDS = 17  # through the end point's northing


class PreplotReader:
    """Iterate every preplot point of a P1/11 file's ``N1`` records.

    ``N1`` sub-type 0 records name a line (line index → line number); sub-type 2
    records are straight segments between two points of that line. Every point
    from start to end at the segment's point increment is yielded, with easting
    and northing interpolated linearly by point number (a straight line in the grid
    is what a straight segment means). Latitude and longitude are given only for
    the two points the file states and are left ``None`` in between: interpolating
    them linearly is wrong by metres over a few kilometres (5 m at 12.5 km), so the
    caller converts the grid coordinates instead (``geodesy.grid_to_wgs84``).

    The CRS of each tuple comes from the line's ``H1,4,0,0`` preplot type when the
    header defines it (CRSREFs in fields 11 and 12); otherwise tuple 1 is taken as
    easting, northing and tuple 2 as latitude, longitude, the layout of every file
    seen. A segment starting on the point the previous one ended on does not repeat
    it. Other N1 sub-types (arcs) are rejected rather than silently dropped.
    """

    def __init__(self, lines: Iterable[str], *, limits: PointLimits | None = None) -> None:
        self._lines = lines
        self._limits = limits or current_point_limits()
        self.header = FileHeader(format="p111")
        self.receivers: list[ReceiverRecord] = []
        """``R1`` receiver positions (an OBN preplot's nodes), filled as the iteration goes by."""

    def columns(self, size: int = 65_536) -> Iterator[PointColumns]:
        """The points in batches of ``size``, as columns."""
        return in_columns(self, size)

    def __iter__(self) -> Iterator[PreplotRecord]:
        header = self.header = FileHeader(format="p111")
        receivers = self.receivers = []
        receiver_plans: dict[str, _Plan] = {}
        state = _HeaderState(header, "N1")
        lines: dict[int, _PreplotLine] = {}
        roles_by_type: dict[int | None, _Roles] = {}
        seen_lines: set[int] = set()
        last: tuple[int, int] | None = None
        limits = self._limits
        made = 0

        for lineno, text in enumerate(self._lines, 1):
            if text.startswith(("S1,", "P1,", "M1,")):
                continue
            if text.startswith("R1,"):
                state.data_started = True
                if not _is_streamer_group(state, text):
                    receivers.append(_receiver(state, receiver_plans, text, lineno))
                continue
            if not text.startswith("N1,"):
                state.feed(text, lineno)
                continue
            state.data_started = True
            f = text.rstrip("\r\n").split(",")
            subtype = _field(f, 1)
            if subtype == "0":
                if len(f) < 7:
                    raise ParseError(lineno, f"N1 line record has {len(f)} fields, needs 7")
                index = _int(f, 3, lineno, "line index")
                line = _int(f, 4, lineno, "line number")
                type_text = _field(f, 2)
                lines[index] = _PreplotLine(line, int(type_text) if type_text.isdigit() else None)
                if line not in seen_lines:
                    seen_lines.add(line)
                    header.line_names.append(str(line))
                continue
            if subtype != "2":
                raise ParseError(lineno, f"N1 sub-type {subtype!r} not supported (0 line header, 2 straight segment)")
            if len(f) < _SEGMENT_FIELDS:
                # Writers drop trailing empty fields; the end point's grid (field 17) must be there.
                if len(f) < _SEGMENT_MIN_FIELDS:
                    raise ParseError(
                        lineno, f"N1 segment record has {len(f)} fields, needs at least {_SEGMENT_MIN_FIELDS}"
                    )
                f += [""] * (_SEGMENT_FIELDS - len(f))
            index = _int(f, 2, lineno, "line index")
            pline = lines.get(index)
            if pline is None:
                raise ParseError(lineno, f"N1 segment for line index {index}, which no N1 line record defines")
            roles = roles_by_type.get(pline.type_ref)
            if roles is None:
                roles = roles_by_type[pline.type_ref] = self._roles(state, pline.type_ref)
                state.describe_crs(roles)
            for record in _segment_points(f, pline.line, roles, lineno, limits):
                key = (record.line, record.point)
                if key != last:
                    made += 1
                    if made > limits.per_file:
                        check_file_points(made, limits, lineno)
                    yield record
                last = key

    @staticmethod
    def _roles(state: _HeaderState, type_ref: int | None) -> _Roles:
        ptype = state.preplot_types.get(type_ref) if type_ref is not None else None
        if ptype is not None and all(r is not None and r in state.crs for r in ptype.crsrefs):
            return state.roles(ptype.crsrefs, (8, 11), ptype.lineno)
        # No usable preplot type: the layout of every file seen, and the file's first
        # projected and geographic CRSs as the ones in use.
        roles = _Roles(easting=8, northing=9, lat=11, lon=12)
        for crs in state.crs.values():
            if crs.kind == _CRS_PROJECTED and roles.grid_epsg is None:
                roles.grid_epsg = crs.epsg
            elif crs.kind in _CRS_GEOGRAPHIC and roles.geographic_epsg is None:
                roles.geographic_epsg = crs.epsg
        return roles


def _segment_points(
    f: list[str], line: int, roles: _Roles, lineno: int, limits: PointLimits
) -> Iterator[PreplotRecord]:
    """All points of one straight N1 segment, made one at a time (at most ``limits.per_segment``)."""
    first = _int(f, 7, lineno, "start point")
    last = _int(f, 14, lineno, "end point")
    increment = abs(_opt_int(f, 6, lineno, "point increment") or 1)
    step = increment if last >= first else -increment
    shift = 7  # end tuples sit 7 fields after the start tuples

    def value(index: int, what: str) -> float | None:
        if index < 0:
            return None
        text = _field(f, index)
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise ParseError(lineno, f"bad {what} {text!r} in field {index + 1}") from None

    e0, n0 = value(roles.easting, "easting"), value(roles.northing, "northing")
    e1 = value(roles.easting + shift if roles.easting >= 0 else -1, "easting")
    n1 = value(roles.northing + shift if roles.northing >= 0 else -1, "northing")
    lat0, lon0 = value(roles.lat, "latitude"), value(roles.lon, "longitude")
    lat1 = value(roles.lat + shift if roles.lat >= 0 else -1, "latitude")
    lon1 = value(roles.lon + shift if roles.lon >= 0 else -1, "longitude")
    grid = None not in (e0, n0, e1, n1)

    span = last - first
    count = abs(span) // increment
    uneven = first + count * step != last  # the end point is off the increment: given as well
    check_segment_points(count + 1 + uneven, limits, lineno, first, last, increment)
    points: Iterable[int] = range(first, first + (count + 1) * step, step)
    if uneven:
        points = itertools.chain(points, (last,))
    for point in points:
        if point == first:
            yield PreplotRecord(lineno, line, point, e0, n0, lon0, lat0)
        elif point == last:
            yield PreplotRecord(lineno, line, point, e1, n1, lon1, lat1)
        elif grid:
            t = (point - first) / span
            yield PreplotRecord(
                lineno,
                line,
                point,
                e0 + t * (e1 - e0),  # type: ignore[operator]
                n0 + t * (n1 - n0),  # type: ignore[operator]
                None,
                None,
            )
        else:
            yield PreplotRecord(lineno, line, point, None, None, None, None)


def read_preplot(lines: Iterable[str], *, limits: PointLimits | None = None) -> PreplotReader:
    """Preplot points of a P1/11 file, streamed from ``lines`` (see PreplotReader)."""
    return PreplotReader(lines, limits=limits)
