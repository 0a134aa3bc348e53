"""Records produced by the navigation-file parsers.

Shot and preplot records are plain frozen, slotted dataclasses rather than pydantic
models: a post-plot file holds hundreds of thousands of them and the parsers must
stay fast. Validation happens while parsing, so the records need none of their own.
Coordinates are ``None`` where the file does not give them (SPS has no lon/lat;
points interpolated between preplot segment ends get no lon/lat, see each parser).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

_R = TypeVar("_R")


@dataclass(slots=True, frozen=True)
class ShotRecord:
    """One fired source at one shot point.

    A shot of a flip-flop survey gives one record (the source that fired); a shot of
    simultaneous sources gives one record per source, same line, point and time.
    ``lineno`` is the 1-based line number in the file, kept so later checks can
    point the user at the record. ``tstamp`` is timezone-aware UTC and keeps
    sub-second precision where the format has it.
    """

    lineno: int
    line_name: str
    line: int
    point: int
    objref: int | None
    """The source that fired: P1/11 OBJREF; P1/90 the number in column 18, or the
    position of its letter in the header's source list, else ``None``."""
    tstamp: datetime
    easting: float | None
    northing: float | None
    lon: float | None
    lat: float | None
    source_id: str | None = None
    """The source id exactly as the file writes it (P1/90 column 18), when it is text."""


@dataclass(slots=True, frozen=True)
class PreplotRecord:
    """One planned point of a preplot line.

    ``lineno`` is the file line that gave the point or, for an interpolated point,
    the record (segment or end point) it was interpolated from.
    """

    lineno: int
    line: int
    point: int
    easting: float | None
    northing: float | None
    lon: float | None
    lat: float | None
    index: int = 1
    """SPS point index (column 24): 1, or 2-9 for a re-shot or alternative point at the same line/point."""
    exact_line: float | None = None
    """The line number as written when it is not a whole number (SPS rev 2.1 allows it); ``line`` is it rounded."""
    exact_point: float | None = None
    """The point number as written when it is not a whole number; ``point`` is it rounded."""


@dataclass(slots=True, frozen=True)
class ReceiverRecord:
    """One receiver position: an ocean-bottom node, a seismometer or a receiver group.

    From P1/11 ``R1``, P1/90 ``R`` and SPS ``R`` records. ``node`` is the receiver's
    identity as the file writes it: P1/11 the receiver number (field 12), else the
    object name; P1/90 ``cable/group`` (column 80 and the group number; the group
    alone without a cable id); SPS ``line/point`` as written, ``#index`` added for
    an index other than 1. ``line``/``point`` are the receiver line and station
    (P1/90: point = group number, line ``None``), rounded to integers. ``tstamp`` is
    the time of the fix when the file gives one (P1/90 ``R`` records take their
    shot's time). ``depth`` is the third ordinate of the grid tuple as written
    (P1/11) or the group depth (P1/90).
    """

    lineno: int
    line: int | None
    point: int | None
    node: str
    objref: int | None
    tstamp: datetime | None
    easting: float | None
    northing: float | None
    lon: float | None
    lat: float | None
    depth: float | None


@dataclass(slots=True, frozen=True)
class Transformation:
    """A datum transformation a file's header states, from its geographic CRS to WGS 84.

    ``epsg`` is the EPSG code of the coordinate operation when the header names one
    (P1/11 ``HC,1,7,0``/``HC,1,8,0``). ``towgs84`` is seven Helmert parameters in
    PROJ's ``+towgs84`` convention (position vector: dx, dy, dz in metres, rx, ry, rz
    in arc-seconds, ds in ppm), already converted by the parser from whatever
    convention the file used (coordinate frame rotations change sign); ``None`` when
    only a code or name is given.
    """

    epsg: int | None = None
    name: str = ""
    towgs84: tuple[float, float, float, float, float, float, float] | None = None


