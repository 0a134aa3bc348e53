"""The columnar P1/11 shot reading (``read_shots_binary(...).columns()``) gives exactly what the
line-by-line reader gives over the decoded lines: the same shots, header, receivers and errors.

Files mix regular S1 runs (read as arrays) with everything the array reading hands to the
line-by-line reader: P1, R1 and comment records, several PRTs (extension fields, another tuple
order, a millisecond count, date-and-time text), OBJREFs written in several ways, padded, signed
and ``18.0``-style numbers, times with seven decimals or beyond 2**32 s, fields dropped at the
end or added blank, escapes, non-ASCII bytes, CRLF, a BOM, and bad records. Blocks are made small
so that runs cross block boundaries.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.parsers import ParseError, ShotColumns, decode_lines, open_shots, p111, p111_columns
from dougal_sim import simulator as sim
from tests.unit.parsers.files import FIXTURES

DIALECTS = Path(__file__).parents[2] / "fixtures" / "dialects"


def outcome(reader: Any, shots: Any) -> Any:
    try:
        found: Any = list(shots())
    except ParseError as exc:
        found = ("error", str(exc))
    return found, reader.header, reader.receivers


def read_both(data: bytes, size: int = 40) -> tuple[Any, Any, list[ShotColumns]]:
    """(line reader's outcome, columns' outcome, the batches) for one file's bytes."""
    text = p111.read_shots(decode_lines(io.BytesIO(data)))
    # Through the columns and back, as the import sees them (NaN for an absent number).
    expected = outcome(text, lambda: ShotColumns.from_records(list(text)).records())
    binary = p111.read_shots_binary(io.BytesIO(data))
    batches: list[ShotColumns] = []

    def shots() -> Any:
        for batch in binary.columns(size):
            batches.append(batch)
            yield from batch.records()

    return expected, outcome(binary, shots), batches


def assert_names_in_order(batches: list[ShotColumns]) -> None:
    for batch in batches:
        used = list(dict.fromkeys(batch.names[i] for i in batch.name_index.tolist()))
        assert batch.names == used  # each once, in order of first appearance, none unused


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(p111_columns, "BLOCK_BYTES", 900)


def _small_sequence(dialect: str | None = None, time_system: str = "gps", shots: int = 40) -> bytes:
    survey = sim.Survey(num_lines=4, points_per_line=200, line_step=2, first_point=1000, line_spacing=25.0)
    truth = survey.sequence(1, survey.lines[1], start=datetime(2021, 10, 8, 10, 0, tzinfo=UTC),
                            last_point=1000 + shots - 1)  # fmt: skip
    kwargs: dict[str, Any] = {"dialect": dialect} if dialect else {}
    if dialect == "feet-grid":
        survey = sim.feet_survey()
        truth = survey.sequence(1, survey.lines[0], start=datetime(2021, 10, 8, 10, 0, tzinfo=UTC),
                                last_point=survey.first_point + shots - 1)  # fmt: skip
    raw = sim.write_p111(truth, kind="raw", time_system=time_system, **kwargs)
    return raw.encode("utf-8") if isinstance(raw, str) else raw


# The header of a simulated file (GPS seconds, grid in tuple 1, WGS 84 in tuples 2 and 3, PRT 1),
# then more units, time references and PRTs the records below choose from.
_BASE = _small_sequence().decode().split("\nS1,")[0].split("\n")
_EXTRA_HEADER = [
    "HC,1,1,0,Unit of Measure,4,millisecond,time,2,4,0,1,1000,0,millisecond,1031,EPSG,",
    "HC,1,2,0,Time Reference System,2,1,0,UTC,1,1970:01:01,3",
    "HC,1,2,0,Time Reference System,3,1,0,UTC,1,1970:01:01,4",
    "HC,1,2,0,Time Reference System,4,1,0,UTC,0,,",
    "H1,1,0,0,Position Record Type Definition,2,1,2,,2,1,2,",  # lat/lon first, 2 extension fields
    "H1,1,0,0,Position Record Type Definition,3,2,1,1,3,1,0,",  # milliseconds
    "H1,1,0,0,Position Record Type Definition,4,2,1,1,4,1,0,",  # date and time text
    "H1,1,0,0,Position Record Type Definition,5,2,,,1,1,0,",  # grid only
]
_SECONDS = {"1": 1317722418.044, "2": 1633687200.25, "5": 1317722418.5}
# Each list: ways of writing a field the line reader takes, then a few it refuses.
_NAMES = [" L1", "L1 ", "LINE 3", "L\\u002C4", "Lé", "L\t5", "L" * 70, "L" * 64, ""]
_INTS = ["+5230", "05230", " 5230 ", "5230.0", "5230.", "-0", "-2147483648", "2147483647", "5230.000", "\t5230",
         "5230.5", "abc", "2147483648", "1e3", "", "5_230", "- 5", "123456789012345678901"]  # fmt: skip
_TIMES = ["{:.7f}", "{:.3f}", " {:.1f} ", "+{:.0f}", "{:.6f}", "-5.5", "0.0000001", "4294967295.999999",
          "8590394307.133714", "1.3e9", "", "nan", "9999999999999.5", "12345678901234567890.5",
          "{:.6f}x"]  # fmt: skip
