"""The parts of a project's configuration the system reads, as a schema checked on every write.

A wrong shape is refused when it is written (400 naming the path), not found later as a 500 on every
event write (``labels``) or a crashed QC worker (``qc``). Keys the system does not read are kept as
they are; ``asaqc`` is only required to be an object.

``online.line.pattern.regex`` is written by a user and run on line names and file names, so it runs on
RE2 (``google-re2``), whose matching time is linear in the text whatever the pattern: no pattern can make
the import or the navigation feed hang, and it is run only on names of at most ``MAX_LINE_NAME_CHARS``
characters. RE2 has no look-around and no back-references; a pattern using
them, or longer than ``MAX_PATTERN_CHARS`` characters, is refused when it is written and, if it was
stored before this check existed, rejects the file that needs it with the reason.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Protocol

from pydantic import ConfigDict, Field, StrictBool, StrictFloat, StrictInt, field_validator

from chalicelib.models import Model

MAX_PATTERN_CHARS = 200
# A line name (or a file name's stem) longer than this is not a line name: the pattern is not run on it.
# RE2's time is linear in the text times the pattern's size; at this length the largest pattern RE2
# accepts takes about a millisecond.
MAX_LINE_NAME_CHARS = 256
# RE2's memory for one pattern (its default is 8 MiB): a line pattern needs a few kilobytes, and a larger
# budget lets the biggest patterns build automata that take a tenth of a second on one name.
PATTERN_MEMORY_BYTES = 1 << 20


class _Open(Model):
    model_config = ConfigDict(extra="allow")


class LabelModel(_Open):
    user: StrictBool | None = None
    multiple: StrictBool | None = None


class LabelData(_Open):
    view: dict[str, Any] | None = None
    model: LabelModel | None = None


class LabelItem(_Open):
    name: str = Field(min_length=1, max_length=64)
    data: LabelData


Number = StrictInt | StrictFloat


class QcTestOverride(_Open):
    """``configuration.qc.<test>``: on/off, severity, and numeric parameters (``sources``: a list)."""

    enabled: StrictBool | None = None
    severity: Literal["error", "warning", "info"] | None = None
    sources: list[StrictInt] | None = None

    def model_post_init(self, context: Any, /) -> None:
        for name, value in (self.model_extra or {}).items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{name}: a QC parameter is a number")


class Match(Protocol):
    def groups(self) -> tuple[Any, ...]: ...


class Matcher(Protocol):
    """A compiled line pattern: RE2's ``search`` on a str, and its number of groups."""

    groups: int

    def search(self, text: str) -> Match | None: ...


def check_pattern(regex: str, flags: str = "") -> Matcher:
    """The pattern compiled by RE2 (linear-time matching), or ValueError saying why it is refused."""
    import re2  # a compiled extension: loaded only where a pattern is checked or run

    if len(regex) > MAX_PATTERN_CHARS:
        raise ValueError(f"at most {MAX_PATTERN_CHARS} characters")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = PATTERN_MEMORY_BYTES
    options.case_sensitive = "i" not in flags
    try:
        compiled: Matcher = re2.compile(regex, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(
            f"not a regular expression the line matcher (RE2: no look-around, no back-references) accepts: {reason}"
        ) from exc
    return compiled


class LinePattern(_Open):
    regex: str
    flags: str = Field(default="", max_length=8)
    captures: list[Literal["sequence", "line", "attempt"] | str] = Field(default_factory=list, max_length=10)

    @field_validator("regex")
    @classmethod
    def _safe(cls, value: str) -> str:
        check_pattern(value)
        return value

    def model_post_init(self, context: Any, /) -> None:
        groups = check_pattern(self.regex, self.flags).groups
        if len(self.captures) > groups:
            raise ValueError(f"captures names {len(self.captures)} groups; the regex has {groups}")


class OnlineLine(_Open):
    pattern: LinePattern | None = None


class Online(_Open):
    line: OnlineLine | None = None


class Grid(_Open):
    epsg: StrictInt | None = Field(default=None, ge=1024, le=999_999)


# The fields a planned sequence's name template may use, and the format specs allowed after them
# (``{line:04d}``): plain ``str.format`` on anything else could reach attributes of the values.
NAME_FIELDS = ("line", "sequence", "attempt", "direction")
_FORMAT_SPEC = re.compile(r"0?[0-9]{0,2}d?")
DEFAULT_NAME_TEMPLATE = "{direction}{line:04d}{attempt}{sequence:03d}S00000"


def check_name_template(template: str) -> str:
    """The template, or ValueError saying which part is refused."""
    import string

    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from exc
    for _text, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in NAME_FIELDS:
            raise ValueError(f"unknown field {{{field}}}; use {', '.join('{' + f + '}' for f in NAME_FIELDS)}")
        if conversion is not None or not _FORMAT_SPEC.fullmatch(spec or ""):
            raise ValueError(f"{{{field}}}: only a width such as {{{field}:04d}} is allowed")
    return template


class PlannerInfill(_Open):
    run_in_points: StrictInt | None = Field(default=None, ge=0, le=10_000)


class PlannerForecast(_Open):
    days: StrictInt | None = Field(default=None, ge=1, le=365)


class Planner(_Open):
    """``configuration.planner``: line change time, shot interval, name template, infill and forecast."""

    line_change_minutes: Number | None = Field(default=None, ge=0, le=10_080)
    shot_interval_s: Number | None = Field(default=None, gt=0, le=3_600)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    infill: PlannerInfill | None = None
    forecast: PlannerForecast | None = None

    @field_validator("name")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return check_name_template(value) if value is not None else None


# The header keys that hold the fix, the line name and the point, unless ``configuration.navdata.fields`` says
# otherwise (each key may be set alone; the others keep their default).
DEFAULT_NAV_FIELDS = {"tstamp": "tstamp", "lat": "lat", "lon": "lon", "line": "lineName", "point": "point"}


class NavdataFields(_Open):
    """``configuration.navdata.fields``: which header keys hold time, latitude, longitude, line name, point."""

    tstamp: str = Field(default=DEFAULT_NAV_FIELDS["tstamp"], min_length=1, max_length=64)
    lat: str = Field(default=DEFAULT_NAV_FIELDS["lat"], min_length=1, max_length=64)
    lon: str = Field(default=DEFAULT_NAV_FIELDS["lon"], min_length=1, max_length=64)
    line: str = Field(default=DEFAULT_NAV_FIELDS["line"], min_length=1, max_length=64)
    point: str = Field(default=DEFAULT_NAV_FIELDS["point"], min_length=1, max_length=64)


class Navdata(_Open):
    """``configuration.navdata``: the header's field names and how long the feed is kept."""

    fields: NavdataFields | None = None
    retention_days: StrictInt | None = Field(default=None, ge=1, le=3650)
    stale_seconds: Number | None = Field(default=None, gt=0, le=86_400)


class P190(_Open):
    """``configuration.p190``: the year of a P1/90 file whose records carry only the day of the year (when its
    header gives none)."""

    year: StrictInt | None = Field(default=None, ge=1900, le=2100)


class Configuration(_Open):
    """What ``PUT …/configuration`` (and a new project's configuration) must look like."""

    labels: dict[str, LabelData] | list[LabelItem] | None = None
    qc: dict[str, QcTestOverride] | None = None
    online: Online | None = None
    grid: Grid | None = None
    planner: Planner | None = None
    navdata: Navdata | None = None
    p190: P190 | None = None
    asaqc: dict[str, Any] | None = None
