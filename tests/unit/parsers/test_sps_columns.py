"""The columnar SPS reading (``read_preplot_binary(...).columns()``) gives exactly what the line-by-line
reader gives over the decoded lines: the same points, header, receivers, relations and errors.

Files are built from regular S records (so runs are read as arrays) mixed with everything the array
reading hands to the line-by-line reader: headers, R and X records, tabs, CRLF, blank and short lines,
fractional, signed, blank and malformed numbers, non-ASCII bytes, repeated points, a BOM. Blocks and the
minimum run are made small so that runs cross block boundaries.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.parsers import ParseError, decode_lines, sps, sps_columns


def s_record(line: str, point: str, easting: str, northing: str, index: str = "1", tail: str = "") -> str:
    """An S record of rev 2.1 with the fields as given (each right-aligned in its columns)."""
    return f"S{line:>10}{point:>10}  {index:1}{'1A1':<3}{'':>2}{'6.0':>4}{'':>13}{easting:>9}{northing:>10}{tail}"


def s1_record(line: str, point: str, easting: str, northing: str, index: str = "1") -> str:
    """An S record of rev 1 (line 2-17, point 18-25, index 26)."""
    return f"S{line:>16}{point:>8}{index:1}{'':>20}{easting:>9}{northing:>10}   0.0"


def read_both(data: bytes, rev: str | None, size: int = 50) -> tuple[Any, Any]:
    def outcome(reader: sps.PreplotReader, points: Any) -> Any:
        try:
            found: Any = list(points())
        except ParseError as exc:
            found = ("error", str(exc))
        header = reader.header
        return (
            found,
            (header.format, header.version, header.grid_epsg, header.grid_unit, header.line_names, header.records),
            reader.receivers,
            reader.relations,
        )

    text = sps.read_preplot(decode_lines(io.BytesIO(data)), rev=rev)
    binary = sps.read_preplot_binary(io.BytesIO(data), rev=rev)
    return (
        outcome(text, lambda: iter(text)),
        outcome(binary, lambda: (r for c in binary.columns(size) for r in c.records())),
    )


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sps_columns, "BLOCK_BYTES", 700)
    monkeypatch.setattr(sps_columns, "MIN_RUN", 3)


NUMBERS = st.sampled_from(
    ["5210", "5210.00", "5210.5", "-12.25", "+7", "7.", ".5", "-.5", "0", "-0.0", "  ", "1e3", "nan", "1_000",
     "1.2.3", "- 5", "5-", "12345678901", "3.14159265358979", "\uff11\uff12"]  # full-width digits
)  # fmt: skip
COORDS = st.sampled_from(["470246.1", "6560527.5", "470000", "-1.5", "4702A6.1", "", "12.", "inf"])


@st.composite
def sps_files(draw: st.DrawFn) -> tuple[bytes, str | None]:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("H00 SPS format version num.     SPS V2.1 revised Jan, 2006;")
    if draw(st.booleans()):
        lines.append("H13 Geodetic Coordinate System  EPSG:32631;")
    point = draw(st.integers(1, 3000))
    line = draw(st.sampled_from([5210, 5212, 5214]))
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["run", "run", "run", "odd", "R", "X", "blank", "H", "newline"]))
        if kind == "run":  # regular records, whole numbers
            for _ in range(draw(st.integers(1, 12))):
                point += draw(st.sampled_from([1, 1, 1, 0, -1, 2]))
                if draw(st.integers(0, 30)) == 0:
                    line += draw(st.sampled_from([2, 2, -2]))  # now and then back to a line read before
                fields = [f"{line}.00", f"{point}.00", f"{470000 + point * 3.1:.1f}", "6560527.5"]
                if draw(st.integers(0, 8)) == 0:  # one character changed, the decimal point kept in place
                    which = draw(st.integers(0, 3))
                    at = draw(st.integers(0, len(fields[which]) - 4))
                    fields[which] = fields[which][:at] + draw(st.sampled_from(" A-+_e.")) + fields[which][at + 1 :]
                tail = draw(st.sampled_from(["", "", " ", "   0.0", "  12.5  1234", " "]))  # some writers trim
                lines.append(s_record(*fields, tail=tail))
        elif kind == "odd":
            record = s_record(draw(NUMBERS), draw(NUMBERS), draw(COORDS), draw(COORDS), draw(st.sampled_from("1 2 9x")))
            mutate = draw(st.sampled_from(["none", "tab", "short", "latin", "lower", "cols"]))
            if mutate == "tab":
                record = record[:21] + "\t" + record[22:]
            elif mutate == "short":
                record = record[:61]
            elif mutate == "latin":
                record += " é"
            elif mutate == "lower":
                record = "s" + record[1:]
            elif mutate == "cols":
                record = record[:21] + "1A" + record[23:]
            lines.append(record)
        elif kind == "R":
            lines.append("R" + s_record(f"{line}", f"{point}", "470000.0", "6560000.0")[1:])
        elif kind == "X":
            relation = " " * 6 + "       1" + "1" + "   5210.00   2576.00" + "1" + "    1  240" + "1" + "   7000.00"
            lines.append("X" + relation)
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", "   ", "\x1a"])))
        elif kind == "H":
            lines.append("H26 remark in the middle of the file")
        else:
            lines.append(s_record(f"{line}", f"{point}", "470000.0", "6560000.0", tail=" extra columns"))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(lines) + (ending if draw(st.booleans()) else "")
    data = text.encode(draw(st.sampled_from(["utf-8", "latin-1"])), errors="replace")
    if draw(st.integers(0, 10)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data, draw(st.sampled_from([None, None, "2.1", "1"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sps_files())
def test_columns_read_what_the_line_reader_reads(case: tuple[bytes, str | None]) -> None:
    data, rev = case
    text, binary = read_both(data, rev)
    assert binary == text


def test_rev1_runs_and_fractions() -> None:
    rows = [s1_record("5210", str(p), f"{470000 + p:.1f}", "6560000.0") for p in range(1000, 1010)]
    rows += [s1_record("5210", f"{p}.5", f"{470000 + p:.1f}", "6560000.0") for p in range(1010, 1020)]
    data = ("H000 SPS001\n" + "\n".join(rows) + "\n").encode()
    text, binary = read_both(data, None)
    assert binary == text
    assert len(text[0]) == 20 and text[0][-1].exact_point == 1019.5


def test_a_repeat_across_blocks_names_both_file_lines() -> None:
    rows = [s_record("5210.00", f"{p}.00", "470000.0", "6560000.0") for p in range(1000, 1040)]
    rows.append(s_record("5210.00", "1003.00", "470000.0", "6560000.0"))
    data = ("\n".join(rows) + "\n").encode()
    text, binary = read_both(data, None)
    assert binary == text
    assert binary[0] == ("error", "line 41: point 1003 of line 5210 (index 1) is given twice: file line 4 and "
                         "file line 41 give the same point")  # fmt: skip


@pytest.mark.parametrize("later", ["1003.00", "1002.50", "1003.40"])
def test_a_rounding_repeat_in_another_stretch_of_the_line_names_both_file_lines(later: str) -> None:
    """Line 5210, then 5212, then 5210 again with a point that is (or rounds to) one it gave before."""
    rows = [s_record("5210.00", f"{p}.00", "470000.0", "6560000.0") for p in range(1000, 1040)]
    rows += [s_record("5212.00", f"{p}.00", "470000.0", "6560000.0") for p in range(1000, 1040)]
    rows += [s_record("5210.00", f"{p}.00", "470000.0", "6560000.0") for p in range(1040, 1045)]
    rows.append(s_record("5210.00", later, "470000.0", "6560000.0"))
    rows += [s_record("5214.00", f"{p}.00", "470000.0", "6560000.0") for p in range(1000, 1040)]
    data = ("\n".join(rows) + "\n").encode()
    text, binary = read_both(data, None)
    assert binary == text
    how = "give the same point" if later == "1003.00" else f"({float(later):g}) round to the same point"
    assert text[0] == ("error", "line 86: point 1003 of line 5210 (index 1) is given twice: file line 4 and "
                                f"file line 86 {how}")  # fmt: skip
    # Another stretch of a line with new points only is read.
    rows[85] = s_record("5210.00", "1045.00", "470000.0", "6560000.0")
    text, binary = read_both(("\n".join(rows) + "\n").encode(), None)
    assert binary == text and len(text[0]) == 40 * 3 + 6


def test_values_are_those_float_reads() -> None:
    """The array reading's numbers are the doubles ``float()`` gives for the same text."""
    eastings = ["470246.1", "0.3", "999999.9", "-0.1", "123456.7", "000001.5"]
    rows = [s_record("5210", str(1000 + i), e, f"{6560000 + i / 10:.1f}") for i, e in enumerate(eastings * 10)]
    data = ("\n".join(rows) + "\n").encode()
    (columns,) = list(sps.read_preplot_binary(io.BytesIO(data)).columns())
    assert columns.easting.tolist() == [float(e) for e in eastings * 10]
    assert columns.northing.tolist() == [float(f"{6560000 + i / 10:.1f}") for i in range(60)]


