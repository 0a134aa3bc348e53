"""Recognise a navigation file's format from its first bytes, and decode its lines.

Uploads arrive as bare bytes under a key that may or may not end in ``.p111``,
``.p190`` or ``.sps``, so the ingest worker looks at the content instead of the name.
Detection reads only the head of the file (a few KiB are plenty): it must be cheap
enough to run on every upload and strict enough to turn away binary or unrelated
files with a message the uploader can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from chalicelib.parsers.records import ParseError

P111 = "p111"
P190 = "p190"
SPS21 = "sps21"
SPS1 = "sps1"

_BOM = b"\xef\xbb\xbf"
# Control characters that never occur in these text formats. TAB, LF, CR, FF and the
# DOS end-of-file marker (SUB, 0x1A) do occur and are allowed.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f\x7f]")
_P111_FIRST = re.compile(r"^\s*(I?OGP|HC|H1|CC)\s*,", re.IGNORECASE)
_P190_HEADER = re.compile(r"^H\d{4}")
_SPS21_HEADER = re.compile(r"^H\d\d[ \d]")
_SPS1_HEADER = re.compile(r"^H\d{3}\D")
_P190_IDS = frozenset("SVGQATCEZR")


def _decode(data: bytes) -> str:
    """UTF-8 if it is, Latin-1 otherwise: old navigation software writes either."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The head may end inside a multi-byte character; that is not an encoding error.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
        return data.decode("latin-1")


def _binary_error(text: str) -> ParseError | None:
    match = _BINARY.search(text)
    if match is None:
        return None
    lineno = text.count("\n", 0, match.start()) + 1
    what = "NUL byte" if match.group() == "\x00" else f"control character {match.group()!r}"
    return ParseError(lineno, f"binary data, not a text navigation file ({what})")


def decode_lines(raw_lines: Iterable[bytes]) -> Iterator[str]:
    """Decode a binary stream line by line for the readers, without reading it whole.

    Each line is decoded as UTF-8, falling back to Latin-1 (so one byte stays one
    column in the fixed-width formats); a UTF-8 byte-order mark is dropped and a
    line holding a NUL byte or other control characters is rejected as binary.
    Line endings are removed. Pass a file object opened in binary mode.
    """
    for lineno, raw in enumerate(raw_lines, 1):
        yield decode_line(raw, lineno)


def line_blocks(read: Callable[[int], bytes], size: int) -> Iterator[bytes]:
    """A stream (its ``read``) in blocks of whole lines of about ``size`` bytes (the last may lack its newline)."""
    tail = b""
    while True:
        data = read(size)
        if not data:
            if tail:
                yield tail
            return
        if tail:
            data = tail + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            tail = data
            continue
        tail = data[cut:]
        yield data[:cut]


def decode_line(raw: bytes, lineno: int) -> str:
    """One line of a binary stream as ``decode_lines`` decodes it (``lineno`` 1 may start with a BOM)."""
    if lineno == 1 and raw.startswith(_BOM):
        raw = raw[3:]
    text = _decode(raw).rstrip("\r\n")
    if not text.isprintable():  # a printable line holds no control character: no search needed
        error = _binary_error(text)
        if error is not None:
            raise ParseError(lineno, error.reason)
    return text


def _is_p190_data(line: str) -> bool:
    return len(line) >= 46 and line[0].upper() in _P190_IDS and line[34] in "NSns" and line[45] in "EWew"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_p190_grid_data(line: str) -> bool:
    """A P1/90 position record with easting/northing and blank lat/lon (some writers give only the grid)."""
    return (
        len(line) >= 64
        and line[0].upper() in _P190_IDS
        and line[0].upper() != "R"
        and not line[25:46].strip()
        and line[19:25].strip().isdigit()
        and _is_number(line[46:55])
        and _is_number(line[55:64])
    )


