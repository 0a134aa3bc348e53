"""A sequence's line log as the client receives it: the Seis+JSON document and its PDF rendering.

Both are built from one read of the sequence and its events, so the two files of a transfer say the
same thing. The PDF (fpdf2, imported on first use) holds the sequence's header and figures, the
Seis+JSON entries as a table, the QC findings not accepted, and a small plot of the track. It is
deterministic: the same data gives the same bytes (its creation date is the sequence's last shot),
so a transfer retried later sends a file with the same digest, which the sender recognises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib import errors
from chalicelib.db import linelog as db_linelog
from chalicelib.db import seis as db_seis
from chalicelib.models.qc import finding_of, is_open_finding
from chalicelib.models.sequences import Sequence
from chalicelib.services import seis
from chalicelib.services.lookup import get_project

MEDIA_TYPE = "application/pdf"
HTML_MEDIA_TYPE = "text/html"
TRACK_POINTS = 400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Characters the PDF's standard fonts (Latin-1) lack, written the nearest way they have.
_PLAIN = str.maketrans(
    {"\u2026": "...", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
)


@dataclass(frozen=True)
class LineLog:
    pid: str
    sequence: int
    line_name: str
    seis_json: bytes
    pdf: bytes


def seis_bytes(document: dict[str, Any]) -> bytes:
    """The document's bytes exactly as ``GET …/sequence/{n}`` answers them (Accept: application/vnd.seis+json)."""
    return json.dumps(document, separators=(",", ":"), default=str).encode()


def build(pid: str, sequence: int) -> LineLog:
    """The sequence's line log, or 404 when the project or the sequence does not exist."""
    project = get_project(pid)
    rows, events = db_seis.sequences_with_events(pid, [sequence])
    if not rows:
        raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
    row = rows[0]
    document = seis.document(pid, rows, events)
    kind = "final" if row["final_upload_id"] is not None else "raw"
    track = db_linelog.sequence_track(pid, sequence, kind, TRACK_POINTS)
    findings = [e for e in events if "QC" in e["labels"] and is_open_finding(e["meta"])]
    line_name = row["line_name"] or f"{pid}-{sequence}"
    pdf = render_pdf(project, row, document["Sequences"][0], findings, track)
    return LineLog(pid, sequence, line_name, seis_bytes(document), pdf)


def pdf(pid: str, sequence: int) -> bytes:
    return build(pid, sequence).pdf


def plain(value: Any) -> str:
    """Text the standard PDF fonts can show (Latin-1; anything else becomes '?')."""
    text = "" if value is None else str(value)
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def _time(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return str(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))


def _number(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{float(value):,.{digits}f}"


def html(pid: str, sequence: int) -> str:
    """The sequence as a page to read: its figures, its event log and its QC findings (404 as ``build``)."""
    project = get_project(pid)
    rows, events = db_seis.sequences_with_events(pid, [sequence])
    if not rows:
        raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
    return render_html(project, rows[0], events)


_PAGE_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:.2em .6em;text-align:left;vertical-align:top}th{background:#eee}"
    "td.n{text-align:right}"
)


