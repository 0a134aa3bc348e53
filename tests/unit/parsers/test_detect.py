"""Format detection from the head of a file, and decoding of binary streams into lines."""

from __future__ import annotations

import io

import pytest

from chalicelib.parsers import ParseError, decode_lines, detect_format, preplot_reader, shot_reader
from tests.unit.parsers.files import fixture_bytes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("p111_gps_flipflop.p111", "p111"),
        ("p111_unix_axes.p111", "p111"),
        ("p111_bom_crlf.p111", "p111"),  # BOM, CRLF, leading blank lines
        ("p111_preplot.p111", "p111"),
        ("p190_shots.p190", "p190"),
        ("p190_preplot_ends.p190", "p190"),
        ("p190_preplot_step.p190", "p190"),  # no H0200, 64-column records
        ("p190_dirty.p190", "p190"),  # lowercase ids, CRLF, stray CR
        ("sps21_preplot.sps", "sps21"),
        ("sps21_no_header.sps", "sps21"),  # decided by the decimal points in columns 9 and 19
        ("sps1_preplot.sps", "sps1"),
    ],
)
def test_detects_format(name: str, expected: str) -> None:
    assert detect_format(fixture_bytes(name)) == expected


def test_detects_from_a_head_cut_anywhere() -> None:
    data = fixture_bytes("p190_shots.p190")
    for size in (900, 1000, 1234):
        assert detect_format(data[:size]) == "p190"


def test_head_cut_inside_a_multibyte_character_is_not_an_encoding_error() -> None:
    head = "OGP,OGP P1,1,1.1,1,2021:10:08,12:00:00,line.p111,Bjørnøya Geo\n".encode()
    assert detect_format(head[: head.index(b"\xb8")]) == "p111"


def test_sps_rev1_without_header_is_told_by_its_columns() -> None:
    head = b"S5210                25761A1     6.0       112 470246.1 6560527.5   0.0281103757\n"
    assert detect_format(head) == "sps1"


def test_header_only_p190_file() -> None:
    head = b"H0100SURVEY AREA                NORTH SEA\nH0200DATE OF SURVEY             08.10.2021\n"
    assert detect_format(head) == "p190"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("garbage.bin", "binary data, not a text navigation file"),
        ("empty.txt", "empty file"),
        ("not_navigation.csv", "unrecognised format"),
    ],
)
def test_rejects(name: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        detect_format(fixture_bytes(name))


def test_rejects_blank_text_and_a_lone_bom() -> None:
    for head in (b"   \r\n\n", b"\xef\xbb\xbf"):
        with pytest.raises(ParseError, match="empty file"):
            detect_format(head)


def test_binary_rejection_names_the_line() -> None:
    with pytest.raises(ParseError) as caught:
        detect_format(b"OGP,OGP P1,1,1.1\nHC,1,2,0\n\x00\x01\x02")
    assert caught.value.lineno == 3


def test_decode_lines_drops_bom_and_line_endings() -> None:
    stream = io.BytesIO(b"\xef\xbb\xbfOGP,OGP P1\r\nCC,1,0,0,caf\xc3\xa9\r\nCC,1,0,0,Troms\xf8\n")
    assert list(decode_lines(stream)) == ["OGP,OGP P1", "CC,1,0,0,café", "CC,1,0,0,Tromsø"]


def test_decode_lines_keeps_one_column_per_byte_for_latin1() -> None:
    # A Latin-1 byte in a P1/90 line name must not shift the later columns.
    good = b"S5210           11   2576591058.22N0022845.64E 470246.16560527.5 112.4281103757 \n"
    line = good.replace(b"S5210", b"S\xc6210")
    (text,) = decode_lines(io.BytesIO(line))
    assert len(text) == 80 and text[34] == "N"


def test_decode_lines_rejects_binary_with_its_line_number() -> None:
    with pytest.raises(ParseError) as caught:
        list(decode_lines(io.BytesIO(b"H0100 OK\nS\x00\x00\x00\n")))
    assert (caught.value.lineno, str(caught.value)) == (
        2,
        "line 2: binary data, not a text navigation file (NUL byte)",
    )


@pytest.mark.parametrize(("name", "shots"), [("p111_gps_flipflop.p111", 3), ("p190_shots.p190", 3)])
def test_detect_decode_and_read_shots(name: str, shots: int) -> None:
    data = fixture_bytes(name)
    reader = shot_reader(detect_format(data[:4096]), decode_lines(io.BytesIO(data)))
    assert len(list(reader)) == shots


@pytest.mark.parametrize(
    ("name", "points"),
    [
        ("p111_preplot.p111", 11),
        ("p190_preplot_ends.p190", 14),
        ("sps21_preplot.sps", 5),
        ("sps1_preplot.sps", 2),
    ],
)
def test_detect_decode_and_read_preplot(name: str, points: int) -> None:
    data = fixture_bytes(name)
    reader = preplot_reader(detect_format(data[:4096]), decode_lines(io.BytesIO(data)))
    assert len(list(reader)) == points


def test_sps_holds_no_shots() -> None:
    with pytest.raises(ParseError, match="an SPS file holds preplot points, not shots"):
        shot_reader("sps21", [])
