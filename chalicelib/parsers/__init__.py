"""Readers for the navigation files Dougal ingests: P1/11, P1/90 and SPS.

Parsers are pure: lines of text in, records out, no I/O and no database. Each
format module streams (generators over ``Iterable[str]``) so memory does not grow
with the file, and rejects malformed input with a ParseError that names the line.

Typical use by the ingest worker::

    fmt = detect_format(head)
    reader = shot_reader(fmt, decode_lines(body), year=project_year)
    for shot in reader:      # reader.header is complete after the first shot
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Protocol

from chalicelib.parsers import p111, p190, sps
from chalicelib.parsers.detect import P111, P190, SPS1, SPS21, decode_lines, detect_format
from chalicelib.parsers.records import (
    FileHeader,
    ParseError,
    PointColumns,
    PointLimits,
    PreplotRecord,
    ReceiverRecord,
    ShotColumns,
    ShotRecord,
    Transformation,
    point_limits,
)

__all__ = [
    "DIALECTS",
    "FORMATS",
    "FileHeader",
    "ParseError",
    "PointColumns",
    "PointLimits",
    "PreplotReader",
    "PreplotRecord",
    "ReceiverRecord",
    "ShotColumns",
    "ShotReader",
    "ShotRecord",
    "Transformation",
    "decode_lines",
    "detect_format",
    "open_preplot",
    "open_shots",
    "point_limits",
    "preplot_reader",
    "shot_reader",
]

FORMATS = (P111, P190, SPS21, SPS1)

# The writers' ways of writing each format that the readers take (README "Navigation files from the field"),
# by the names the simulator's ``dialect=`` uses: what the reader does with each. ``GET /capabilities`` lists them.
DIALECTS: dict[str, dict[str, str]] = {
    P111: {
        "trinav": "integers written as decimals (18.0, 3.000), CRLF line ends, a compound CRS on a WGS 84 realisation",
        "seapro": "a byte-order mark, trailing empty fields dropped, the grid's EPSG code only in a CC comment",
        "spectra": "blank optional quality fields, \\u002C escapes in text",
        "feet-grid": "a grid in US survey feet, declared by the CRS's axis unit",
        "obn": "ocean-bottom node positions as R1 receiver records",
    },
    P190: {
        "trinav": "the grid named only by an H2600 comment (CRS EPSG Code …)",
        "spectra": "sources by letter in column 18 (listed in H0103), the survey date as a span in H0200",
        "ed50-p190": "lat/lon and UTM grid on ED50 (H1500), the shift to WGS 84 in H1600",
        "feet-grid": "a grid in US survey feet (H2000)",
        "obn": "ocean-bottom node positions as R records",
    },
    SPS21: {
        "trinav": "whole line and point numbers in the rev 2.1 columns with no H00 version record, CRLF line ends",
        "feet-grid": "a grid in feet or US survey feet (H20)",
        "obn": "receivers (R) and relations (X) beside the source points",
    },
    SPS1: {
        "feet-grid": "a grid in feet or US survey feet (H200, and H201 the factor to metre)",
    },
}


class ShotReader(Protocol):
    """What every shot reader offers: a header, an iteration of ShotRecords (or of batches of them as
    columns), the receivers met."""

    header: FileHeader
    receivers: list[ReceiverRecord]

    def __iter__(self) -> Iterator[ShotRecord]: ...  # pragma: no cover

    def columns(self, size: int = ...) -> Iterator[ShotColumns]: ...  # pragma: no cover


class PreplotReader(Protocol):
    """What every preplot reader offers: a header, an iteration of PreplotRecords, the receivers met.

    ``receivers`` (P1/11 ``R1``, P1/90 ``R``, SPS ``R`` records) is complete once the
    iteration has ended; a file of receivers only iterates no points.
    """

    header: FileHeader
    receivers: list[ReceiverRecord]

    def __iter__(self) -> Iterator[PreplotRecord]: ...  # pragma: no cover

    def columns(self, size: int = ...) -> Iterator[PointColumns]: ...  # pragma: no cover


def shot_reader(
    fmt: str,
    lines: Iterable[str],
    *,
    year: int | None = None,
) -> ShotReader:
    """The shot reader for a detected format; SPS files hold no shots.

    ``year`` is project configuration that only P1/90 needs: P1/11 records carry
    full times.
    """
    if fmt == P111:
        return p111.read_shots(lines, year=year)
    if fmt == P190:
        return p190.read_shots(lines, year=year)
    if fmt in (SPS21, SPS1):
        raise ParseError(None, "an SPS file holds preplot points, not shots")
    raise ValueError(f"unknown format {fmt!r}")


def open_shots(fmt: str, raw: IO[bytes], *, year: int | None = None) -> ShotReader:
    """The shot reader of a file's bytes (see ``shot_reader``): P1/11 read from its bytes (``columns()``
    takes regular S1 runs whole and skips P1 records in bulk), P1/90 from its decoded lines."""
    if fmt == P111:
        return p111.read_shots_binary(raw, year=year)
    return shot_reader(fmt, decode_lines(raw), year=year)


def open_preplot(fmt: str, raw: IO[bytes]) -> PreplotReader:
    """The preplot reader of a file's bytes: SPS read from its bytes (``columns()`` takes regular runs
    whole), the other formats from its decoded lines."""
    if fmt in (SPS21, SPS1):
        return sps.read_preplot_binary(raw, rev="2.1" if fmt == SPS21 else "1")
    return preplot_reader(fmt, decode_lines(raw))


def preplot_reader(fmt: str, lines: Iterable[str]) -> PreplotReader:
    """The preplot reader for a detected format."""
    if fmt == P111:
        return p111.read_preplot(lines)
    if fmt == P190:
        return p190.read_preplot(lines)
    if fmt in (SPS21, SPS1):
        return sps.read_preplot(lines, rev="2.1" if fmt == SPS21 else "1")
    raise ValueError(f"unknown format {fmt!r}")
