"""A marine survey simulator with known truth.

Tests, the demo survey of ``make run`` and the benchmark need navigation files whose
content is known exactly: what a parser must return, which shots QC must flag.
Real files cannot be shipped, so this module builds a survey from a handful of
numbers and writes it in the formats Dougal ingests. Everything is deterministic:
the same arguments give the same files byte for byte (random noise comes from
``random.Random`` seeded by the survey seed and the sequence identity).

The model
    ``Survey`` is a rectangular grid of straight, parallel preplot lines in a
    projected CRS: ``num_lines`` lines numbered ``first_line``, ``first_line +
    line_step``…, ``line_spacing`` metres apart (each next line to the right of the
    azimuth), each with ``points_per_line`` points ``point_interval`` metres apart,
    starting at ``origin`` (easting, northing of ``first_point`` on ``first_line``)
    and running along ``azimuth_deg`` (clockwise from grid north). WGS 84 lon/lat come
    from ``geodesy``. The preplot is computed on demand, line by line, so a
    million-point survey costs no memory until written.

    ``Survey.sequence()`` shoots one line and returns a ``SequenceTruth``: every
    ``ShotRecord`` a reader must return (one per fired source per shot, in file
    order, ``lineno`` 0), the positions of the sources that did not fire and of the
    vessel (written as P1/V records, never shots), and the faults injected. The line
    name follows Dougal's online convention ``(10|20)LLLLASSS`` + ``S00000``
    (direction, line, attempt, sequence). Shots are ``shot_interval_s`` apart (plus
    up to ``jitter_ms`` of noise, whole milliseconds), positioned on the preplot
    point plus ``position_noise_m`` of noise, including run-in/run-out points beyond
    the preplot ends and leaving out ``missing`` points (the vessel keeps moving:
    time slots of missed shots stay empty). Flip-flop sources alternate by shot slot;
    ``simultaneous=True`` fires every source at every shot.

    Faults for QC work (``Fault``): ``shift`` (inline/crossline metres, in the
    shooting direction), ``duplicate`` (the shot recorded twice, half an interval
    apart), ``wrong_source`` (the other source fires), ``slow``/``fast`` (the
    interval before each affected shot is ``seconds`` longer/shorter, which delays or
    advances every later shot), ``gap`` (``count`` points not shot). Each injected
    fault is recorded in ``SequenceTruth.faults`` with the points it touched.

Writers
    ``write_p111``, ``write_p190``, ``write_sps_preplot``, ``write_p111_preplot`` and
    ``write_p190_preplot`` return the file as text or, given ``out`` (a text file
    object), write it there in chunks and return ``""``. They format with plain
    ``%`` templates in tight loops so the benchmark's million-point SPS preplot and
    ~100 MB P1/11 file take seconds.

Navigation headers
    ``nav_headers(truth)`` is what the vessel's navigation system emits while it
    shoots a sequence: one header per shot (time, the vessel's WGS 84 position, line
    name, point, speed, heading), optionally with offline headers (another line name)
    at the same interval before the first shot and after the last. ``feed_batches``
    groups them as the vessel forwards them, on a simulated clock: every ``step_s``
    simulated seconds, the headers whose time has come (no sleeping).

Dialects
    Real navigation systems write the same formats differently. ``dialect=`` makes a
    writer write the way one of them does (``DIALECTS``):

    * ``trinav``: integers as decimals (leap seconds ``18.0``, a UTC time reference
      with ``0.0``, counts ``3.000``), CRLF line ends; P1/90 names its grid only by
      ``H2600CRS EPSG Code …``.
    * ``seapro``: the grid CRS without EPSG code in the formal records, the code in
      a ``CC,1,0,0,CRS EPSG Code …`` comment; trailing empty fields dropped; a BOM.
    * ``spectra``: blank optional quality fields, ``\\u002C`` escapes in text;
      P1/90 sources by letter in column 18 (listed in ``H0103``) and an ``H0200``
      date span.
    * ``ed50-p190``: P1/90 lat/lon and UTM grid on ED50, ``H1400`` WGS 84,
      ``H1500`` ED50, ``H1600`` the shifts (EPSG 1311's parameters).
    * ``feet-grid``: the grid unit of a survey in a feet CRS (``feet_survey()``)
      declared as US survey feet (P1/11 unit and axes, P1/90 ``H2000``, SPS ``H20``).
    * ``obn``: ocean-bottom node positions as receiver records (P1/11 ``R1``,
      P1/90 ``R``, SPS ``R`` plus ``X`` relations).

    ``dialect_file()`` writes one file and returns it with its truth: the records
    and header facts a reader must report for it, coordinates as written (ED50
    numbers for ``ed50-p190``).
"""

from __future__ import annotations

import gc
import io
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO

from chalicelib import geodesy
from chalicelib.parsers.records import PreplotRecord, ReceiverRecord, ShotRecord

__all__ = [
    "DIALECTS",
    "FAULT_KINDS",
    "DialectFile",
    "Fault",
    "InjectedFault",
    "SequenceTruth",
    "ShotEvent",
    "Survey",
    "dialect_file",
    "feet_survey",
    "line_name",
    "obn_nodes",
    "write_p111",
    "write_p111_preplot",
    "write_p190",
    "write_p190_preplot",
    "write_sps_preplot",
]