def render_html(project: dict[str, Any], row: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """A self-contained HTML page (inline style, no script, every value escaped); pure like ``render_pdf``."""
    from html import escape

    def text(value: Any) -> str:
        return escape("" if value is None else str(value), quote=True)

    summary = Sequence.from_row(row)
    line_name = row["line_name"] or f"{project['pid']}-{row['sequence']}"
    figures = [
        ("Sequence", summary.sequence),
        ("Line", f"{summary.line} (attempt {summary.attempt})"),
        ("Status", summary.status),
        ("First shot (FSP)", f"{summary.fsp if summary.fsp is not None else '-'} at {_time(summary.ts0)}"),
        ("Last shot (LSP)", f"{summary.lsp if summary.lsp is not None else '-'} at {_time(summary.ts1)}"),
        ("Duration", _duration(summary.ts0, summary.ts1)),
        ("Shot points", summary.num_points if summary.num_points is not None else "-"),
        ("Preplot points shot", summary.num_preplots if summary.num_preplots is not None else "-"),
        ("Missing shots", summary.missing_shots if summary.missing_shots is not None else "-"),
        ("Length (m)", _number(summary.length)),
        ("Azimuth (deg, grid)", _number(summary.azimuth, 2)),
        ("Remarks", row["remarks"] or ""),
    ]
    findings = [e for e in events if "QC" in (e["labels"] or [])]
    log = [e for e in events if "QC" not in (e["labels"] or [])]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Sequence {text(summary.sequence)}: {text(line_name)}</title>",
        f"<style>{_PAGE_STYLE}</style></head><body>",
        f"<h1>Sequence {text(summary.sequence)}: {text(line_name)}</h1>",
        f"<p>Project {text(project['pid'])}: {text(project['name'])}</p>",
        "<h2>Figures</h2><table>",
        *(f"<tr><th>{text(name)}</th><td>{text(value)}</td></tr>" for name, value in figures),
        "</table>",
        f"<h2>Event log ({len(log)})</h2>",
        "<table><tr><th>Time (UTC)</th><th>SP</th><th>Labels</th><th>Remarks</th></tr>",
        *(
            f'<tr><td>{text(_time(e["tstamp"]))}</td><td class="n">{text(e["point"])}</td>'
            f"<td>{text(', '.join(e['labels'] or []))}</td><td>{text(e['remarks'])}</td></tr>"
            for e in log
        ),
        "</table>",
        f"<h2>QC findings ({len(findings)})</h2>",
        "<table><tr><th>SP</th><th>Test</th><th>Severity</th><th>Finding</th><th>Accepted</th></tr>",
    ]
    for finding in sorted(findings, key=lambda f: (f["point"] or 0, f["id"])):
        qc = finding_of(finding["meta"])
        out.append(
            f'<tr><td class="n">{text(finding["point"])}</td><td>{text(qc.get("test"))}</td>'
            f"<td>{text(qc.get('severity'))}</td><td>{text(qc.get('message') or finding['remarks'])}</td>"
            f"<td>{'yes' if qc.get('accepted') else 'no'}</td></tr>"
        )
    out += ["</table>", "</body></html>", ""]
    return "\n".join(out)


def render_pdf(
    project: dict[str, Any],
    row: dict[str, Any],
    entry: dict[str, Any],
    findings: list[dict[str, Any]],
    track: list[dict[str, Any]],
) -> bytes:
    """The PDF line log of one sequence (pure: the same arguments give the same bytes)."""
    from fpdf import FPDF

    summary = Sequence.from_row(row)
    line_name = row["line_name"] or f"{project['pid']}-{row['sequence']}"
    doc = FPDF(orientation="portrait", unit="mm", format="A4")
    doc.set_creation_date(row["ts1_final"] or row["ts1"] or _EPOCH)
    doc.set_title(plain(f"Line log {line_name}"))
    doc.set_author("Dougal")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_page()
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 9, plain(f"Line log: {line_name}"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 10)
    doc.cell(0, 6, plain(f"Project {project['pid']}: {project['name']}"), new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)

    last = (entry.get("Entries") or [{}])[-1] if entry.get("Entries") else {}
    line_status = seis.line_status({**summary.model_dump(), "has_final": row["final_upload_id"] is not None})
    figures = [
        ("Sequence", str(row["sequence"])),
        ("Line", f"{summary.line} (attempt {summary.attempt})"),
        ("Status", f"{summary.status}; {line_status}"),
        ("First shot (FSP)", f"{summary.fsp if summary.fsp is not None else '-'} at {_time(summary.ts0)}"),
        ("Last shot (LSP)", f"{summary.lsp if summary.lsp is not None else '-'} at {_time(summary.ts1)}"),
        ("Duration", _duration(summary.ts0, summary.ts1)),
        ("Shot points", str(summary.num_points if summary.num_points is not None else "-")),
        ("Preplot points shot", str(summary.num_preplots if summary.num_preplots is not None else "-")),
        ("Missing shots", str(summary.missing_shots if summary.missing_shots is not None else "-")),
        ("Length (m)", _number(summary.length)),
        ("Azimuth (deg)", _number(summary.azimuth, 2)),
        ("NTBP", "yes" if last.get("IsNTBP") else "no"),
    ]
    doc.set_font("Helvetica", "B", 12)
    doc.cell(0, 8, "Sequence", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 9)
    with doc.table(col_widths=(45, 135), first_row_as_headings=False) as table:
        for name, value in figures:
            cells = table.row()
            cells.cell(plain(name))
            cells.cell(plain(value))
    if row["remarks"]:
        doc.ln(2)
        doc.multi_cell(0, 5, plain(f"Remarks: {row['remarks']}"), new_x="LMARGIN", new_y="NEXT")

    doc.ln(3)
    doc.set_font("Helvetica", "B", 12)
    doc.cell(0, 8, "Line log entries", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 8)
    with doc.table(col_widths=(34, 16, 36, 94)) as table:
        heading = table.row()
        for title in ("Time (UTC)", "SP", "Entry", "Comment"):
            heading.cell(title)
        for item in entry.get("Entries") or []:
            cells = table.row()
            cells.cell(_time(item.get("Time")))
            cells.cell(str(item.get("ShotPointId", "")))
            cells.cell(plain(item.get("EntryType")))
            cells.cell(plain(item.get("Comment") or ""))

    doc.ln(3)
    doc.set_font("Helvetica", "B", 12)
    doc.cell(0, 8, f"QC findings not accepted: {len(findings)}", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 8)
    if findings:
        with doc.table(col_widths=(16, 34, 20, 110)) as table:
            heading = table.row()
            for title in ("SP", "Test", "Severity", "Finding"):
                heading.cell(title)
            for finding in sorted(findings, key=lambda f: (f["point"] or 0, f["id"])):
                qc = finding_of(finding["meta"])
                cells = table.row()
                cells.cell(str(finding["point"]))
                cells.cell(plain(qc.get("test")))
                cells.cell(plain(qc.get("severity")))
                cells.cell(plain(qc.get("message") or finding["remarks"]))

    _track_plot(doc, track)
    return bytes(doc.output())