_OBJREFS = [" 1", "01", "1.0", "2 ", "+2", "9", "x", "123456789", ""]
_PRTS = ["2", "3", "4", "5", " 1", "1.0", "7", "x"]
_COORDS = ["", "  ", "-0.0", ".5", "+12.", " 470126.26", "470126.2600000001", "12345678901234567", "1e5",
           "\t1.5", "abc", "4 5", "-", "1.2.3"]  # fmt: skip


def _record(draw: st.DrawFn, point: int, objref: str, name: str, regular: bool) -> str:
    prt = "1"
    if not regular and draw(st.integers(0, 2)) == 0:
        prt = draw(st.sampled_from(_PRTS))
    if not regular and draw(st.integers(0, 3)) == 0:
        objref = draw(st.sampled_from(_OBJREFS))
    seconds = _SECONDS.get(prt.strip(), 1317722418.0) + point * 10.001
    if prt == "3":
        time = f"{int(seconds * 1000)}"
    elif prt == "4":
        time = f"2021:10:08:10:00:{point % 60:06.3f}"
    else:
        time = f"{seconds:.6f}"
    fields = ["S1", "0", name, "5230", str(point), str(point), "1", time, objref, "G1", prt, ""]
    e, n, lat, lon = f"{470000 + point * 2.5:.2f}", f"{6560000 + point:.2f}", "59.176149111", "2.477350010"
    if prt.strip() == "2":
        fields += [lat, lon, "", e, n, "", "", "", ""]
    elif prt.strip() == "5":
        fields += [e, n, "", "", "", "", "", "", ""]
    else:
        fields += [e, n, "", lat, lon, "", lat, lon, ""]
    fields += ["1.20", "0.90", "45.0", "", ""]
    if prt.strip() == "2":
        fields += ["7", ""]
    if not regular:
        for _ in range(draw(st.integers(1, 2))):
            what = draw(st.sampled_from(["line", "point", "time", "coord", "name", "drop", "extra", "none"]))
            if what in ("line", "point"):
                fields[3 if what == "line" else 4] = draw(st.sampled_from(_INTS))
            elif what == "time":
                fields[7] = draw(st.sampled_from(_TIMES)).format(seconds)
            elif what == "coord" and len(fields) > 12:
                fields[draw(st.integers(12, min(19, len(fields) - 1)))] = draw(st.sampled_from(_COORDS))
            elif what == "name":
                fields[2] = draw(st.sampled_from(_NAMES))
            elif what == "drop":  # writers stop at the last field they fill
                while len(fields) > 20 and not fields[-1]:
                    fields.pop()
                if draw(st.integers(0, 3)) == 0:
                    fields = fields[: draw(st.integers(8, len(fields)))]
            elif what == "extra":
                fields += draw(st.sampled_from([[""], ["", " "], ["", "", "", "", "", "", "", "", ""], [" ", "x"]]))
    line = ",".join(fields)
    if regular and draw(st.integers(0, 3)) == 0:
        line += ","  # the simulator's (and many writers') trailing comma: one empty field more
    return line


@st.composite
def p111_files(draw: st.DrawFn) -> bytes:
    lines = list(_BASE)
    if draw(st.integers(0, 4)):
        extra = _EXTRA_HEADER
    else:
        extra = draw(st.lists(st.sampled_from(_EXTRA_HEADER), max_size=len(_EXTRA_HEADER), unique=True))
    lines[-2:-2] = extra  # before the closing comments
    point = 1000
    name = "L1"
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(["run", "run", "run", "odd", "odd", "P1", "R1", "CC", "blank", "dirty"]))
        if kind == "run":
            if draw(st.integers(0, 6)) == 0:
                name = draw(st.sampled_from(["L1", "L2", "LINE 3"]))
            for _ in range(draw(st.integers(1, 15))):
                point += 1
                objref = draw(st.sampled_from(["1", "2"]))
                lines.append(_record(draw, point, objref, name, regular=True))
                for idle in draw(st.sampled_from([[], ["3"], ["2", "3"]])):
                    lines.append(f"P1,0,{name},5230,{point},{point},1,1317722418.0,{idle},VESSEL,1,,1.0,2.0,,3,4,,")
        elif kind == "odd":
            point += draw(st.sampled_from([0, 1]))
            lines.append(_record(draw, point, draw(st.sampled_from(["1", "2"])), name, regular=False))
        elif kind == "P1":
            lines.append(draw(st.sampled_from(["P1,0,L1,x,y,z,,,", "P1,", "P1,0,Lé,1,2", "P1,0,L\\u002C1,1,2"])))
        elif kind == "R1":
            lines.append(f"R1,0,,5230,{point},,1,,1,NODE,1,N{point},470000.00,6560000.00,10.0,,,,,,,,,,,")
        elif kind == "CC":
            lines.append(
                draw(
                    st.sampled_from(
                        [
                            "CC,1,0,0,after the data",
                            "Q9,unknown record",
                            "CC,1,0,0,Café",
                            "CC,1,0,0," + "longer than a block " * 60,
                        ]
                    )
                )
            )
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", "   "])))
        else:  # a record holding bytes the array reading leaves to the line reader
            point += 1
            record = _record(draw, point, "1", name, regular=True)
            at = draw(st.integers(3, len(record)))
            mark = draw(st.sampled_from(["é", "\t", "\r", "\x0c", "\x1a", "\x01", "\x7f"]))
            lines.append(record[:at] + mark + record[at:])
    if draw(st.integers(0, 6)) == 0:
        lines.append(draw(st.sampled_from(["S1,truncated", "s1,0,lower", " S1,0,indented", "P1,0,\x01bad"])))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(lines) + (ending if draw(st.booleans()) else "")
    data = text.encode(draw(st.sampled_from(["utf-8", "latin-1"])), errors="replace")
    if draw(st.integers(0, 8)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p111_files())
