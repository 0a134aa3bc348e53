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
from chalicelib.parsers.records import PreplotRecord, ShotRecord

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "InjectedFault",
    "SequenceTruth",
    "ShotEvent",
    "Survey",
    "line_name",
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

    def __init__(self, out: TextIO | None) -> None:
        self._out = out if out is not None else io.StringIO()
        self._own = out is None
        self._lines: list[str] = []

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
            self._out.write("\n".join(self._lines))
            self._out.write("\n")
            self._lines = []

    def result(self) -> str:
        self.flush()
        return self._out.getvalue() if self._own and isinstance(self._out, io.StringIO) else ""


def _pad(description: str) -> str:
    """P1/11 header descriptions are left-justified and padded to 50 characters."""
    return f"{description:<50}"


def _hc(key: str, description: str, *values: object) -> str:
    return f"{key},{_pad(description)}," + ",".join("" if v is None else str(v) for v in values)


def _p111_crs_header(epsg: int) -> list[str]:
    """Units, CRS and axis records: CRS 1 = WGS 84 (lat, lon), CRS 2 = the grid (E, N)."""
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


def write_p111(
    truth: SequenceTruth,
    *,
    kind: str = "final",
    time_system: str = "gps",
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
    survey = truth.survey
    first = truth.events[0].tstamp if truth.events else datetime(2021, 1, 1, tzinfo=UTC)
    time_header, fmt_time = _time_writer(time_system, truth.leap_seconds)
    names = _object_names(truth)
    sink = _Sink(out)
    sink.add(_p111_id(f"{truth.sequence:03d}.{truth.line_name}.p111", first))
    sink.extend(
        [
            _hc("HC,0,1,0", "Project Name", "SIM", "Simulated survey", f"{first:%Y:%m:%d}", ""),
            _hc("HC,0,2,0", "Survey Description", "3D", f"1 vessel {len(truth.sources)} sources", "North Sea"),
            _hc("HC,0,4,0", "Client", "Equinor"),
            _hc("HC,0,5,0", "Geophysical Contractor", "Dougal simulator"),
            _hc("HC,1,0,0", "Reference Systems Summary", 4, 1, 2, 0),
            *_p111_crs_header(survey.grid_epsg),
            *time_header,
            _hc("HC,2,0,0", "Survey Configuration", 1, 1, len(names), 1, "metre"),
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
    )
    name, line = truth.line_name, truth.line
    vessel = truth.vessel_objref
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


def write_p111_preplot(survey: Survey, *, segments_per_line: int = 1, out: TextIO | None = None) -> str:
    """The survey's preplot as P1/11 N1 records: one line header and straight segments per line.

    With ``segments_per_line`` > 1 a line is cut into collinear segments that share
    their joining points, to exercise multi-segment reading.
    """
    if segments_per_line < 1 or segments_per_line >= survey.points_per_line:
        raise ValueError("segments_per_line must be between 1 and points_per_line - 1")
    sink = _Sink(out)
    sink.add(_p111_id("preplot.p111", datetime(2021, 1, 1, tzinfo=UTC)))
    sink.extend(
        [
            _hc("HC,0,1,0", "Project Name", "SIM", "Simulated survey", "", ""),
            _hc("HC,1,0,0", "Reference Systems Summary", 3, 0, 2, 0),
            *_p111_crs_header(survey.grid_epsg),
            _hc("H1,0,0,0", "File Contents Description", "Preplots", "Dougal simulator"),
            _hc("H1,4,0,0", "Preplot Record Type Definition", 1, "", "", "", "Sail line", 2, 1, ""),
        ]
    )
    for index, line in enumerate(survey.lines, 1):
        sink.extend(_preplot_segments(survey, line, index, segments_per_line))
    return sink.result()


# --------------------------------------------------------------------------- P1/90


def _dms(value: float, positive: str, negative: str, degree_digits: int) -> str:
    """Signed degrees → ``DDMMSS.ssH``, rounding on hundredths of a second (no 60.00)."""
    hundredths = round(abs(value) * 360000)
    degrees, rest = divmod(hundredths, 360000)
    minutes, rest = divmod(rest, 6000)
    return f"{degrees:0{degree_digits}d}{minutes:02d}{rest // 100:02d}.{rest % 100:02d}" + (
        negative if value < 0 else positive
    )


def _p190_header(survey: Survey, date: datetime | None, sources: int) -> list[str]:
    def h(code: str, description: str, data: str) -> str:
        return f"H{code}{description:<27.27}{data:<48.48}"

    epsg = survey.grid_epsg
    records = [
        h("0100", "SURVEY AREA", "NORTH SEA SIMULATED SURVEY"),
        h("0102", "VESSEL DETAILS", "DOUGAL SIMULATOR 1"),
        h("0103", "SOURCE DETAILS", f"{sources} AIR GUN ARRAYS"),
    ]
    if date is not None:
        records.append(h("0200", "DATE OF SURVEY", f"{date:%d.%m.%Y}"))
    records += [
        h("0300", "CLIENT", "EQUINOR"),
        h("0400", "GEOPHYSICAL CONTRACTOR", "DOUGAL SIMULATOR"),
        h("1000", "CLOCK TIME", "GMT"),
        h("1400", "GEODETIC DATUM AS SURVEYED", "WGS84       WGS 84       6378137.000 298.2572236"),
        h("1500", "GEODETIC DATUM AS PLOTTED", "WGS84       WGS 84       6378137.000 298.2572236"),
    ]
    if 32601 <= epsg <= 32660 or 32701 <= epsg <= 32760:
        records += [
            h("1800", "PROJECTION", "UNIVERSAL TRANSVERSE MERCATOR"),
            h("1900", "ZONE", f"{epsg % 100} {'N' if epsg < 32700 else 'S'}"),
        ]
    else:
        records.append(h("1800", "PROJECTION", f"EPSG {epsg}"))
    records.append(h("2000", "GRID UNITS", "METRES"))
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


def write_p190(truth: SequenceTruth, *, out: TextIO | None = None) -> str:
    """The sequence as an 80-column P1/90 post-plot.

    Per shot an S record per fired source (source id = objref in column 18) and a V
    record for the vessel. The line name is the online name cut to P1/90's 12
    columns; ``H0200`` carries the date of the first shot; times are cut to the
    second (P1/90 has no fractions).
    """
    for objref in truth.sources:
        if not 0 <= objref <= 9:
            raise ValueError(f"objref {objref} does not fit P1/90's one-column source id")
    sink = _Sink(out)
    first = truth.events[0].tstamp if truth.events else None
    sink.extend(_p190_header(truth.survey, first, len(truth.sources)))
    name = truth.line_name[:12]
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
                    str(s.objref),
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


def write_p190_preplot(survey: Survey, *, endpoints_only: bool = True, out: TextIO | None = None) -> str:
    """The survey's preplot as P1/90 V records: line ends only (as SeaPro does) or every point."""
    sink = _Sink(out)
    sink.extend(_p190_header(survey, None, 0))
    blank = " " * 16
    for line in survey.lines:
        records = survey.line_ends(line) if endpoints_only else survey.preplot_line(line)
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


def write_sps_preplot(survey: Survey, *, rev: str = "2.1", out: TextIO | None = None) -> str:
    """The survey's source preplot as SPS S records (every point, grid coordinates only)."""
    if rev == "2.1":
        header, template = _SPS21_HEADER, "S%10.2f%10.2f  1A1     6.0       112.4%9.1f%10.1f   0.0"
    elif rev == "1":
        header, template = _SPS1_HEADER, "S%-16d%8d1A1     6.0       112%9.1f%10.1f   0.0"
    else:
        raise ValueError("rev is '2.1' or '1'")
    sink = _Sink(out)
    sink.extend(h.format(epsg=survey.grid_epsg) for h in header)
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
