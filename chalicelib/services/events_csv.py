"""The event log as CSV (RFC 4180), out and in: ``delimiter``, ``fields``, ``header``, ``raw``.

Formula injection: a spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and tab or
carriage return) as a formula, so a remark such as ``=HYPERLINK(…)`` typed on board would run in the
office. Text cells that begin so are written with a leading ``'`` (the spreadsheet shows the text as it
is); ``raw=true`` writes them unchanged. An import drops that ``'`` again, so export → import round-trips.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from chalicelib import errors
from chalicelib.models.events import MAX_CSV_ROWS, CsvOptions, EventNew

DEFAULT_FIELDS = ["tstamp", "sequence", "point", "remarks", "labels"]
ALIASES = {"timestamp": "tstamp", "text": "remarks"}
EXPORTABLE = ("id", "uid", "tstamp", "sequence", "point", "remarks", "labels", "has_edits")
IMPORTABLE = ("tstamp", "sequence", "point", "remarks", "labels")
LABEL_SEPARATOR = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def field_name(name: str) -> str:
    return ALIASES.get(name, name)


def _cell(value: Any, raw: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | str):
        text = LABEL_SEPARATOR.join(value) if isinstance(value, list) else value
        return text if raw or not text.startswith(FORMULA_STARTS) else ESCAPE + text
    return str(value)


def _unescaped(cell: str) -> str:
    return cell[1:] if cell.startswith(ESCAPE) and cell[1:].startswith(FORMULA_STARTS) else cell


def export(events: list[dict[str, Any]], options: CsvOptions) -> str:
    """The events (as JSON bodies) as RFC 4180 text, CRLF line ends, the given fields in order."""
    delimiter, header = options.delimiter, options.header
    fields = [field_name(f) for f in options.fields or DEFAULT_FIELDS]
    unknown = [f for f in fields if f not in EXPORTABLE]
    if unknown:
        raise errors.BadRequestError(f"fields: unknown field {unknown[0]!r}; available: {', '.join(EXPORTABLE)}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writerow(fields)
    for event in events:
        writer.writerow([_cell(event.get(f), options.raw) for f in fields])
    return out.getvalue()


def parse(body: bytes, options: CsvOptions) -> list[tuple[int, EventNew]]:
    """(row number in the file, event) for each row of a line log; 400 naming the row for the first bad one."""
    delimiter, header = options.delimiter, options.header
    fields = [field_name(f) for f in options.fields] if options.fields else None
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.BadRequestError("the CSV body is not UTF-8 text") from exc
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            if len(rows) > MAX_CSV_ROWS + 1:  # + the header
                break
    except csv.Error as exc:  # e.g. a field past the csv module's size limit
        raise errors.BadRequestError(f"row {len(rows) + 1}: {exc}") from exc
    if header:
        if not rows:
            raise errors.BadRequestError("the CSV body is empty")
        fields = [field_name(c.strip()) for c in rows[0]]
        rows = rows[1:]
        first_row = 2
    else:
        fields = fields or DEFAULT_FIELDS
        first_row = 1
    unknown = [f for f in fields if f not in IMPORTABLE]
    if unknown:
        raise errors.BadRequestError(f"fields: cannot import {unknown[0]!r}; importable: {', '.join(IMPORTABLE)}")
    if len(rows) > MAX_CSV_ROWS:
        raise errors.BadRequestError(f"a CSV import holds at most {MAX_CSV_ROWS} rows; split the file")
    events = []
    for number, row in enumerate(rows, first_row):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(fields):
            raise errors.BadRequestError(f"row {number}: {len(row)} columns, expected {len(fields)}")
        values: dict[str, Any] = {}
        try:
            for name, cell in zip(fields, row, strict=True):
                cell = _unescaped(cell.strip())
                if cell == "":
                    continue
                if name in ("sequence", "point"):
                    values[name] = int(cell)
                elif name == "tstamp":
                    values[name] = datetime.fromisoformat(cell.replace("Z", "+00:00"))
                elif name == "labels":
                    values[name] = [x.strip() for x in cell.split(LABEL_SEPARATOR) if x.strip()]
                else:
                    values[name] = cell
            events.append((number, EventNew.model_validate(values)))
        except (ValueError, ValidationError) as exc:
            if isinstance(exc, ValidationError):
                first = exc.errors()[0]
                detail = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            else:
                detail = str(exc)
            raise errors.BadRequestError(f"row {number}: {detail}") from exc
    if not events:
        raise errors.BadRequestError("the CSV body holds no rows")
    return events
