"""The PDF line log, rendered from plain data: readable text, the same bytes for the same data, any text."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from chalicelib.services.linelog import plain, render_pdf

T0 = datetime(2021, 10, 8, 23, 50, tzinfo=UTC)


def row(**changes):
    base = {
        "pid": "alpha",
        "sequence": 55,
        "line": 5210,
        "attempt": 1,
        "line_name": "5210S055",
        "ntbp": False,
        "remarks": "Swell 3 m \u2014 \u00e6\u00f8\u00e5 \u2713",
        "remarks_final": "",
        "meta": {},
        "meta_final": {},
        "raw_upload_id": 1,
        "final_upload_id": 2,
        "fsp": 1000,
        "lsp": 1119,
        "ts0": T0,
        "ts1": T0 + timedelta(minutes=20, seconds=5),
        "num_points_raw": 120,
        "num_preplots_raw": 120,
        "missing_raw": 1,
        "length_raw": 2975.0,
        "azimuth_raw": 90.0,
        "fsp_final": 1000,
        "lsp_final": 1119,
        "ts0_final": T0,
        "ts1_final": T0 + timedelta(minutes=20, seconds=5),
        "num_points_final": 119,
        "num_preplots_final": 119,
        "missing_final": 1,
        "length_final": 2975.0,
        "azimuth_final": 90.05,
    }
    return {**base, **changes}


def entries(count):
    return {
        "SequenceNumber": 55,
        "Entries": [
            {
                "EntryType": "Comment",
                "ShotPointId": 1000 + i,
                "Time": (T0 + timedelta(seconds=10 * i)).isoformat().replace("+00:00", "Z"),
                "Comment": f"Event {i} \u2026 \u65e5\u672c",
            }
            for i in range(count)
        ],
    }


FINDING = {"id": 7, "point": 1010, "remarks": "", "meta": {"qc": {"test": "missing_shots", "severity": "error"}}}
TRACK = [
    {"point": 1000 + i, "easting": 500000.0 + 25 * i, "northing": 6.5e6, "lon": None, "lat": None} for i in range(120)
]
PROJECT = {"pid": "alpha", "name": "North Sea 3D"}


def text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_reads_back_with_the_sequence_and_its_first_and_last_shot():
    found = text(render_pdf(PROJECT, row(), entries(3), [FINDING], TRACK))
    assert "Line log: 5210S055" in found
    assert "Sequence 55" in found
    assert "First shot (FSP) 1000 at 2021-10-08 23:50:00" in found
    assert "Last shot (LSP) 1119 at 2021-10-09 00:10:05" in found
    assert "Duration 0:20:05" in found
    assert "QC findings not accepted: 1" in found and "missing_shots" in found
    assert "FSP 1000" in found and "LSP 1119" in found  # the track plot's labels


def test_the_same_data_gives_the_same_bytes_and_other_data_other_bytes():
    one = render_pdf(PROJECT, row(), entries(3), [FINDING], TRACK)
    assert render_pdf(PROJECT, row(), entries(3), [FINDING], TRACK) == one
    assert render_pdf(PROJECT, row(remarks="Other"), entries(3), [FINDING], TRACK) != one


def test_a_long_log_runs_over_pages_and_any_text_is_written():
    pdf = render_pdf(PROJECT, row(), entries(200), [], [])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 2
    found = text(pdf)
    assert "Event 199 ..." in found and "QC findings not accepted: 0" in found


def test_a_raw_only_sequence_without_positions():
    raw_only = row(final_upload_id=None, fsp_final=None, lsp_final=None, ts0_final=None, ts1_final=None)
    found = text(
        render_pdf(
            PROJECT,
            raw_only,
            {"SequenceNumber": 55, "Entries": []},
            [],
            [{"point": 1000, "easting": None, "northing": None, "lon": None, "lat": None}],
        )
    )
    assert "Status raw; Pending" in found
    assert "Track" not in found


def test_plain_keeps_latin1_and_replaces_the_rest():
    assert plain("\u00e6\u00f8\u00e5 \u00b0") == "\u00e6\u00f8\u00e5 \u00b0"
    assert plain("a \u2014 b \u2026 \u2713") == "a - b ... ?"
    assert plain(None) == ""