FAULT_KINDS = ("shift", "duplicate", "wrong_source", "slow", "fast", "gap")
GPS_EPOCH = datetime(1980, 1, 6, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VESSEL_AHEAD_M = 250.0  # vessel reference point ahead of the sources
_CHUNK = 20_000  # lines per write
DIALECTS = ("trinav", "seapro", "spectra", "ed50-p190", "feet-grid", "obn")
# EPSG 1311, ED50 to WGS 84 (18), position vector: what ``ed50-p190`` files are written with.
ED50_TOWGS84 = (-89.5, -93.8, -123.1, 0.0, 0.0, -0.156, 1.2)
US_FOOT = 1200 / 3937
NODE_OBJREF = 20


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    A long sequence allocates hundreds of thousands of tuples and records that hold
    no reference cycles; left on, the collector rescans them over and over and
    doubles the time to build the truth.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def line_name(line: int, sequence: int, *, attempt: int = 0, direction: int = 1) -> str:
    """Dougal's online line name, e.g. ``1052100055S00000`` for line 5210, attempt 0, sequence 55."""
    return f"{10 if direction > 0 else 20}{line:04d}{attempt}{sequence:03d}S00000"


# --------------------------------------------------------------------------- survey


class Survey:
    """Preplot truth of a rectangular survey (see the module docstring)."""

    def __init__(
        self,
        *,
        grid_epsg: int = 32631,
        first_line: int = 5210,
        num_lines: int = 4,
        line_step: int = 2,
        line_spacing: float = 50.0,
        points_per_line: int = 200,
        first_point: int = 1000,
        point_interval: float = 25.0,
        origin: tuple[float, float] = (470000.0, 6560000.0),
        azimuth_deg: float = 60.0,
        seed: int = 1,
    ) -> None:
        if num_lines < 1 or points_per_line < 2 or line_step == 0:
            raise ValueError("a survey needs at least one line of two points and a non-zero line step")
        self.grid_epsg = grid_epsg
        self.first_line = first_line
        self.num_lines = num_lines
        self.line_step = line_step
        self.line_spacing = line_spacing
        self.points_per_line = points_per_line
        self.first_point = first_point
        self.last_point = first_point + points_per_line - 1
        self.point_interval = point_interval
        self.origin = origin
        self.azimuth_deg = azimuth_deg
        self.seed = seed
        self._sin = math.sin(math.radians(azimuth_deg))
        self._cos = math.cos(math.radians(azimuth_deg))

    @property
    def lines(self) -> list[int]:
        """Preplot line numbers, in order."""
        return [self.first_line + i * self.line_step for i in range(self.num_lines)]

    @property
    def num_points(self) -> int:
        return self.num_lines * self.points_per_line

    def position(self, line: float, point: float, inline: float = 0.0, crossline: float = 0.0) -> tuple[float, float]:
        """Grid (easting, northing) of a point, optionally moved inline/crossline (metres).

        Works for any point number, so run-in/run-out points beyond the preplot ends
        lie on the extension of the line.
        """
        along = (point - self.first_point) * self.point_interval + inline
        across = (line - self.first_line) / self.line_step * self.line_spacing + crossline
        x0, y0 = self.origin
        return (
            x0 + along * self._sin + across * self._cos,
            y0 + along * self._cos - across * self._sin,
        )

    def preplot_line(self, line: int) -> list[PreplotRecord]:
        """Every preplot point of one line, with WGS 84 lon/lat."""
        points = range(self.first_point, self.last_point + 1)
        grid = [self.position(line, p) for p in points]
        lons, lats = geodesy.grid_to_wgs84(self.grid_epsg, [g[0] for g in grid], [g[1] for g in grid])
        return [
            PreplotRecord(0, line, p, e, n, lon, lat)
            for p, (e, n), lon, lat in zip(points, grid, lons, lats, strict=True)
        ]

    def preplot(self) -> Iterator[PreplotRecord]:
        """Every preplot point of the survey, line by line."""
        for line in self.lines:
            yield from self.preplot_line(line)

    def line_ends(self, line: int) -> tuple[PreplotRecord, PreplotRecord]:
        """First and last preplot point of a line, with lon/lat."""
        ends = [(self.first_point, *self.position(line, self.first_point))]
        ends.append((self.last_point, *self.position(line, self.last_point)))
        lons, lats = geodesy.grid_to_wgs84(self.grid_epsg, [e[1] for e in ends], [e[2] for e in ends])
        first, last = (
            PreplotRecord(0, line, p, e, n, lon, lat) for (p, e, n), lon, lat in zip(ends, lons, lats, strict=True)
        )
        return first, last

    def sequence(
        self,
        sequence: int,
        line: int,
        *,
        start: datetime,
        attempt: int = 0,
        direction: int = 1,
        sources: Sequence[int] = (1, 2),
        simultaneous: bool = False,
        vessel_objref: int | None = None,
        shot_interval_s: float = 10.0,
        run_in: int = 0,
        run_out: int = 0,
        missing: Iterable[int] = (),
        first_point: int | None = None,
        last_point: int | None = None,
        leap_seconds: int = 18,
        faults: Iterable[Fault] = (),
        jitter_ms: int = 50,
        position_noise_m: float = 0.5,
    ) -> SequenceTruth:
        """Shoot ``line`` once and return what the files will contain (see the module docstring).

        ``first_point``/``last_point`` (shooting order) restrict the shot range, e.g.
        for a reshoot; by default it runs over the whole preplot line plus ``run_in``
        points before and ``run_out`` after, in the shooting ``direction``.
        """
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if not sources:
            raise ValueError("at least one source is needed")
        if direction not in (1, -1):
            raise ValueError("direction is +1 (increasing points) or -1")
        vessel = vessel_objref if vessel_objref is not None else max(sources) + 1
        if vessel in sources:
            raise ValueError("the vessel objref must differ from the source objrefs")
        if direction > 0:
            begin, end = self.first_point - run_in, self.last_point + run_out
        else:
            begin, end = self.last_point + run_in, self.first_point - run_out
        begin = first_point if first_point is not None else begin
        end = last_point if last_point is not None else end
        if (end - begin) * direction < 0:
            raise ValueError(f"points {begin}..{end} do not run in direction {direction}")
        points = list(range(begin, end + direction, direction))
        rng = random.Random(f"{self.seed}:{line}:{sequence}:{attempt}")
        name = line_name(line, sequence, attempt=attempt, direction=direction)

        by_point: dict[int, list[Fault]] = {}
        for fault in faults:
            if fault.kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {fault.kind!r}; use one of {FAULT_KINDS}")
            if fault.point not in points:
                raise ValueError(f"fault at point {fault.point}, which sequence {sequence} does not shoot")
            start_index = points.index(fault.point)
            for p in points[start_index : start_index + max(fault.count, 1)]:
                by_point.setdefault(p, []).append(fault)
        touched: dict[Fault, list[int]] = {}
        skipped = set(missing)

        with _bulk():
            # Shot events in time order with grid positions; lon/lat are added in one batch after.
            Position = tuple[int, float, float]
            plans: list[tuple[int, datetime, list[Position], list[Position], tuple[float, float]]] = []
            delay_ms = 0
            interval_ms = round(shot_interval_s * 1000)
            for slot, point in enumerate(points):
                here = by_point.get(point, [])
                kinds = {f.kind for f in here}
                for fault in here:
                    touched.setdefault(fault, []).append(point)
                    if fault.kind == "slow":
                        delay_ms += round(fault.seconds * 1000)
                    elif fault.kind == "fast":
                        delay_ms -= round(fault.seconds * 1000)
                if point in skipped or "gap" in kinds:
                    continue
                jitter = int(rng.random() * (2 * jitter_ms + 1)) - jitter_ms if jitter_ms else 0
                tstamp = start + timedelta(milliseconds=slot * interval_ms + delay_ms + jitter)
                if simultaneous:
                    fired_refs = list(sources)
                else:
                    turn = slot + (1 if "wrong_source" in kinds else 0)
                    fired_refs = [sources[turn % len(sources)]]
                inline = rng.gauss(0.0, position_noise_m) if position_noise_m else 0.0
                crossline = rng.gauss(0.0, position_noise_m) if position_noise_m else 0.0
                for fault in here:
                    if fault.kind == "shift":
                        inline += fault.inline_m
                        crossline += fault.crossline_m
                # Inline is along the shooting direction, crossline to its right.
                e, n = self.position(line, point, inline * direction, crossline * direction)
                fired = [(o, e, n) for o in fired_refs]
                idle = [(o, e, n) for o in sources if o not in fired_refs]
                ahead = self.position(line, point, (inline + VESSEL_AHEAD_M) * direction, crossline * direction)
                plans.append((point, tstamp, fired, idle, ahead))
                if "duplicate" in kinds:
                    plans.append((point, tstamp + timedelta(milliseconds=interval_ms // 2), fired, idle, ahead))

            eastings: list[float] = []
            northings: list[float] = []
            for _, _, fired, idle, ahead in plans:
                for _, e, n in (*fired, *idle, (0, *ahead)):
                    eastings.append(e)
                    northings.append(n)
            lons, lats = geodesy.grid_to_wgs84(self.grid_epsg, eastings, northings)

            events: list[ShotEvent] = []
            k = 0
            for point, tstamp, fired, idle, ahead in plans:
                shots = []
                for objref, e, n in fired:
                    shots.append(ShotRecord(0, name, line, point, objref, tstamp, e, n, lons[k], lats[k]))
                    k += 1
                idle_positions = []
                for objref, e, n in idle:
                    idle_positions.append((objref, e, n, lons[k], lats[k]))
                    k += 1
                events.append(ShotEvent(point, tstamp, tuple(shots), tuple(idle_positions), (*ahead, lons[k], lats[k])))
                k += 1

        injected = [
            InjectedFault(fault, tuple(points_), _describe(fault, points_, direction))
            for fault, points_ in touched.items()
        ]
        return SequenceTruth(
            survey=self,
            sequence=sequence,
            line=line,
            attempt=attempt,
            direction=direction,
            line_name=name,
            sources=tuple(sources),
            vessel_objref=vessel,
            leap_seconds=leap_seconds,
            shot_interval_s=shot_interval_s,
            events=events,
            faults=injected,
        )


def _describe(fault: Fault, points: Sequence[int], direction: int) -> str:
    where = f"point {points[0]}" if len(points) == 1 else f"points {points[0]}..{points[-1]}"
    if fault.kind == "shift":
        return f"{where} moved {fault.inline_m:+.1f} m inline, {fault.crossline_m:+.1f} m crossline"
    if fault.kind == "duplicate":
        return f"{where} recorded twice"
    if fault.kind == "wrong_source":
        return f"{where} fired by the wrong source of the flip-flop"
    if fault.kind in ("slow", "fast"):
        word = "longer" if fault.kind == "slow" else "shorter"
        return f"interval before {where} {fault.seconds:g} s {word}"
    return f"{where} not shot"


# --------------------------------------------------------------------------- truth


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault to inject into a simulated sequence (kinds in the module docstring).

    ``point`` is the first affected point and ``count`` how many consecutive shots
    (in shooting order) it affects.
    """

    kind: str
    point: int
    count: int = 1
    inline_m: float = 0.0
    crossline_m: float = 0.0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class InjectedFault:
    """A fault as injected: the request, the points it touched and a description."""

    fault: Fault
    points: tuple[int, ...]
    description: str

    @property
    def kind(self) -> str:
        return self.fault.kind


@dataclass(frozen=True, slots=True)
class ShotEvent:
    """One shot: the fired source records, the idle sources and the vessel (e, n, lon, lat)."""

    point: int
    tstamp: datetime
    fired: tuple[ShotRecord, ...]
    idle: tuple[tuple[int, float, float, float, float], ...]
    vessel: tuple[float, float, float, float]


@dataclass(slots=True)
class SequenceTruth:
    """Everything a simulated sequence's files contain, for tests to compare against."""

    survey: Survey
    sequence: int
    line: int
    attempt: int
    direction: int
    line_name: str
    sources: tuple[int, ...]
    vessel_objref: int
    leap_seconds: int
    shot_interval_s: float
    events: list[ShotEvent]
    faults: list[InjectedFault] = field(default_factory=list)

    @property
    def shots(self) -> list[ShotRecord]:
        """Every ShotRecord a reader must return, in file order (``lineno`` 0)."""
        return [shot for event in self.events for shot in event.fired]

    @property
    def points(self) -> list[int]:
        """Shot points in shooting order (a duplicated shot appears twice)."""
        return [event.point for event in self.events]


# --------------------------------------------------------------------------- output


class _Sink:
    """Collect lines and flush them in chunks, to a file object or to a string."""

    def __init__(self, out: TextIO | None, newline: str = "\n", bom: bool = False) -> None:
        self._out = out if out is not None else io.StringIO()
        self._own = out is None
        self._lines: list[str] = []
        self._newline = newline
        if bom:
            self._out.write("\ufeff")

    def add(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= _CHUNK:
            self.flush()

    def extend(self, lines: Iterable[str]) -> None:
        self._lines.extend(lines)
        if len(self._lines) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._out.write(self._newline.join(self._lines))
            self._out.write(self._newline)
            self._lines = []

    def result(self) -> str:
        self.flush()
        return self._out.getvalue() if self._own and isinstance(self._out, io.StringIO) else ""


class _FixingSink:
    """A sink that rewrites every data record the way a dialect's writer does."""

    def __init__(self, sink: _Sink, fix: Callable[[str], str]) -> None:
        self._sink = sink
        self._fix = fix

    def add(self, line: str) -> None:
        self._sink.add(self._fix(line))

    def extend(self, lines: Iterable[str]) -> None:
        self._sink.extend(self._fix(line) for line in lines)

    def result(self) -> str:
        return self._sink.result()


def _pad(description: str) -> str:
    """P1/11 header descriptions are left-justified and padded to 50 characters."""
    return f"{description:<50}"


def _hc(key: str, description: str, *values: object) -> str:
    return f"{key},{_pad(description)}," + ",".join("" if v is None else str(v) for v in values)


def _check_dialect(dialect: str | None, allowed: tuple[str, ...], writer: str) -> None:
    if dialect is not None and dialect not in allowed:
        raise ValueError(f"{writer} writes no dialect {dialect!r}; it writes {', '.join(allowed)}")


def _grid_unit_of(epsg: int) -> str:
    """'metre', 'foot' or 'US survey foot': the unit of a projected CRS's axes."""
    from pyproj import CRS

    name = (CRS.from_epsg(epsg).axis_info[0].unit_name or "metre").lower()
    if "us survey" in name:
        return "US survey foot"
    return "foot" if "foot" in name else "metre"


def _p111_crs_header(epsg: int, dialect: str | None = None) -> list[str]:
    """Units, CRS and axis records: CRS 1 = WGS 84 (lat, lon), CRS 2 = the grid (E, N)."""
    lines = _p111_crs_records(epsg)
    if dialect == "seapro":
        # The grid CRS by name only; its code goes into a comment.
        lines = [
            line.replace(f",2,{epsg},EPSG\\u003A{epsg},", ",2,,UTM grid,").replace(
                f",2,{epsg},1,projected,EPSG\\u003A{epsg}", ",2,,1,projected,UTM grid"
            )
            for line in lines
        ]
        lines.insert(0, f"CC,1,0,0,CRS EPSG Code {epsg}")
    if dialect == "feet-grid":
        unit = _grid_unit_of(epsg)
        if unit == "metre":
            raise ValueError(f"the feet-grid dialect needs a survey in a feet CRS (feet_survey()), not EPSG:{epsg}")
        a, b = (1200, 3937) if unit == "US survey foot" else (0.3048, 1)
        lines.insert(3, _hc("HC,1,1,0", "Unit of Measure", 4, unit, "length", 2, 1, 0, a, b, 0, unit, "", "", ""))
        lines = [
            line.replace(",1,metre", f",4,{unit}") if line.startswith("HC,1,6,1") and ",2,1,9906," in line else line
            for line in lines
        ]
        lines = [
            line.replace(",1,metre", f",4,{unit}") if line.startswith("HC,1,6,1") and ",2,2,9907," in line else line
            for line in lines
        ]
    return lines


def _p111_crs_records(epsg: int) -> list[str]:
    return [
        _hc("HC,1,1,0", "Unit of Measure", 1, "metre", "length", 2, 1, 0, 1, 1, 0, "metre", 9001, "EPSG", ""),
        _hc("HC,1,1,0", "Unit of Measure", 2, "degree", "angle", 2, 2, 0, 1, 1, 0, "degree", 9122, "EPSG", ""),
        _hc("HC,1,1,0", "Unit of Measure", 3, "second", "time", 2, 3, 0, 1, 1, 0, "second", 1040, "EPSG", ""),
        _hc(
            "HC,1,3,0",
            "CRS Number/EPSG Code/Name/Source",
            1,
            4326,
            "WGS 84",
            "10.0",
            "2021:01:01",
            "EPSG",
            "",
        ),
        _hc("HC,1,4,0", "CRS Number/EPSG Code/Type/Name", 1, 4326, 2, "geographic 2D", "WGS 84"),
        _hc("HC,1,6,0", "Coordinate System", 1, 6422, "Ellipsoidal 2D CS", 3, "ellipsoidal", 2),
        _hc(
            "HC,1,6,1",
            "Coordinate System Axis 1",
            1,
            1,
            9901,
            "Geodetic latitude",
            "north",
            "Lat",
            2,
            "degree",
        ),
        _hc(
            "HC,1,6,1",
            "Coordinate System Axis 2",
            1,
            2,
            9902,
            "Geodetic longitude",
            "east",
            "Lon",
            2,
            "degree",
        ),
        _hc(
            "HC,1,3,0",
            "CRS Number/EPSG Code/Name/Source",
            2,
            epsg,
            f"EPSG\\u003A{epsg}",
            "10.0",
            "",
            "EPSG",
            "",
        ),
        _hc("HC,1,4,0", "CRS Number/EPSG Code/Type/Name", 2, epsg, 1, "projected", f"EPSG\\u003A{epsg}"),
        _hc("HC,1,4,3", "Base Geographic CRS", 2, 1, 4326, "WGS 84"),
        _hc("HC,1,6,0", "Coordinate System", 2, 4400, "Cartesian 2D CS", 2, "Cartesian", 2),
        _hc("HC,1,6,1", "Coordinate System Axis 1", 2, 1, 9906, "Easting", "east", "E", 1, "metre"),
        _hc("HC,1,6,1", "Coordinate System Axis 2", 2, 2, 9907, "Northing", "north", "N", 1, "metre"),
    ]


def _p111_id(name: str, written: datetime) -> str:
    return f"OGP,OGP P1,1,1.1,1,{written:%Y:%m:%d},{written:%H:%M:%S},{name},Dougal simulator"


def _time_writer(time_system: str, leap_seconds: int) -> tuple[list[str], Callable[[datetime], str]]:
    """Header lines for the time reference and a function formatting a tstamp for it."""
    if time_system in ("gps", "unix"):
        gps = time_system == "gps"
        epoch = GPS_EPOCH if gps else UNIX_EPOCH
        offset_us = leap_seconds * 1_000_000 if gps else 0
        header = [
            _hc(
                "HC,1,2,0",
                "Time Reference System",
                1,
                2 if gps else 1,
                leap_seconds,
                "GPS" if gps else "UTC",
                1,
                f"{epoch:%Y:%m:%d}",
                3,
            ),
        ]
        if gps:
            example = datetime(2021, 1, 1, tzinfo=UTC)
            seconds = (example - GPS_EPOCH).total_seconds() + leap_seconds
            header.append(
                _hc(
                    "HC,1,2,1",
                    "Example Time Conversion",
                    1,
                    1,
                    f"{seconds:.3f}",
                    0,
                    f"{example:%Y:%m:%d:%H:%M:%S}",
                )
            )

        def fmt(t: datetime) -> str:
            delta = t - epoch
            us = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds + offset_us
            return f"{us // 1_000_000}.{us % 1_000_000:06d}"

        return header, fmt
    if time_system in ("datetime", "doy"):
        code = 11 if time_system == "datetime" else 12
        header = [
            _hc(
                "HC,1,1,0",
                "Unit of Measure",
                4,
                "date time",
                "time",
                code,
                3,
                0,
                1,
                1,
                0,
                "date time",
                "",
                "",
                "",
            ),
            _hc("HC,1,2,0", "Time Reference System", 1, 1, leap_seconds, "UTC", 0, "", 4),
        ]
        pattern = "%Y:%m:%d:%H:%M:%S" if time_system == "datetime" else "%Y:%j:%H:%M:%S"

        def fmt_text(t: datetime) -> str:
            return f"{t.strftime(pattern)}.{t.microsecond:06d}"

        return header, fmt_text
    raise ValueError(f"unknown time system {time_system!r}; use 'gps', 'unix', 'datetime' or 'doy'")


_QUALITY = "1.20,0.90,45.0,,"


def _position_record(
    rid: str,
    name: str,
    line: int,
    point: int,
    time: str,
    objref: int,
    objname: str,
    e: float,
    n: float,
    lon: float,
    lat: float,
) -> str:
    return (
        f"{rid},0,{name},{line},{point},{point},1,{time},{objref},{objname},1,,"
        f"{e:.2f},{n:.2f},,{lat:.9f},{lon:.9f},,{lat:.9f},{lon:.9f},,{_QUALITY},"
    )


def _object_names(truth: SequenceTruth) -> dict[int, str]:
    names = {objref: f"G{i + 1}" for i, objref in enumerate(truth.sources)}
    names[truth.vessel_objref] = "VESSEL"
    return names


def _preplot_segments(survey: Survey, line: int, index: int, segments: int) -> list[str]:
    """N1 line header and straight segments (sharing their joining points) for one line."""
    bounds = [survey.first_point + round(k * (survey.points_per_line - 1) / segments) for k in range(segments + 1)]
    grid = [survey.position(line, p) for p in bounds]
    lons, lats = geodesy.grid_to_wgs84(survey.grid_epsg, [g[0] for g in grid], [g[1] for g in grid])
    records = [f"N1,0,1,{index},{line},{survey.first_point},{survey.last_point},"]
    for k in range(segments):
        (e0, n0), (e1, n1) = grid[k], grid[k + 1]
        records.append(
            f"N1,2,{index},{k + 1},1,{survey.point_interval:.4f},1,{bounds[k]},{e0:.3f},{n0:.3f},,"
            f"{lats[k]:.9f},{lons[k]:.9f},,{bounds[k + 1]},{e1:.3f},{n1:.3f},,"
            f"{lats[k + 1]:.9f},{lons[k + 1]:.9f},,"
        )
    return records


def _numbers_as_decimals(line: str) -> str:
    """TRINAV's way with header counts and references: ``3`` → ``3.000`` in the summary and PRT."""
    if line.startswith(("HC,1,0,0", "H1,1,0,0")):
        fields = line.split(",")
        decimals = ".000" if line.startswith("HC") else ".0"
        return ",".join(fields[:5] + [f"{v}{decimals}" if v.isdigit() else v for v in fields[5:]])
    return line


def _p111_time_dialect(header: list[str], dialect: str | None) -> list[str]:
    if dialect != "trinav":
        return header
    out = []
    for line in header:
        if line.startswith("HC,1,2,0"):
            fields = line.split(",")
            fields[7] = f"{fields[7]}.0"
            out.append(",".join(fields))
            out.append(_hc("HC,1,2,0", "Time Reference System", 2, 1, "0.0", "UTC", 1, "1970:01:01", 3))
        else:
            out.append(line)
    return out


def _p111_record_dialect(dialect: str | None) -> Callable[[str], str] | None:
    if dialect == "seapro":
        return lambda record: record.rstrip(",")
    if dialect == "spectra":
        return lambda record: record.replace(_QUALITY, ",,,,")
    return None


def write_p111(
    truth: SequenceTruth,
    *,
    kind: str = "final",
    time_system: str = "gps",
    dialect: str | None = None,
    nodes: Sequence[ReceiverRecord] | None = None,
    out: TextIO | None = None,
) -> str:
    """The sequence as a P1/11 post-plot (see the module docstring for ``out``).

    Per shot: an S1 record for each fired source, P1 records for the idle sources
    and the vessel. The header declares everything a reader must resolve (time
    reference, CRSs with axes, PRT, objects); the file ends with the line's N1
    preplot records and M1 perimeter records, which are not shots.
    """
    if kind not in ("raw", "final"):
        raise ValueError("kind is 'raw' or 'final'")
    _check_dialect(dialect, ("trinav", "seapro", "spectra", "feet-grid", "obn"), "write_p111")
    survey = truth.survey
    first = truth.events[0].tstamp if truth.events else datetime(2021, 1, 1, tzinfo=UTC)
    time_header, fmt_time = _time_writer(time_system, truth.leap_seconds)
    time_header = _p111_time_dialect(time_header, dialect)
    names = _object_names(truth)
    fix = _p111_record_dialect(dialect)
    sink = _Sink(out, "\r\n" if dialect == "trinav" else "\n", bom=dialect == "seapro")
    sink.add(_p111_id(f"{truth.sequence:03d}.{truth.line_name}.p111", first))
    project = "Simulated survey\\u002C North Sea" if dialect == "spectra" else "Simulated survey"
    header = [
        _hc("HC,0,1,0", "Project Name", "SIM", project, f"{first:%Y:%m:%d}", ""),
        _hc("HC,0,2,0", "Survey Description", "3D", f"1 vessel {len(truth.sources)} sources", "North Sea"),
        _hc("HC,0,4,0", "Client", "Equinor"),
        _hc("HC,0,5,0", "Geophysical Contractor", "Dougal simulator"),
        _hc("HC,1,0,0", "Reference Systems Summary", 4, 1, 2, 0),
        *_p111_crs_header(survey.grid_epsg, dialect),
        *time_header,
        _hc("HC,2,0,0", "Survey Configuration", 1, 1, len(names), 1, "metre"),
        *(_node_object() if dialect == "obn" else []),
        _hc(
            "HC,2,3,0",
            "Vessel",
            truth.vessel_objref,
            "VESSEL",
            1,
            "Vessel",
            "",
            "",
            "",
            0,
            0,
            0,
            "CRP",
            "",
        ),
        *(
            _hc(
                "HC,2,3,0",
                f"Gun Array {i + 1}",
                objref,
                names[objref],
                4,
                "Air Gun Array",
                "",
                "",
                truth.vessel_objref,
                0,
                -VESSEL_AHEAD_M,
                -6,
                "Centre of Source",
                "",
            )
            for i, objref in enumerate(truth.sources)
        ),
        _hc(
            "H1,0,0,0",
            "File Contents Description",
            "Final Positions" if kind == "final" else "Raw Positions",
            "Dougal simulator",
        ),
        _hc("H1,0,2,0", "Sequence(s) in P1/11 file", 1, truth.sequence, "", ""),
        _hc("H1,1,0,0", "Position Record Type Definition", 1, 2, 1, 1, 1, 1, 0, ""),
        _hc("H1,1,0,1", "Position Record Quality Definition", 1, 95, "Absolute Error Ellipses", 1, 2, ""),
        _hc("H1,4,0,0", "Preplot Record Type Definition", 1, "", "", "", "Sail line", 2, 1, ""),
        _hc("H1,5,0,0", "Survey Perimeter Definition", 1, "Full fold", 2, 1, "", "", ""),
        f"CC,1,0,0,LINENAME = {truth.line_name}",
        f"CC,1,0,0,LINE SEQUENCE NUMBER = {truth.sequence}",
    ]
    if dialect == "trinav":
        header = [_numbers_as_decimals(h) for h in header]
    sink.extend(header)
    if dialect == "obn":
        sink.extend(_p111_node_records(obn_nodes(survey) if nodes is None else nodes))
    name, line = truth.line_name, truth.line
    vessel = truth.vessel_objref
    if fix is not None:
        sink = _FixingSink(sink, fix)  # type: ignore[assignment]
    for event in truth.events:
        time = fmt_time(event.tstamp)
        point = event.point
        for s in event.fired:
            sink.add(
                _position_record(
                    "S1",
                    name,
                    line,
                    point,
                    time,
                    s.objref,
                    names[s.objref],
                    s.easting or 0.0,
                    s.northing or 0.0,
                    s.lon or 0.0,
                    s.lat or 0.0,
                )
            )
        for objref, e, n, lon, lat in event.idle:
            sink.add(_position_record("P1", name, line, point, time, objref, names[objref], e, n, lon, lat))
        ve, vn, vlon, vlat = event.vessel
        sink.add(_position_record("P1", name, line, point, time, vessel, "VESSEL", ve, vn, vlon, vlat))
    sink.extend(_preplot_segments(survey, line, 1, 1))
    sink.extend(_perimeter(survey))
    return sink.result()


def feet_survey(**kwargs: object) -> Survey:
    """A Gulf of Mexico survey on NAD27 / Texas South Central, a grid in US survey feet (for ``feet-grid``).

    Distances are in the grid's unit: 82 ft between points (25 m), 164 ft between lines.
    """
    settings: dict[str, object] = {
        "grid_epsg": 32040,
        "origin": (3284562.3, 264371.0),
        "point_interval": 82.0,
        "line_spacing": 164.0,
    }
    settings.update(kwargs)
    return Survey(**settings)  # type: ignore[arg-type]


def obn_nodes(survey: Survey, *, lines: int = 2, per_line: int = 5, depth: float = 95.0) -> list[ReceiverRecord]:
    """Ocean-bottom nodes laid across the survey: receiver lines 9001, 9003… at every tenth preplot point.

    Each node lies half a line spacing to the right of a source line; its name is
    ``N<line><point>``; positions are rounded to what the formats write (0.1 m).
    """
    records = []
    grid = []
    for k in range(lines):
        for i in range(per_line):
            point = survey.first_point + i * 10
            e, n = survey.position(survey.first_line, point, crossline=(k + 0.5) * survey.line_spacing)
            grid.append((9001 + 2 * k, 101 + i, round(e, 1), round(n, 1)))
    lons, lats = geodesy.grid_to_wgs84(survey.grid_epsg, [g[2] for g in grid], [g[3] for g in grid])
    for (line, point, e, n), lon, lat in zip(grid, lons, lats, strict=True):
        records.append(ReceiverRecord(0, line, point, f"N{line}{point:04d}", NODE_OBJREF, None, e, n, lon, lat, depth))
    return records


def _node_object() -> list[str]:
    return [_hc("HC,2,3,0", "Ocean Bottom Node", NODE_OBJREF, "NODE", 13, "Node", "", "", "", 0, 0, 0, "Node", "")]


def _p111_node_records(nodes: Sequence[ReceiverRecord]) -> list[str]:
    return [
        f"R1,0,R{r.line},{r.line},{r.point},{r.point},1,,{NODE_OBJREF},NODE,1,{r.node},"
        f"{r.easting:.2f},{r.northing:.2f},{r.depth:.1f},{r.lat:.9f},{r.lon:.9f},,,,,{_QUALITY},"
        for r in nodes
    ]


def _perimeter(survey: Survey) -> list[str]:
    lines = survey.lines
    corners = [
        (lines[0], survey.first_point),
        (lines[0], survey.last_point),
        (lines[-1], survey.last_point),
        (lines[-1], survey.first_point),
        (lines[0], survey.first_point),
    ]
    grid = [survey.position(line, point) for line, point in corners]
    lons, lats = geodesy.grid_to_wgs84(survey.grid_epsg, [g[0] for g in grid], [g[1] for g in grid])
    return [
        f"M1,0,1,,{k + 1},{'' if k == len(grid) - 1 else 1},{e:.3f},{n:.3f},,{lat:.9f},{lon:.9f},,"
        for k, ((e, n), lon, lat) in enumerate(zip(grid, lons, lats, strict=True))
    ]


def write_p111_preplot(
    survey: Survey,
    *,
    segments_per_line: int = 1,
    dialect: str | None = None,
    nodes: Sequence[ReceiverRecord] | None = None,
    out: TextIO | None = None,
) -> str:
    """The survey's preplot as P1/11 N1 records: one line header and straight segments per line.

    With ``segments_per_line`` > 1 a line is cut into collinear segments that share
    their joining points, to exercise multi-segment reading.
    """
    if segments_per_line < 1 or segments_per_line >= survey.points_per_line:
        raise ValueError("segments_per_line must be between 1 and points_per_line - 1")
    _check_dialect(dialect, ("trinav", "seapro", "spectra", "feet-grid", "obn"), "write_p111_preplot")
    sink = _Sink(out, "\r\n" if dialect == "trinav" else "\n", bom=dialect == "seapro")
    sink.add(_p111_id("preplot.p111", datetime(2021, 1, 1, tzinfo=UTC)))
    project = "Simulated survey\\u002C North Sea" if dialect == "spectra" else "Simulated survey"
    header = [
        _hc("HC,0,1,0", "Project Name", "SIM", project, "", ""),
        _hc("HC,1,0,0", "Reference Systems Summary", 3, 0, 2, 0),
        *_p111_crs_header(survey.grid_epsg, dialect),
        _hc("H1,0,0,0", "File Contents Description", "Preplots", "Dougal simulator"),
        _hc("H1,4,0,0", "Preplot Record Type Definition", 1, "", "", "", "Sail line", 2, 1, ""),
    ]
    if dialect == "obn":
        header += [
            _hc("HC,1,2,0", "Time Reference System", 1, 1, 0, "UTC", 1, "1970:01:01", 3),
            *_node_object(),
            _hc("H1,1,0,0", "Position Record Type Definition", 1, 2, 1, 1, 1, 1, 0, ""),
        ]
    if dialect == "trinav":
        header = [_numbers_as_decimals(h) for h in header]
    sink.extend(header)
    if dialect == "obn":
        sink.extend(_p111_node_records(obn_nodes(survey) if nodes is None else nodes))
    fix = _p111_record_dialect(dialect)
    target = _FixingSink(sink, fix) if fix is not None else sink
    for index, line in enumerate(survey.lines, 1):
        target.extend(_preplot_segments(survey, line, index, segments_per_line))
    return target.result()


# --------------------------------------------------------------------------- P1/90


def _dms(value: float, positive: str, negative: str, degree_digits: int) -> str:
    """Signed degrees → ``DDMMSS.ssH``, rounding on hundredths of a second (no 60.00)."""
    hundredths = round(abs(value) * 360000)
    degrees, rest = divmod(hundredths, 360000)
    minutes, rest = divmod(rest, 6000)
    return f"{degrees:0{degree_digits}d}{minutes:02d}{rest // 100:02d}.{rest % 100:02d}" + (
        negative if value < 0 else positive
    )


def _p190_header(
    survey: Survey,
    date: datetime | None,
    sources: int,
    dialect: str | None = None,
    end: datetime | None = None,
    letters: Sequence[str] = (),
) -> list[str]:
    def h(code: str, description: str, data: str) -> str:
        return f"H{code}{description:<27.27}{data:<48.48}"

    epsg = survey.grid_epsg
    source_text = "  ".join(f"{letter} ARRAY{i + 1}" for i, letter in enumerate(letters))
    records = [
        h("0100", "SURVEY AREA", "NORTH SEA SIMULATED SURVEY"),
        h("0102", "VESSEL DETAILS", "DOUGAL SIMULATOR 1"),
        h("0103", "SOURCE DETAILS", source_text or f"{sources} AIR GUN ARRAYS"),
    ]
    if date is not None:
        if dialect == "spectra" and end is not None:
            span = f"{date:%d %b %Y} - {end + timedelta(days=1):%d %b %Y}".upper()
            records.append(h("0200", "DATE OF SURVEY", span))
        else:
            records.append(h("0200", "DATE OF SURVEY", f"{date:%d.%m.%Y}"))
    wgs84 = "WGS84       WGS 84       6378137.000 298.2572236"
    plotted = "ED50        INTL 1924    6378388.000 297.0000000" if dialect == "ed50-p190" else wgs84
    records += [
        h("0300", "CLIENT", "EQUINOR"),
        h("0400", "GEOPHYSICAL CONTRACTOR", "DOUGAL SIMULATOR"),
        h("1000", "CLOCK TIME", "GMT"),
        h("1400", "GEODETIC DATUM AS SURVEYED", wgs84),
        h("1500", "GEODETIC DATUM AS PLOTTED", plotted),
    ]
    if dialect == "ed50-p190":
        shifts = " ".join(f"{-v:.3f}" for v in ED50_TOWGS84)
        records.append(h("1600", "DATUM SHIFTS 1400-1500", shifts))
    utm = 32601 <= epsg <= 32660 or 32701 <= epsg <= 32760
    if dialect == "trinav":
        records.append(h("1800", "PROJECTION", "TRANSVERSE MERCATOR"))
    elif utm:
        records += [
            h("1800", "PROJECTION", "UNIVERSAL TRANSVERSE MERCATOR"),
            h("1900", "ZONE", f"{epsg % 100} {'N' if epsg < 32700 else 'S'}"),
        ]
    else:
        records.append(h("1800", "PROJECTION", f"EPSG {epsg}"))
    unit = _grid_unit_of(epsg) if dialect == "feet-grid" else "metre"
    records.append(h("2000", "GRID UNITS", {"metre": "METRES", "foot": "FEET"}.get(unit, "US SURVEY FEET")))
    if dialect == "trinav":
        records.append(f"H2600CRS EPSG Code {epsg}")
    return records


def _ed50(survey: Survey, lons: Sequence[float], lats: Sequence[float]) -> tuple[list[float], ...]:
    """WGS 84 lon/lat → ED50 lat, lon, UTM easting, northing (EPSG 1311 inverted, the survey's UTM zone)."""
    from pyproj import CRS, Transformer

    zone = survey.grid_epsg % 100
    if not (32628 <= survey.grid_epsg <= 32638):
        raise ValueError(
            f"the ed50-p190 dialect needs a survey on WGS 84 / UTM zones 28N-38N, not EPSG:{survey.grid_epsg}"
        )
    towgs84 = ",".join(str(v) for v in ED50_TOWGS84)
    ed50 = CRS.from_proj4(f"+proj=longlat +ellps=intl +towgs84={towgs84} +no_defs")
    utm = CRS.from_proj4(f"+proj=utm +zone={zone} +ellps=intl +towgs84={towgs84} +no_defs")
    to_ed50 = Transformer.from_crs("EPSG:4326", ed50, always_xy=True)
    to_grid = Transformer.from_crs(ed50, utm, always_xy=True)
    lon_ed, lat_ed = to_ed50.transform(list(lons), list(lats))
    e_ed, n_ed = to_grid.transform(lon_ed, lat_ed)
    return list(lat_ed), list(lon_ed), list(e_ed), list(n_ed)


def _p190_receivers(nodes: Sequence[ReceiverRecord]) -> list[str]:
    """P1/90 ``R`` records, three nodes a record: group (the node's point), easting, northing, depth; cable 1."""
    records = []
    for k in range(0, len(nodes), 3):
        body = "".join(f"{r.point:4d}{r.easting:9.1f}{r.northing:9.1f}{r.depth:4.1f}" for r in nodes[k : k + 3])
        records.append(f"R{body:<78}1")
    return records


def _p190_position(
    rid: str,
    name: str,
    vessel: str,
    source: str,
    point: int,
    lat: float,
    lon: float,
    e: float,
    n: float,
    tail: str,
) -> str:
    if not (0 <= e < 1e8 and 0 <= n < 1e8):
        raise ValueError(f"easting/northing {e:.1f}/{n:.1f} does not fit P1/90's F9.1 columns")
    return (
        f"{rid}{name:<12.12}   {vessel}{source} {point:6d}{_dms(lat, 'N', 'S', 2)}{_dms(lon, 'E', 'W', 3)}"
        f"{e:9.1f}{n:9.1f}{tail}"
    )


def write_p190(
    truth: SequenceTruth,
    *,
    dialect: str | None = None,
    nodes: Sequence[ReceiverRecord] | None = None,
    out: TextIO | None = None,
) -> str:
    """The sequence as an 80-column P1/90 post-plot.

    Per shot an S record per fired source (source id = objref in column 18) and a V
    record for the vessel. The line name is the online name cut to P1/90's 12
    columns; ``H0200`` carries the date of the first shot; times are cut to the
    second (P1/90 has no fractions).
    """
    _check_dialect(dialect, ("trinav", "spectra", "ed50-p190", "feet-grid", "obn"), "write_p190")
    for objref in truth.sources:
        if not 0 <= objref <= 9:
            raise ValueError(f"objref {objref} does not fit P1/90's one-column source id")
    sink = _Sink(out, "\r\n" if dialect == "trinav" else "\n")
    first = truth.events[0].tstamp if truth.events else None
    last = truth.events[-1].tstamp if truth.events else None
    letters = _source_letters(truth) if dialect == "spectra" else {}
    sink.extend(
        _p190_header(
            truth.survey,
            first,
            len(truth.sources),
            dialect,
            last,
            [letters[o] for o in truth.sources] if letters else [],
        )
    )
    if dialect == "obn":
        sink.extend(_p190_receivers(obn_nodes(truth.survey) if nodes is None else nodes))
    name = truth.line_name[:12]
    if dialect == "ed50-p190":
        _write_p190_ed50(truth, sink, name)
        return sink.result()
    for event in truth.events:
        t = event.tstamp
        when = f"{t.timetuple().tm_yday:3d}{t.hour:02d}{t.minute:02d}{t.second:02d} "
        tail = "   6.0" + when
        for s in event.fired:
            sink.add(
                _p190_position(
                    "S",
                    name,
                    "1",
                    letters.get(s.objref, str(s.objref)),
                    s.point,
                    s.lat or 0.0,
                    s.lon or 0.0,
                    s.easting or 0.0,
                    s.northing or 0.0,
                    tail,
                )
            )
        ve, vn, vlon, vlat = event.vessel
        sink.add(_p190_position("V", name, "1", " ", event.point, vlat, vlon, ve, vn, "   0.0" + when))
    return sink.result()


def _source_letters(truth: SequenceTruth) -> dict[int, str]:
    """Spectra's source letters: A, B, … in the order the sources are listed."""
    return {objref: "ABCDEFGHIJ"[i] for i, objref in enumerate(truth.sources)}


def _write_p190_ed50(truth: SequenceTruth, sink: _Sink, name: str) -> None:
    """S and V records with ED50 lat/lon and ED50 UTM grid coordinates."""
    lons: list[float] = []
    lats: list[float] = []
    for event in truth.events:
        for s in event.fired:
            lons.append(s.lon or 0.0)
            lats.append(s.lat or 0.0)
        lons.append(event.vessel[2])
        lats.append(event.vessel[3])
    lat_ed, lon_ed, e_ed, n_ed = _ed50(truth.survey, lons, lats)
    k = 0
    for event in truth.events:
        t = event.tstamp
        when = f"{t.timetuple().tm_yday:3d}{t.hour:02d}{t.minute:02d}{t.second:02d} "
        for s in event.fired:
            sink.add(
                _p190_position(
                    "S", name, "1", str(s.objref), s.point, lat_ed[k], lon_ed[k], e_ed[k], n_ed[k], "   6.0" + when
                )
            )
            k += 1
        sink.add(
            _p190_position("V", name, "1", " ", event.point, lat_ed[k], lon_ed[k], e_ed[k], n_ed[k], "   0.0" + when)
        )
        k += 1


def write_p190_preplot(
    survey: Survey,
    *,
    endpoints_only: bool = True,
    dialect: str | None = None,
    nodes: Sequence[ReceiverRecord] | None = None,
    out: TextIO | None = None,
) -> str:
    """The survey's preplot as P1/90 V records: line ends only (as SeaPro does) or every point."""
    _check_dialect(dialect, ("trinav", "ed50-p190", "feet-grid", "obn"), "write_p190_preplot")
    sink = _Sink(out, "\r\n" if dialect == "trinav" else "\n")
    sink.extend(_p190_header(survey, None, 0, dialect))
    if dialect == "obn":
        sink.extend(_p190_receivers(obn_nodes(survey) if nodes is None else nodes))
    blank = " " * 16
    for line in survey.lines:
        records = survey.line_ends(line) if endpoints_only else survey.preplot_line(line)
        if dialect == "ed50-p190":
            lat_ed, lon_ed, e_ed, n_ed = _ed50(survey, [r.lon or 0.0 for r in records], [r.lat or 0.0 for r in records])
            records = [
                PreplotRecord(0, r.line, r.point, e_ed[i], n_ed[i], lon_ed[i], lat_ed[i]) for i, r in enumerate(records)
            ]
        sink.extend(
            _p190_position(
                "V",
                str(line),
                " ",
                " ",
                r.point,
                r.lat or 0.0,
                r.lon or 0.0,
                r.easting or 0.0,
                r.northing or 0.0,
                blank,
            )
            for r in records
        )
    return sink.result()


# --------------------------------------------------------------------------- SPS


_SPS21_HEADER = [
    "H00 SPS format version num.     SPS V2.1 revised Jan, 2006;",
    "H01 Description of survey area  Simulated survey, North Sea;",
    "H02 Date of survey              ;",
    "H13 Geodetic Coordinate System  EPSG:{epsg};",
    "H20 Map grid unit               Metres;",
    "H26 Dougal simulator preplot",
]
_SPS1_HEADER = [
    "H000SPS format version num.     SPS001;",
    "H010Description of survey area  Simulated survey, North Sea;",
    "H013Geodetic Coordinate System  EPSG:{epsg};",
    "H200Map grid unit               Metres;",
]


def write_sps_preplot(
    survey: Survey,
    *,
    rev: str = "2.1",
    dialect: str | None = None,
    nodes: Sequence[ReceiverRecord] | None = None,
    out: TextIO | None = None,
) -> str:
    """The survey's source preplot as SPS S records (every point, grid coordinates only).

    ``dialect='feet-grid'`` declares the survey's feet unit (``H20``/``H200`` and a
    ``H201`` factor to metre); ``'obn'`` adds node ``R`` records and an ``X``
    relation record per source line tying it to the first receiver line.
    """
    _check_dialect(dialect, ("trinav", "feet-grid", "obn"), "write_sps_preplot")
    if rev == "2.1":
        header, template = _SPS21_HEADER, "S%10.2f%10.2f  1A1     6.0       112.4%9.1f%10.1f   0.0"
    elif rev == "1":
        header, template = _SPS1_HEADER, "S%-16d%8d1A1     6.0       112%9.1f%10.1f   0.0"
    else:
        raise ValueError("rev is '2.1' or '1'")
    if dialect == "trinav":
        # Integer line and point in the rev 2.1 columns, no version header.
        header = [h for h in header if not h.startswith("H00")]
        template = template.replace("%10.2f%10.2f", "%10d%10d")
    sink = _Sink(out, "\r\n" if dialect == "trinav" else "\n")
    lines_out = [h.format(epsg=survey.grid_epsg) for h in header]
    if dialect == "feet-grid":
        unit = _grid_unit_of(survey.grid_epsg)
        words = {"metre": "Metres", "foot": "International feet"}.get(unit, "US survey feet")
        factor = {"metre": 1.0, "foot": 0.3048}.get(unit, US_FOOT)
        if rev == "2.1":
            lines_out = [f"H20 Map grid unit               {words};" if h.startswith("H20 ") else h for h in lines_out]
        else:
            lines_out = [f"H200Map grid unit               {words};" if h.startswith("H200") else h for h in lines_out]
            lines_out.append(f"H201Factor to metre             {factor:.9f};")
    sink.extend(lines_out)
    if dialect == "obn":
        node_template = "R%10.2f%10.2f  1N1     0.0       100.0%9.1f%10.1f   0.0" if rev == "2.1" else None
        if node_template is None:
            raise ValueError("the obn dialect writes SPS rev 2.1")
        all_nodes = obn_nodes(survey) if nodes is None else nodes
        sink.extend(node_template % (r.line, r.point, r.easting, r.northing) for r in all_nodes)
        first = [r for r in all_nodes if r.line == all_nodes[0].line]
        for k, line in enumerate(survey.lines):
            sink.add(
                f"X{1001:6d}{k + 1:8d}1 {line:10.2f}{survey.first_point:10.2f}1{1:5d}{len(first):5d}1"
                f"{first[0].line:10.2f}{first[0].point:10.2f}{first[-1].point:10.2f}1"
            )
    sin, cos = survey._sin, survey._cos
    x0, y0 = survey.origin
    steps = range(survey.points_per_line)
    interval = survey.point_interval
    for line in survey.lines:
        across = (line - survey.first_line) / survey.line_step * survey.line_spacing
        xa, ya = x0 + across * cos, y0 - across * sin
        point0 = survey.first_point
        sink.extend([template % (line, point0 + i, xa + i * interval * sin, ya + i * interval * cos) for i in steps])
    return sink.result()


# --------------------------------------------------------------------------- dialect files with their truth


# Which writer writes which dialects: ``dialect_file`` kinds.
DIALECT_KINDS: dict[str, tuple[str, ...]] = {
    "p111": ("trinav", "seapro", "spectra", "feet-grid", "obn"),
    "p111-preplot": ("trinav", "seapro", "spectra", "feet-grid", "obn"),
    "p190": ("trinav", "spectra", "ed50-p190", "feet-grid", "obn"),
    "p190-preplot": ("trinav", "ed50-p190", "feet-grid", "obn"),
    "sps": ("trinav", "feet-grid", "obn"),
}


@dataclass(slots=True)
class DialectFile:
    """A file written in a dialect and what a reader must report for it.

    ``shots``/``preplot``/``receivers`` hold the records a reader yields (``lineno``
    0), coordinates as written in the file's own CRS; for preplots every point of
    the survey with lat/lon, of which readers give lat/lon only where the file
    states them. ``header`` holds the header facts: ``geographic_epsg``,
    ``grid_epsg``, ``grid_unit``, ``grid_unit_metres``, ``leap_seconds``,
    ``towgs84``.
    """

    kind: str
    dialect: str
    text: str
    shots: list[ShotRecord] = field(default_factory=list)
    preplot: list[PreplotRecord] = field(default_factory=list)
    receivers: list[ReceiverRecord] = field(default_factory=list)
    header: dict[str, object] = field(default_factory=dict)


def _header_truth(survey: Survey, kind: str, dialect: str, leap_seconds: int) -> dict[str, object]:
    unit = _grid_unit_of(survey.grid_epsg) if dialect == "feet-grid" else "metre"
    metres = {"metre": 1.0, "foot": 0.3048, "US survey foot": US_FOOT}[unit]
    geographic: int | None = 4326
    grid = survey.grid_epsg
    towgs84 = None
    if dialect == "ed50-p190":
        geographic, grid, towgs84 = 4230, 23000 + survey.grid_epsg % 100, ED50_TOWGS84
    if kind == "sps":
        geographic = None
    return {
        "geographic_epsg": geographic,
        "grid_epsg": grid,
        "grid_unit": unit,
        "grid_unit_metres": metres,
        "leap_seconds": leap_seconds if kind == "p111" else 0 if (kind, dialect) == ("p111-preplot", "obn") else None,
        "towgs84": towgs84,
    }


def _receivers_as_read(kind: str, nodes: Sequence[ReceiverRecord]) -> list[ReceiverRecord]:
    """What each reader makes of the nodes the obn dialect writes."""
    if kind.startswith("p111"):
        return list(nodes)
    if kind.startswith("p190"):
        return [
            ReceiverRecord(0, None, r.point, f"1/{r.point}", 1, None, r.easting, r.northing, None, None, r.depth)
            for r in nodes
        ]
    return [
        ReceiverRecord(
            0, r.line, r.point, f"{r.line:.2f}/{r.point:.2f}", None, None, r.easting, r.northing, None, None, None
        )
        for r in nodes
    ]


def dialect_file(
    kind: str,
    dialect: str,
    *,
    truth: SequenceTruth | None = None,
    survey: Survey | None = None,
) -> DialectFile:
    """Write one file of ``kind`` ('p111', 'p111-preplot', 'p190', 'p190-preplot', 'sps') in ``dialect``.

    Shot files need ``truth``; preplots take ``survey`` (or the truth's survey).
    """
    if kind not in DIALECT_KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(DIALECT_KINDS)}")
    if dialect not in DIALECT_KINDS[kind]:
        raise ValueError(f"{kind} is not written in dialect {dialect!r}; it is in {', '.join(DIALECT_KINDS[kind])}")
    if survey is None:
        if truth is None:
            raise ValueError("a survey or a sequence truth is needed")
        survey = truth.survey
    nodes = obn_nodes(survey) if dialect == "obn" else []
    result = DialectFile(
        kind, dialect, "", header=_header_truth(survey, kind, dialect, truth.leap_seconds if truth else 0)
    )
    if dialect == "obn":
        result.receivers = _receivers_as_read(kind, nodes)
    if kind in ("p111", "p190"):
        if truth is None:
            raise ValueError(f"a {kind} shot file needs a sequence truth")
        if kind == "p111":
            result.text = write_p111(truth, dialect=dialect, nodes=nodes)
            result.shots = truth.shots
        else:
            result.text = write_p190(truth, dialect=dialect, nodes=nodes)
            result.shots = _p190_shots_as_read(truth, dialect)
        return result
    if kind == "p111-preplot":
        result.text = write_p111_preplot(survey, dialect=dialect, nodes=nodes)
    elif kind == "p190-preplot":
        result.text = write_p190_preplot(survey, dialect=dialect, nodes=nodes)
    else:
        result.text = write_sps_preplot(survey, dialect=dialect, nodes=nodes)
    preplot = list(survey.preplot())
    if dialect == "ed50-p190":
        lat_ed, lon_ed, e_ed, n_ed = _ed50(survey, [r.lon or 0.0 for r in preplot], [r.lat or 0.0 for r in preplot])
        preplot = [
            PreplotRecord(0, r.line, r.point, e_ed[i], n_ed[i], lon_ed[i], lat_ed[i]) for i, r in enumerate(preplot)
        ]
    result.preplot = preplot
    return result


def _p190_shots_as_read(truth: SequenceTruth, dialect: str) -> list[ShotRecord]:
    """The shots a P1/90 reader returns: 12-character name, whole seconds, the dialect's source ids and datum."""
    letters = _source_letters(truth) if dialect == "spectra" else {}
    shots = truth.shots
    coordinates = [(s.lat or 0.0, s.lon or 0.0, s.easting or 0.0, s.northing or 0.0) for s in shots]
    if dialect == "ed50-p190":
        lat_ed, lon_ed, e_ed, n_ed = _ed50(truth.survey, [c[1] for c in coordinates], [c[0] for c in coordinates])
        coordinates = list(zip(lat_ed, lon_ed, e_ed, n_ed, strict=True))
    name = truth.line_name[:12]
    result = []
    for s, (lat, lon, e, n) in zip(shots, coordinates, strict=True):
        letter = letters.get(s.objref) if s.objref is not None else None
        objref = (truth.sources.index(s.objref) + 1) if letter is not None and s.objref is not None else s.objref
        result.append(
            ShotRecord(
                0,
                name,
                truth.line,
                s.point,
                objref,
                s.tstamp.replace(microsecond=0),
                e,
                n,
                lon,
                lat,
                letter if letter is not None else str(s.objref),
            )
        )
    return result


# --------------------------------------------------------------------------- navigation headers

KNOT_M_PER_S = 1852.0 / 3600.0


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def nav_headers(
    truth: SequenceTruth,
    *,
    line_prefix: str = "",
    offline_before: int = 0,
    offline_after: int = 0,
    offline_name: str = "TRANSIT",
) -> list[dict[str, object]]:
    """The navigation headers of a shot sequence, in time order: one per shot at the shot's time, with the
    vessel's position, the online line name (``line_prefix`` + the sequence's name), the point, the speed
    (knots, from the point interval and the shot interval) and the grid heading of the shooting direction;
    ``offline_before``/``offline_after`` headers of ``offline_name`` one shot interval apart before the first
    shot and after the last, on the extension of the line."""
    survey = truth.survey
    interval = timedelta(seconds=truth.shot_interval_s)
    speed = round(survey.point_interval / truth.shot_interval_s / KNOT_M_PER_S, 2)
    heading = round((survey.azimuth_deg + (0.0 if truth.direction > 0 else 180.0)) % 360.0, 2)
    name = line_prefix + truth.line_name
    first, last = truth.events[0], truth.events[-1]
    extra: list[tuple[str, datetime, int, float, float]] = []
    for k in range(offline_before, 0, -1):
        extra.append((offline_name, first.tstamp - k * interval, first.point - k * truth.direction, 0.0, 0.0))
    for k in range(1, offline_after + 1):
        extra.append((offline_name, last.tstamp + k * interval, last.point + k * truth.direction, 0.0, 0.0))
    if extra:
        grid = [survey.position(truth.line, p, VESSEL_AHEAD_M * truth.direction) for _, _, p, _, _ in extra]
        lons, lats = geodesy.grid_to_wgs84(survey.grid_epsg, [g[0] for g in grid], [g[1] for g in grid])
        extra = [(n, t, p, lon, lat) for (n, t, p, _, _), lon, lat in zip(extra, lons, lats, strict=True)]
    shots = [(name, e.tstamp, e.point, e.vessel[2], e.vessel[3]) for e in truth.events]
    before = [x for x in extra if x[1] < first.tstamp]
    after = [x for x in extra if x[1] > last.tstamp]
    return [
        {
            "tstamp": _iso_z(tstamp),
            "lat": round(lat, 8),
            "lon": round(lon, 8),
            "lineName": line,
            "point": point,
            "speed": speed,
            "heading": heading,
        }
        for line, tstamp, point, lon, lat in (*before, *shots, *after)
    ]


def feed_batches(
    headers: Sequence[dict[str, object]], *, step_s: float = 10.0
) -> Iterator[tuple[datetime, list[dict[str, object]]]]:
    """(simulated time, batch): every ``step_s`` seconds from the first header's time, the headers whose
    time has come since the previous batch, as the vessel forwards them. The clock is simulated: nothing
    waits."""
    if not headers:
        return
    times = [datetime.fromisoformat(str(h["tstamp"]).replace("Z", "+00:00")) for h in headers]
    step = timedelta(seconds=step_s)
    clock = times[0]
    i = 0
    while i < len(headers):
        clock += step
        batch = []
        while i < len(headers) and times[i] < clock:
            batch.append(dict(headers[i]))
            i += 1
        if batch:
            yield clock, batch