def _is_p190_receivers(line: str) -> bool:
    """A P1/90 ``R`` record: receiver group number (2-5), easting (6-14), northing (15-23)."""
    return (
        len(line) >= 27
        and line[0].upper() == "R"
        and line[1:5].strip().isdigit()
        and _is_number(line[5:14])
        and _is_number(line[14:23])
    )


def _is_sps21_data(line: str) -> bool:
    kind = line[0].upper()
    if kind in "SR":
        if len(line) < 21 or not (_is_number(line[1:11]) and _is_number(line[11:21])):
            return False
        if line[8] == "." and line[18] == ".":
            return True
        # Whole line/point numbers written without decimals in the rev 2.1 columns.
        return (
            len(line) >= 65
            and not line[21:23].strip()
            and (line[23] == " " or line[23].isdigit())
            and _is_number(line[46:55])
            and _is_number(line[55:65])
        )
    if kind == "X":
        return len(line) >= 37 and line[24] == "." and line[34] == "."
    return False


def _is_sps1_data(line: str) -> bool:
    return (
        line[0].upper() in "SR"
        and len(line) >= 65
        and line[1:17].strip() != ""
        and _is_number(line[46:55])
        and _is_number(line[55:65])
    )


def detect_format(head: bytes) -> str:
    """Return 'p111', 'p190', 'sps21' or 'sps1' for the first bytes of a file.

    Raises ParseError for an empty file, binary data and text in none of these
    formats. The decision rests on the first record for P1/11 (``OGP,``/``IOGP,``;
    a file that lost its identification record but starts with ``HC,``/``H1,``/``CC,``
    is still P1/11), then on an SPS version header (``H00``/``H000``), then on the
    columns of the first data records (P1/90 hemisphere letters in columns 35 and
    46, SPS 2.1 decimal points in columns 9 and 19), and last on the shape of the
    header codes (``H0100`` is P1/90).
    """
    if head.startswith(_BOM):
        head = head[3:]
    if not head.strip():
        raise ParseError(None, "empty file")
    text = _decode(head)
    error = _binary_error(text)
    if error is not None:
        raise error

    lines = text.split("\n")
    if len(lines) > 1 and not text.endswith("\n"):
        lines.pop()  # the head was cut inside this line
    numbered = [(n, line.rstrip("\r")) for n, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        raise ParseError(None, "empty file")

    first_no, first = numbered[0]
    if _P111_FIRST.match(first):
        return P111

    for _, line in numbered:
        code = line[:4].upper()
        if not code.startswith("H00"):
            continue
        upper = line.upper()
        if "SPS" in upper or code in ("H00 ", "H000"):
            if "2.1" in upper or "V2" in upper or "SPS2" in upper.replace(" ", ""):
                return SPS21
            if code == "H000" or "SPS001" in upper or "SPS1" in upper.replace(" ", ""):
                return SPS1
            return SPS21

    data = [line for _, line in numbered if line[0].upper() != "H"][:20]
    headers = [line for _, line in numbered if line[0].upper() == "H"]
    p190_header = any(_P190_HEADER.match(h) for h in headers)
    for line in data:
        if _is_p190_data(line):
            return P190
        if p190_header and (_is_p190_grid_data(line) or _is_p190_receivers(line)):
            return P190
        if p190_header and line[0].upper() in _P190_IDS and not _is_sps21_data(line):
            # P1/90 headers (H0100…) and no SPS version record: a P1/90 file whose
            # records are malformed, for the P1/90 reader to reject with the line.
            return P190
        if _is_sps21_data(line):
            return SPS21
        if _is_sps1_data(line):
            return SPS1

    if headers and not data:
        if _P190_HEADER.match(headers[0]):
            return P190
        if _SPS21_HEADER.match(headers[0]):
            return SPS21
        if _SPS1_HEADER.match(headers[0]):
            return SPS1
    raise ParseError(first_no, f"unrecognised format: not P1/11, P1/90 or SPS (first record {first[:40]!r})")
