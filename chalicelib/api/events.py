"""Spec tag "log": the event log (line log and daily log), its history, changes and labels."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import errors
from chalicelib.api import http
from chalicelib.api.http import route
from chalicelib.models.limits import INT64_MAX

if TYPE_CHECKING:
    from chalicelib.models import events as events_models
    from chalicelib.models.events import (
        ChangesParameters,
        CsvOptions,
        Event,
        EventChanged,
        EventCsvParameters,
        EventDeleted,
        EventInstance,
        EventListParameters,
        EventListQuery,
        EventNew,
        EventsCreated,
        Label,
    )
    from chalicelib.services import events, events_csv, seis
else:
    events = http.lazy_service("chalicelib.services.events")
    events_csv = http.lazy_service("chalicelib.services.events_csv")
    seis = http.lazy_service("chalicelib.services.seis")
    (
        ChangesParameters,
        CsvOptions,
        Event,
        EventChanged,
        EventCsvParameters,
        EventDeleted,
        EventInstance,
        EventListParameters,
        EventListQuery,
        EventNew,
        EventsCreated,
        Label,
    ) = http.lazy_models(
        "chalicelib.models.events",
        "ChangesParameters",
        "CsvOptions",
        "Event",
        "EventChanged",
        "EventCsvParameters",
        "EventDeleted",
        "EventInstance",
        "EventListParameters",
        "EventListQuery",
        "EventNew",
        "EventsCreated",
        "Label",
    )
    events_models = http.lazy_service("chalicelib.models.events")

bp = Blueprint(__name__)

JSON, GEOJSON, CSV = "application/json", "application/geo+json", "text/csv"
MAX_SEQUENCES = 1000
SEIS = "application/vnd.seis+json"  # services/seis.MEDIA_TYPE (a test keeps them equal)
REPRESENTATIONS = [JSON, GEOJSON, SEIS, CSV]


def _event_id(text: str) -> int:
    return http.int_param(text, "id", minimum=1, maximum=INT64_MAX)


def _author() -> str:
    return http.identity(bp.current_request).name


def parse_sequences(text: str | None) -> list[int] | None:
    """``sequence=1;3`` (any of ``;``, ``,`` or blanks between); None when absent or empty."""
    if text is None or text.strip() == "":
        return None
    numbers = [x for x in re.split(r"[;,\s]+", text.strip()) if x]
    if len(numbers) > MAX_SEQUENCES:
        raise errors.BadRequestError(f"sequence: at most {MAX_SEQUENCES} sequence numbers")
    return [http.int_param(x, "sequence") for x in numbers]


def parse_date(text: str | None, name: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise errors.BadRequestError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from exc


def parse_since(text: str) -> datetime:
    """The ``{since}`` of ``changes/{since}``: an ISO 8601 time with its zone (``+`` may arrive as a blank)."""
    from urllib.parse import unquote

    text = unquote(text)
    try:
        since = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise errors.BadRequestError(f"since: {text!r} is not an ISO-8601 time") from exc
    if since.tzinfo is None:
        raise errors.BadRequestError("since: give a time zone (e.g. Z for UTC)")
    return since


def csv_options(query: dict[str, str]) -> CsvOptions:
    """``delimiter`` (one character; ``\\t`` or ``tab`` for a tab), ``fields`` (comma-separated), ``header``,
    ``raw`` (no escape of cells against formula injection)."""
    delimiter = query.get("delimiter", ",")
    if delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"
    if len(delimiter) != 1 or delimiter in ('"', "\r", "\n"):
        raise errors.BadRequestError("delimiter must be one character (not a quote or a line break)")
    fields = None
    if query.get("fields"):
        fields = [f.strip() for f in query["fields"].split(",") if f.strip()]
    header = query.get("header", "true").strip().lower() in ("true", "1")
    raw = query.get("raw", "false").strip().lower() in ("true", "1")
    return CsvOptions(delimiter=delimiter, fields=fields, header=header, raw=raw)


def list_query(query: dict[str, str]) -> EventListQuery:
    """The event list's query string; 400 naming the first bad parameter."""
    return EventListQuery(
        sequences=parse_sequences(query.get("sequence")),
        date0=parse_date(query.get("date0"), "date0"),
        date1=parse_date(query.get("date1"), "date1"),
        label=query.get("label") or None,
        limit=http.int_param(
            query.get("limit"), "limit", default=events_models.DEFAULT_PAGE, minimum=1, maximum=events_models.MAX_PAGE
        ),
        offset=http.int_param(query.get("offset"), "offset", default=0, minimum=0),
    )