def _duration(ts0: str | None, ts1: str | None) -> str:
    if ts0 is None or ts1 is None:
        return "-"
    seconds = int((datetime.fromisoformat(ts1) - datetime.fromisoformat(ts0)).total_seconds())
    return f"{seconds // 3600:d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _track_plot(doc: Any, track: list[dict[str, Any]]) -> None:
    """The track in grid coordinates (WGS 84 when the grid is unknown), north up, equal scales."""
    positions = [
        (float(t["easting"]), float(t["northing"]), t["point"])
        for t in track
        if t["easting"] is not None and t["northing"] is not None
    ]
    unit = "m (grid)"
    if not positions:
        positions = [(float(t["lon"]), float(t["lat"]), t["point"]) for t in track if t["lon"] is not None]
        unit = "degrees (WGS 84)"
    if len(positions) < 2:
        return
    size = 70.0
    if doc.get_y() + size + 16 > doc.h - doc.b_margin:
        doc.add_page()
    doc.ln(3)
    doc.set_font("Helvetica", "B", 12)
    doc.cell(0, 8, "Track", new_x="LMARGIN", new_y="NEXT")
    x0, y0 = doc.l_margin + 10, doc.get_y() + 2
    xs = [p[0] for p in positions]
    ys = [p[1] for p in positions]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = size / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return x0 + size / 2 + (x - cx) * scale, y0 + size / 2 - (y - cy) * scale

    doc.set_draw_color(160, 160, 160)
    doc.rect(x0, y0, size, size)
    doc.set_draw_color(0, 70, 160)
    doc.set_line_width(0.4)
    doc.polyline([at(x, y) for x, y, _ in positions])
    doc.set_font("Helvetica", "", 7)
    for (x, y, point), tag in ((positions[0], "FSP"), (positions[-1], "LSP")):
        px, py = at(x, y)
        doc.circle(x=px, y=py, radius=0.8, style="F")
        doc.text(min(px + 1.5, x0 + size + 1), py, plain(f"{tag} {point}"))
    doc.set_xy(x0 + size + 6, y0)
    doc.set_font("Helvetica", "", 8)
    across = f"{span:,.0f}" if unit.startswith("m") else f"{span:.4f}"
    doc.multi_cell(70, 4, plain(f"Square of {across} {unit}, north up.\n{len(positions)} positions shown."))
    doc.set_y(y0 + size + 2)
