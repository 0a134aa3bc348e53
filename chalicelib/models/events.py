"""Spec tag "log": events (line log and daily log) and their history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from chalicelib.models import Model
from chalicelib.models.limits import MAX_LABEL_CHARS, MAX_LABELS, Int32, Meta, Text

# Meta keys only the system writes: a client cannot forge a read-only or system event.
RESERVED_META = ("readonly", "system", "qc")
# What an instance says; the rest (id, uid, validity, author) is the history's.
EVENT_FIELDS = ("tstamp", "sequence", "point", "remarks", "labels", "meta")


class EventNew(Model):
    """POST and PUT body; PATCH takes the same fields, each optional."""

    model_config = ConfigDict(extra="forbid")

    tstamp: datetime | None = None
    sequence: Int32 | None = None
    point: Int32 | None = None
    remarks: Text = ""
    labels: list[Annotated[str, Field(max_length=MAX_LABEL_CHARS)]] = Field(default_factory=list, max_length=MAX_LABELS)
    meta: Meta = Field(default_factory=dict)

    @field_validator("tstamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a timestamp needs a time zone (e.g. Z for UTC)")
        return value

    @field_validator("labels")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


# A page of the event list: Lambda answers at most 6 MB, so the list is paged (X-Total-Count says how many).
DEFAULT_PAGE = 1000
MAX_PAGE = 10000


class EventListQuery(Model):
    """The query string of ``GET …/event``, parsed at the API edge (``api/events.py``)."""

    sequences: list[Int32] | None = None
    date0: date | None = None
    date1: date | None = None
    label: str | None = None
    limit: int = DEFAULT_PAGE
    offset: int = 0


class Label(Model):
    """One label of ``GET …/label``: its name and ``{view, model}`` (the catalogue merged with the project's)."""

    name: str
    data: dict[str, Any]


class EventChanged(Model):
    """A change of ``GET …/changes/{since}`` that created an instance: the instance, and when."""

    id: int
    uid: int
    tstamp: str | None
    sequence: int | None
    point: int | None
    remarks: str
    labels: list[str]
    meta: dict[str, Any]
    is_deleted: Literal[False] = False
    changed_on: str


class EventDeleted(Model):
    """A change of ``GET …/changes/{since}`` that deleted an event: which one, and when."""

    id: int
    uid: int
    is_deleted: Literal[True] = True
    changed_on: str


class CsvOptions(Model):
    """The query string of the CSV representation (out and in), parsed at the API edge.

    ``raw``: cells are written as they are, without the escape against formula injection.
    """

    delimiter: str = ","
    fields: list[str] | None = None
    header: bool = True
    raw: bool = False


# Rows of one CSV import: one transaction holding the project's event clock, so it is bounded.
MAX_CSV_ROWS = 5000


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class EventsCreated(Model):
    """``POST …/event`` with a CSV body: how many events were created, and their ids in the file's order."""

    created: int
    ids: list[int]


class Event(Model):
    """The spec's Event: an event's current instance."""

    id: int
    uid: int
    tstamp: str | None
    sequence: int | None
    point: int | None
    remarks: str
    labels: list[str]
    meta: dict[str, Any]
    has_edits: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(
            id=row["id"],
            uid=row["uid"],
            tstamp=iso(row["tstamp"]),
            sequence=row["sequence"],
            point=row["point"],
            remarks=row["remarks"],
            labels=list(row["labels"]),
            meta=row["meta"],
            has_edits=row["edited"],
        )


class EventInstance(Model):
    """The spec's EventUniqueEdit: any instance of an event, with its validity ``[from, to)``."""

    id: int
    uid: int
    tstamp: str | None
    sequence: int | None
    point: int | None
    remarks: str
    labels: list[str]
    meta: dict[str, Any]
    validity: list[str | None]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventInstance:
        span = row["validity"]
        return cls(
            **Event.from_row(row).model_dump(exclude={"has_edits"}),
            validity=["[", iso(span.lower), iso(span.upper), ")"],
        )


class EventCsvParameters(Model):
    """The CSV options of the query string as sent (``POST …/event`` with a CSV body, the CSV list)."""

    delimiter: str | None = Field(default=None, description="One character; `\\t` or `tab` for a tab (default `,`)")
    fields: str | None = Field(default=None, description="Comma-separated event fields, in the order of the columns")
    header: bool = True
    raw: bool = Field(default=False, description="Cells as they are, without the escape against formula injection")


class EventListParameters(EventCsvParameters):
    """The query string of ``GET …/event`` as sent (parsed into ``EventListQuery``)."""

    sequence: str | None = Field(default=None, description="Sequence numbers separated by `;`, `,` or blanks")
    date0: date | None = None
    date1: date | None = None
    label: str | None = None
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0)


class ChangesParameters(Model):
    """The query string of ``GET …/changes/{since}``: ``unique`` (present: only each event's latest change)."""

    unique: bool | None = None
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