@dataclass(slots=True)
class FileHeader:
    """What a file says about itself.

    Filled while the header records are read, so it is complete once a reader has
    yielded its first record; ``line_names`` keeps growing until the iteration ends.
    Only the facts the rest of Dougal needs are promoted to attributes; other header
    values a user may want to see are kept as text in ``records``.
    """

    format: str
    """'p111', 'p190', 'sps21' or 'sps1'."""
    version: str | None = None
    """Format version as written in the file (P1/11 identification record, SPS H00)."""
    content: str | None = None
    """Free-text description of the contents (P1/11 ``H1,0,0,0``)."""
    grid_epsg: int | None = None
    """EPSG code of the projected CRS the grid coordinates are in, if the file declares one."""
    geographic_epsg: int | None = None
    """EPSG code of the geographic CRS of ``lat``/``lon`` as written (ED50 4230, NAD27 4267, WGS 84 4326…).

    The readers yield lat/lon in this CRS; the ingest transforms them to WGS 84."""
    transformation: Transformation | None = None
    """The datum transformation to WGS 84 the header gives, if any."""
    grid_unit: str | None = None
    """Linear unit of the grid coordinates when the file says (``metre``, ``foot``, ``US survey foot``)."""
    grid_unit_metres: float | None = None
    """Metres per grid unit when the file says (0.3048 for feet, 1200/3937 for US survey feet)."""
    leap_seconds: int | None = None
    """GPS - UTC seconds declared by the file (P1/11 time reference)."""
    year: int | None = None
    """Year used to date records that carry only a day of year (P1/90)."""
    sequence: int | None = None
    """Sequence number when the file states one (P1/11 ``H1,0,2,0 Sequence(s)``)."""
    line_names: list[str] = field(default_factory=list)
    """Distinct line names in order of first appearance."""
    objects: dict[int, str] = field(default_factory=dict)
    """P1/11 position objects: OBJREF → object name."""
    source_objrefs: list[int] = field(default_factory=list)
    """OBJREFs whose object type says they are sources (air-gun arrays)."""
    vessel_objref: int | None = None
    """OBJREF of the vessel reference point, if defined."""
    records: dict[str, str] = field(default_factory=dict)
    """Other header values as text, keyed by record id (``H0200``, ``HC,0,1,0``, ``H13``…)."""
    comments: list[str] = field(default_factory=list)
    """Comment records met before the first data record."""
    warnings: list[str] = field(default_factory=list)
    """Things that were tolerated but a user may want to know about."""


class ParseError(Exception):
    """A file, or one record of it, cannot be read.

    ``lineno`` is the 1-based line where the problem was found (``None`` when it
    concerns the file as a whole, e.g. an empty file); ``reason`` says what is
    wrong in words a user can act on. ``str()`` gives ``"line 42: reason"``.
    """

    def __init__(self, lineno: int | None, reason: str) -> None:
        self.lineno = lineno
        self.reason = reason
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"line {self.lineno}: {self.reason}" if self.lineno is not None else self.reason

    def __reduce__(self) -> tuple[type[ParseError], tuple[int | None, str]]:
        # Keep the two attributes through pickling (multiprocessing, Lambda error wrapping).
        return (type(self), (self.lineno, self.reason))


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
"""Line, point and sequence numbers are stored as 32-bit integers."""


@dataclass(frozen=True)
class PointLimits:
    """How many points a preplot reader may fill in between given points.

    A line given by its ends (P1/11 ``N1`` segments, P1/90 end points) is filled in
    point by point, lazily; a segment or a file asking for more than these is
    rejected naming the record, before any of its points is made.
    """

    per_segment: int = 100_000
    per_file: int = 5_000_000


_DEFAULT_LIMITS = PointLimits()
_point_limits: ContextVar[PointLimits | None] = ContextVar("dougal_point_limits", default=None)


def current_point_limits() -> PointLimits:
    """The limits readers created now apply (see ``point_limits``)."""
    return _point_limits.get() or _DEFAULT_LIMITS


@contextmanager
def point_limits(limits: PointLimits) -> Iterator[PointLimits]:
    """Readers created inside the block apply ``limits`` (the worker's configured ones)."""
    token = _point_limits.set(limits)
    try:
        yield limits
    finally:
        _point_limits.reset(token)


def check_segment_points(count: int, limits: PointLimits, lineno: int, first: int, last: int, step: int) -> None:
    if count > limits.per_segment:
        raise ParseError(
            lineno,
            f"points {first} to {last} every {step} make {count} points, more than the {limits.per_segment} "
            "allowed between two given points (DOUGAL_MAX_SEGMENT_POINTS)",
        )


def check_file_points(count: int, limits: PointLimits, lineno: int) -> None:
    if count > limits.per_file:
        raise ParseError(
            lineno,
            f"the file makes more than the {limits.per_file} preplot points allowed per file "
            "(DOUGAL_MAX_PREPLOT_POINTS)",
        )


@dataclass(slots=True)
class PointColumns:
    """Preplot points as columns: numpy arrays of one element per point, in file order.

    The bulk form of ``PreplotRecord`` for large preplots (a million points): the SPS
    reader fills the arrays from the file's fixed columns directly, and the import
    transforms and loads them whole. Absent numbers (lon/lat in SPS, a whole line or
    point number's ``exact_*``) are NaN.
    """

    lineno: Any
    line: Any
    point: Any
    index: Any
    easting: Any
    northing: Any
    lon: Any
    lat: Any
    exact_line: Any
    exact_point: Any

    def __len__(self) -> int:
        return len(self.lineno)

    @classmethod
    def from_records(cls, records: list[PreplotRecord]) -> PointColumns:
        import numpy as np

        def ints(name: str) -> Any:
            return np.fromiter((getattr(r, name) for r in records), dtype=np.int64, count=len(records))

        def floats(name: str) -> Any:
            values = (getattr(r, name) for r in records)
            return np.fromiter((np.nan if v is None else v for v in values), dtype=np.float64, count=len(records))

        return cls(
            ints("lineno"), ints("line"), ints("point"), ints("index"),
            floats("easting"), floats("northing"), floats("lon"), floats("lat"),
            floats("exact_line"), floats("exact_point"),
        )  # fmt: skip

    @classmethod
    def concatenate(cls, parts: list[PointColumns]) -> PointColumns:
        import numpy as np

        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in cls.__slots__))

    def records(self) -> Iterator[PreplotRecord]:
        """The points as records (NaN read back as ``None``)."""

        def values(array: Any) -> list[float | None]:
            return [None if v != v else v for v in array.tolist()]

        columns = (
            self.lineno.tolist(), self.line.tolist(), self.point.tolist(),
            values(self.easting), values(self.northing), values(self.lon), values(self.lat),
            self.index.tolist(), values(self.exact_line), values(self.exact_point),
        )  # fmt: skip
        for row in zip(*columns, strict=True):
            yield PreplotRecord(*row)


