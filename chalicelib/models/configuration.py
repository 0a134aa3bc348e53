"""The parts of a project's configuration the system reads, as a schema checked on every write.

A wrong shape is refused when it is written (400 naming the path), not found later as a 500 on every
event write (``labels``) or a crashed QC worker (``qc``). Keys the system does not read are kept as
they are; ``asaqc`` is only required to be an object.

``online.line.pattern.regex`` is written by a user and run on file content by the Python ``re`` engine
(the linear-time ``google-re2`` has no wheel for Lambda's python3.11 runtime, glibc 2.26), so only
patterns whose matching time stays polynomial and small are accepted: at most
``MAX_PATTERN_CHARS`` characters, no repetition inside a repetition or of an alternation (the shapes
of exponential backtracking, e.g. ``(a+)+`` or ``(a|a)*``) and at most ``MAX_UNBOUNDED_REPEATS``
unbounded repetitions.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictFloat, StrictInt, field_validator

from chalicelib.models import Model

MAX_PATTERN_CHARS = 200
MAX_UNBOUNDED_REPEATS = 4


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


def _repeats(parsed: Any, inside_repeat: bool = False) -> int:
    """Unbounded repetitions of a parsed pattern; ValueError for the exponential shapes."""
    import re._constants as c
    import re._parser as p

    count = 0
    for op, arg in parsed:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            _low, high, sub = arg
            repeated = high == c.MAXREPEAT or high > 1
            if repeated and inside_repeat:
                raise ValueError("a repetition inside a repetition can take exponential time")
            count += (high == c.MAXREPEAT) + _repeats(sub, inside_repeat or repeated)
        elif op is c.BRANCH:
            if inside_repeat:
                raise ValueError("a repeated alternation can take exponential time")
            count += sum(_repeats(branch, inside_repeat) for branch in arg[1])
        elif op is c.SUBPATTERN:
            count += _repeats(arg[-1], inside_repeat)
        elif op in (c.ASSERT, c.ASSERT_NOT):
            count += _repeats(arg[1], inside_repeat)
        elif op is c.GROUPREF_EXISTS:
            count += sum(_repeats(x, inside_repeat) for x in arg[1:] if x is not None)
        elif isinstance(arg, p.SubPattern):
            count += _repeats(arg, inside_repeat)
    return count


def check_pattern(regex: str, flags: str = "") -> re.Pattern[str]:
    """The compiled pattern, or ValueError saying why it is refused."""
    import re._parser as p

    if len(regex) > MAX_PATTERN_CHARS:
        raise ValueError(f"at most {MAX_PATTERN_CHARS} characters")
    try:
        compiled = re.compile(regex, re.IGNORECASE if "i" in flags else 0)
        parsed = p.parse(regex)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    if _repeats(parsed) > MAX_UNBOUNDED_REPEATS:
        raise ValueError(f"at most {MAX_UNBOUNDED_REPEATS} unbounded repetitions (*, +, {{n,}})")
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
        groups = re.compile(self.regex).groups
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


class Configuration(_Open):
    """What ``PUT …/configuration`` (and a new project's configuration) must look like."""

    labels: dict[str, LabelData] | list[LabelItem] | None = None
    qc: dict[str, QcTestOverride] | None = None
    online: Online | None = None
    grid: Grid | None = None
    planner: Planner | None = None
    navdata: Navdata | None = None
    asaqc: dict[str, Any] | None = None
