"""Properties of the three readers over many files (hypothesis).

1. Any file the simulator writes, in any dialect, reads back to its truth.
2. Any mutation of a valid file (truncated, a column shifted, a byte flipped, a line
   duplicated or dropped) is either read or rejected with a ParseError that names a
   line, never another exception.

Examples are bounded (few, small surveys) so the whole module runs in well under a
minute on one core.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.parsers import (
    ParseError,
    PreplotRecord,
    ReceiverRecord,
    ShotRecord,
    decode_lines,
    detect_format,
    preplot_reader,
    shot_reader,
)
from dougal_sim import simulator
from dougal_sim.simulator import DIALECT_KINDS, DialectFile, Survey

COMBINATIONS = [(kind, dialect) for kind, dialects in DIALECT_KINDS.items() for dialect in dialects]
FORMATS = {"p111": "p111", "p111-preplot": "p111", "p190": "p190", "p190-preplot": "p190", "sps": "sps21"}
START = datetime(2021, 10, 8, 23, 58, 0, tzinfo=UTC)  # sequences cross midnight

# Precision each format writes: (metres, degrees).
PRECISION = {"p111": (0.006, 6e-9), "p190": (0.051, 0.0051 / 3600), "sps21": (0.051, 0.0)}


@st.composite
def dialect_files(draw: st.DrawFn) -> DialectFile:
    kind, dialect = draw(st.sampled_from(COMBINATIONS))
    shape = {
        "num_lines": draw(st.integers(1, 3)),
        "points_per_line": draw(st.integers(2, 25)),
        "first_point": draw(st.integers(1, 5000)),
        "azimuth_deg": draw(st.floats(0, 359)),
        "seed": draw(st.integers(0, 1000)),
    }
    survey = simulator.feet_survey(**shape) if dialect == "feet-grid" else Survey(**shape)
    truth = None
    if kind in ("p111", "p190"):
        sources = draw(st.sampled_from([(1,), (1, 2), (2, 3)]))
        truth = survey.sequence(
            draw(st.integers(1, 999)),
            survey.lines[draw(st.integers(0, len(survey.lines) - 1))],
            start=START,
            direction=draw(st.sampled_from([1, -1])),
            sources=sources,
            run_in=draw(st.integers(0, 2)),
        )
    return simulator.dialect_file(kind, dialect, truth=truth, survey=survey)


def read(data: bytes, kind: str) -> tuple[str, list[object], list[ReceiverRecord], object]:
    """Detect and read a file the way the ingest does; return format, records, receivers, header."""
    fmt = detect_format(data[:65536])
    lines = decode_lines(io.BytesIO(data))
    reader = shot_reader(fmt, lines, year=2021) if kind in ("p111", "p190") else preplot_reader(fmt, lines)
    records = list(reader)
    return fmt, records, reader.receivers, reader.header


def assert_shots(got: list[ShotRecord], expected: list[ShotRecord], metres: float, degrees: float) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert (g.line_name, g.line, g.point, g.objref, g.tstamp) == (e.line_name, e.line, e.point, e.objref, e.tstamp)
        assert g.source_id == e.source_id or (g.source_id is None and e.source_id is None) or e.source_id is None
        assert g.easting == pytest.approx(e.easting, abs=metres)
        assert g.northing == pytest.approx(e.northing, abs=metres)
        assert g.lat == pytest.approx(e.lat, abs=degrees)
        assert g.lon == pytest.approx(e.lon, abs=degrees)


def assert_preplot(got: list[PreplotRecord], expected: list[PreplotRecord], metres: float, degrees: float) -> None:
    truth = {(r.line, r.point): r for r in expected}
    assert sorted((r.line, r.point) for r in got) == sorted(truth)
    for r in got:
        e = truth[r.line, r.point]
        assert r.easting == pytest.approx(e.easting, abs=metres)
        assert r.northing == pytest.approx(e.northing, abs=metres)
        if r.lat is not None:
            assert r.lat == pytest.approx(e.lat, abs=degrees)
            assert r.lon == pytest.approx(e.lon, abs=degrees)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dialect_files())
def test_every_dialect_reads_back_to_its_truth(file: DialectFile) -> None:
    data = file.text.encode("utf-8")
    fmt, records, receivers, header = read(data, file.kind)
    assert fmt == FORMATS[file.kind]
    metres, degrees = PRECISION[fmt]
    if file.dialect == "feet-grid":
        metres /= 0.3  # the grid is written to 0.01 or 0.1 of a foot
    if file.kind in ("p111", "p190"):
        assert_shots(records, file.shots, metres, degrees)  # type: ignore[arg-type]
    else:
        assert_preplot(records, file.preplot, metres, degrees)  # type: ignore[arg-type]
    assert len(receivers) == len(file.receivers)
    for g, e in zip(receivers, file.receivers, strict=True):
        assert (g.line, g.point, g.node, g.objref, g.depth) == (e.line, e.point, e.node, e.objref, e.depth)
        assert (g.easting, g.northing) == (pytest.approx(e.easting, abs=0.051), pytest.approx(e.northing, abs=0.051))
        if g.lat is not None:
            assert (g.lat, g.lon) == (pytest.approx(e.lat, abs=1e-8), pytest.approx(e.lon, abs=1e-8))
    for name, value in file.header.items():
        got = getattr(header, name) if name != "towgs84" else (header.transformation and header.transformation.towgs84)  # type: ignore[attr-defined]
        if name == "grid_unit_metres" and value is not None:
            assert got == pytest.approx(value), name
        elif name == "towgs84" and value is not None:
            assert got == pytest.approx(value), name
        else:
            assert got == value, name


MUTATIONS = ("truncate", "shift", "flip", "duplicate", "drop")


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    file = draw(dialect_files())
    data = bytearray(file.text.encode("utf-8"))
    lines = data.split(b"\n")
    how = draw(st.sampled_from(MUTATIONS))
    if how == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    else:
        k = draw(st.integers(0, len(lines) - 1))
        if how == "shift":
            at = draw(st.integers(0, len(lines[k])))
            lines[k] = lines[k][:at] + b" " * draw(st.integers(1, 3)) + lines[k][at:]
        elif how == "duplicate":
            lines.insert(k, lines[k])
        else:
            del lines[k]
        data = bytearray(b"\n".join(lines))
    return bytes(data), file.kind


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_a_mutated_file_is_read_or_rejected_with_a_line_number(case: tuple[bytes, str]) -> None:
    data, kind = case
    try:
        read(data, kind)
    except ParseError as exc:
        if exc.lineno is None:
            # Only a file with nothing left in it, or the wrong kind, has no line to name.
            assert exc.reason in ("empty file", "an SPS file holds preplot points, not shots"), exc.reason
        else:
            assert exc.lineno >= 1