def in_columns(records: Iterable[PreplotRecord], size: int) -> Iterator[PointColumns]:
    """Records in batches of ``size`` points as columns (the readers' ``columns()`` for line-by-line reading)."""
    for batch in _batched(records, size):
        yield PointColumns.from_records(batch)


@dataclass(slots=True)
class ShotColumns:
    """Shot records as columns: numpy arrays of one element per record, in file order.

    The bulk form of ``ShotRecord``: the P1/11 reader fills the arrays from the file's
    comma-separated fields a block at a time, and the import loads them whole. ``tstamp``
    is whole microseconds from the Unix epoch (UTC), as ``ShotRecord.tstamp`` keeps them.
    Absent coordinates are NaN. ``has_objref`` is False where the source is unknown
    (``objref`` then holds 0). The line name of a record is ``names[name_index[i]]``;
    ``source_id`` is None when no record has one, else one entry (str or None) per record.
    """

    lineno: Any
    names: list[str]
    name_index: Any
    line: Any
    point: Any
    objref: Any
    has_objref: Any
    tstamp: Any
    easting: Any
    northing: Any
    lon: Any
    lat: Any
    source_id: list[str | None] | None = None

    def __len__(self) -> int:
        return len(self.lineno)

    @classmethod
    def from_records(cls, records: list[ShotRecord]) -> ShotColumns:
        import numpy as np

        count = len(records)
        names: dict[str, int] = {}
        name_index = np.fromiter(
            (names.setdefault(r.line_name, len(names)) for r in records), dtype=np.int32, count=count
        )

        def ints(name: str) -> Any:
            return np.fromiter((getattr(r, name) for r in records), dtype=np.int64, count=count)

        def floats(name: str) -> Any:
            values = (getattr(r, name) for r in records)
            return np.fromiter((np.nan if v is None else v for v in values), dtype=np.float64, count=count)

        objrefs = [r.objref for r in records]
        source_ids = [r.source_id for r in records]
        return cls(
            ints("lineno"),
            list(names),
            name_index,
            ints("line"),
            ints("point"),
            np.fromiter((0 if o is None else o for o in objrefs), dtype=np.int64, count=count),
            np.fromiter((o is not None for o in objrefs), dtype=bool, count=count),
            np.fromiter((microseconds(r.tstamp) for r in records), dtype=np.int64, count=count),
            floats("easting"),
            floats("northing"),
            floats("lon"),
            floats("lat"),
            source_ids if any(s is not None for s in source_ids) else None,
        )

    def records(self) -> Iterator[ShotRecord]:
        """The shots as records (NaN read back as ``None``)."""
        from datetime import UTC, timedelta

        epoch = datetime(1970, 1, 1, tzinfo=UTC)

        def values(array: Any) -> list[float | None]:
            return [None if v != v else v for v in array.tolist()]

        names = [self.names[i] for i in self.name_index.tolist()]
        known = self.has_objref.tolist()
        objrefs = [o if k else None for o, k in zip(self.objref.tolist(), known, strict=True)]
        tstamps = [epoch + timedelta(microseconds=t) for t in self.tstamp.tolist()]
        source_ids = self.source_id if self.source_id is not None else [None] * len(self)
        columns = (
            self.lineno.tolist(), names, self.line.tolist(), self.point.tolist(), objrefs, tstamps,
            values(self.easting), values(self.northing), values(self.lon), values(self.lat), source_ids,
        )  # fmt: skip
        for row in zip(*columns, strict=True):
            yield ShotRecord(*row)


def microseconds(tstamp: datetime) -> int:
    """A timezone-aware time as whole microseconds from the Unix epoch (``ShotColumns.tstamp``)."""
    from datetime import UTC

    delta = tstamp - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def shots_in_columns(records: Iterable[ShotRecord], size: int) -> Iterator[ShotColumns]:
    """Shot records in batches of ``size`` as columns (``columns()`` of a reader that reads line by line)."""
    for batch in _batched(records, size):
        yield ShotColumns.from_records(batch)


def _batched(items: Iterable[_R], size: int) -> Iterator[list[_R]]:
    """``items`` in lists of ``size`` (the last may be shorter)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