def test_columns_read_what_the_line_reader_reads(data: bytes) -> None:
    expected, found, batches = read_both(data)
    assert found == expected
    assert_names_in_order(batches)


SIMULATED = [(d, t) for d in (None, "trinav", "seapro", "spectra", "feet-grid", "obn") for t in ("gps",)]
SIMULATED += [(None, "unix"), (None, "datetime"), (None, "doy")]


@pytest.mark.parametrize(("dialect", "time_system"), SIMULATED)
def test_simulated_files(dialect: str | None, time_system: str) -> None:
    expected, found, batches = read_both(_small_sequence(dialect, time_system))
    assert found == expected
    assert len(expected[0]) == 40
    assert_names_in_order(batches)


@pytest.mark.parametrize(
    "path",
    sorted(FIXTURES.glob("p111_*.p111")) + sorted(DIALECTS.glob("p111_*.p111")),
    ids=lambda p: p.name,
)
def test_fixture_files(path: Path) -> None:
    expected, found, _ = read_both(path.read_bytes())
    assert found == expected


def test_times_are_those_timedelta_gives() -> None:
    """Seconds written with up to six decimals, near 2**32 s too, give the line reader's microseconds."""
    header = "\n".join(_BASE)
    times = ["0.000001", "0.5", "1317722418.044001", "4294967295.999999", "4294967295.000001", "-1.000001",
             "1633687200.999999", "86400", "2.", "+0.25", "0000000012.125", "12.1234567", "8590394307.133714",
             "17180451511.349874", "0.0000005"]  # fmt: skip
    rows = [f"S1,0,L1,5230,{1000 + i},,1,{t},{1 + i % 2},G,1,,470000.00,6560000.00,,59.1,2.4,,,,,,,,,," for i, t in
            enumerate(times * 4)]  # fmt: skip
    data = (header + "\n" + "\n".join(rows) + "\n").encode()
    expected, found, _ = read_both(data, size=1000)
    assert found == expected and len(found[0]) == len(rows)


def test_regular_files_are_read_as_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the header and the first S1 of each PRT/OBJREF go line by line; no P1 record is read."""
    monkeypatch.setattr(p111_columns, "BLOCK_BYTES", 1 << 20)
    data = _small_sequence(shots=200)
    handed: list[str] = []
    original = p111.ShotReadingState.line

    def line(self: p111.ShotReadingState, lineno: int, text: str) -> object:
        handed.append(text)
        return original(self, lineno, text)

    binary = open_shots("p111", io.BytesIO(data))
    monkeypatch.setattr(p111.ShotReadingState, "line", line)
    shots = [shot for batch in binary.columns() for shot in batch.records()]
    assert len(shots) == 200
    s1 = [t for t in handed if t.startswith("S1,")]
    assert len(s1) == 2 and {t.split(",")[8] for t in s1} == {"1", "2"}  # one per source
    assert not [t for t in handed if t.startswith("P1,")]
    lines = data.decode().splitlines()
    first_s1 = next(i for i, t in enumerate(lines) if t.startswith("S1,"))
    assert len(handed) < first_s1 + 20 + len([t for t in lines if not t.startswith(("S1,", "P1,"))])
    monkeypatch.undo()
    text = p111.read_shots(decode_lines(io.BytesIO(data)))
    assert shots == list(ShotColumns.from_records(list(text)).records())
    assert binary.header == text.header


def test_open_shots_reads_p111_from_its_bytes() -> None:
    data = _small_sequence()
    reader = open_shots("p111", io.BytesIO(data))
    assert isinstance(reader, p111.ShotReader) and reader._raw is not None
    assert [s.point for s in reader] == list(range(1000, 1040))
    assert reader.header.line_names == [reader.header.line_names[0]] and reader.header.sequence == 1


class _ReadOnly:
    """A stream offering only ``read`` (no ``readinto``)."""

    def __init__(self, data: bytes) -> None:
        self._raw = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size)


def test_a_stream_with_read_only() -> None:
    data = _small_sequence(shots=100)
    text = p111.read_shots(decode_lines(io.BytesIO(data)))
    binary = p111.read_shots_binary(_ReadOnly(data))  # type: ignore[arg-type]
    assert list(binary) == list(ShotColumns.from_records(list(text)).records())
    assert binary.header == text.header