@pytest.mark.parametrize("tails", [["   0.0"], ["", " ", "  12.5  1234", "   0.0"]], ids=["one length", "ragged"])
def test_regular_records_of_any_lengths_are_read_as_arrays(monkeypatch: pytest.MonkeyPatch, tails: list[str]) -> None:
    """Only the header goes line by line; S records of one length or of several (trimmed blanks) are arrays."""
    by_line: list[int] = []
    original = sps.ReadingState.line

    def line(self: sps.ReadingState, lineno: int, raw: str) -> object:
        by_line.append(lineno)
        return original(self, lineno, raw)

    monkeypatch.setattr(sps.ReadingState, "line", line)
    rows = ["H00 SPS format version num.     SPS V2.1 revised Jan, 2006;"]
    rows += [
        s_record("5210.00", f"{p}.00", f"{470000 + p * 3.1:.1f}", "6560527.5", tail=tails[p % len(tails)])
        for p in range(1000, 1100)
    ]
    data = ("\r\n".join(rows) + "\r\n").encode()
    text, binary = read_both(data, None, size=1000)
    assert binary == text and len(text[0]) == 100
    assert by_line[-1] == 1  # after the line-by-line reading of the same file (all of it): only line 1 here
    assert by_line.count(1) == 2 and len(by_line) == 101 + 1


def test_a_latin1_character_last_on_a_line_is_kept() -> None:
    """A line decoded one at a time keeps its LF: a Latin-1 byte before it is no UTF-8 character cut short."""
    rows = [f"{'H26 remark':<32}by the navigator: café"]
    rows += [s_record("5210.00", f"{p}.00", "470000.0", "6560000.0") for p in range(1000, 1010)]
    data = ("\n".join(rows) + "\n").encode("latin-1")
    text, binary = read_both(data, None)
    assert binary == text
    assert text[1][5]["H26"] == "by the navigator: café"