@route(bp, "/project/{project}/event", media_types=REPRESENTATIONS, response=list[Event], query=EventListParameters)
def list_events(project: str) -> Any:
    """The event log, filtered and paged; also as Seis+JSON, GeoJSON or CSV."""
    request = bp.current_request
    representation = http.negotiate(request, REPRESENTATIONS)
    query = http.query_params(request)
    if representation == seis.MEDIA_TYPE:
        document = seis.export(project, parse_sequences(query.get("sequence")))
        return http.json_response(document, headers={"Content-Type": seis.MEDIA_TYPE})
    rows, total = events.list_events(project, list_query(query))
    bodies = [Event.from_row(r).model_dump(mode="json") for r in rows]
    headers = {"X-Total-Count": str(total)}
    if representation == GEOJSON:
        features = [
            {
                "type": "Feature",
                "id": b["id"],
                "geometry": b["meta"]["geometry"],
                "properties": {k: v for k, v in b.items() if k != "meta"}
                | {"meta": {k: v for k, v in b["meta"].items() if k != "geometry"}},
            }
            for b in bodies
            if isinstance(b["meta"].get("geometry"), dict)
        ]
        return http.json_response(
            {"type": "FeatureCollection", "features": features}, headers={**headers, "Content-Type": GEOJSON}
        )
    if representation == CSV:
        text = events_csv.export(bodies, csv_options(query))
        return Response(body=text, status_code=200, headers={**headers, "Content-Type": "text/csv; charset=utf-8"})
    return http.json_response(bodies, headers=headers)


@route(
    bp,
    "/project/{project}/event",
    methods=("POST",),
    content_types=[JSON, CSV],
    body=EventNew,
    response=Event | EventsCreated,
    query=EventCsvParameters,
)
def create_event(project: str) -> Any:
    """Add an entry to the event log (JSON), or several from a CSV file."""
    request = bp.current_request
    content_type = (request.headers.get("content-type") or JSON).split(";")[0].strip().lower()
    if content_type == CSV:
        raw = request.raw_body or b""
        rows = events_csv.parse(
            raw if isinstance(raw, bytes) else raw.encode(), csv_options(http.query_params(request))
        )
        ids = events.create_events(project, rows, _author(), http.actor(request))
        return http.json_response(EventsCreated(created=len(ids), ids=ids), status=201)
    created = events.create_event(project, http.parse_body(request, EventNew), _author(), http.actor(request))
    return http.json_response(created, status=201, headers={"Location": f"/project/{project}/event/{created.id}"})


@route(bp, "/project/{project}/event/{id}", response=list[EventInstance])
def get_event_history(project: str, id: str) -> Any:
    """Every instance of one event: its history of changes."""
    return http.json_response(events.history(project, _event_id(id)))


@route(bp, "/project/{project}/event/{id}", methods=("PUT",), body=EventNew, response=Event)
def replace_event(project: str, id: str) -> Any:
    """Replace an event with a new instance."""
    new = http.parse_body(bp.current_request, EventNew)
    return http.json_response(
        events.replace_event(project, _event_id(id), new, _author(), http.actor(bp.current_request)), status=201
    )


@route(bp, "/project/{project}/event/{id}", methods=("PATCH",), body=EventNew, response=Event)
def update_event(project: str, id: str) -> Any:
    """Change some fields of an event (a new instance)."""
    body = http.json_body(bp.current_request)
    if not isinstance(body, dict):
        raise errors.BadRequestError("The body must be a JSON object")
    body.pop("id", None)  # the spec lets clients repeat the id in the body
    checked = http.parse_body_data(body, EventNew)
    changes = checked.model_dump(include=set(body))
    return http.json_response(
        events.update_event(project, _event_id(id), changes, _author(), http.actor(bp.current_request)), status=201
    )


@route(bp, "/project/{project}/event/{id}", methods=("DELETE",))
def delete_event(project: str, id: str) -> Any:
    """Delete an event."""
    events.delete_event(project, _event_id(id), _author(), http.actor(bp.current_request))
    return http.empty_response()


@route(bp, "/project/{project}/changes/{since}", response=list[EventChanged | EventDeleted], query=ChangesParameters)
def list_changes(project: str, since: str) -> Any:
    """Events changed or deleted since a time."""
    query = http.query_params(bp.current_request)
    limit = http.int_param(
        query.get("limit"), "limit", default=events_models.DEFAULT_PAGE, minimum=1, maximum=events_models.MAX_PAGE
    )
    found, until = events.changes(project, parse_since(since), "unique" in query, limit)
    return http.json_response(found, headers={"X-Changes-Until": until.isoformat()})


@route(bp, "/project/{project}/label", response=list[Label])
def list_labels(project: str) -> Any:
    """The labels a project's events may carry."""
    return http.json_response(events.project_labels(project))
