"""SPS source points read as columns: the regular runs of a large preplot in a few array operations.

A first preplot is a million ``S`` records; read one at a time in Python they take seconds.
Here the file's bytes are read in blocks, and each run of *regular* records (consecutive
lines with ``S`` in column 1, printable ASCII only, at least the 65 columns through the
northing) becomes a 2-D array of bytes (the lines themselves when they have one length, else
their first 65 columns gathered) whose fixed columns are read as numbers all at once. Every
other line (headers, ``R`` and ``X`` records, a tab, a short or non-ASCII line, a number
written in a way the array reading does not take) goes to the line-by-line reader, with the
same state, in file order: the points, the header and the errors are those of
``PreplotReader`` over the decoded lines (a property test holds them equal).

Numbers in the array reading: blanks, an optional sign, digits with at most one decimal point
and at most 15 digits. The value is the digits as an integer divided by a power of ten, which
IEEE division rounds correctly: the same double as ``float()`` of the text.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import IO, TYPE_CHECKING, Any

from chalicelib.parsers import numbers
from chalicelib.parsers.detect import decode_line, line_blocks
from chalicelib.parsers.records import PointColumns, PreplotRecord

if TYPE_CHECKING:
    from chalicelib.parsers.sps import ReadingState

BLOCK_BYTES = 1 << 20
MIN_RUN = 32
"""Shorter runs of regular records are read line by line (the array set-up costs more than they do)."""
_NEED = 65
# Columns (0-based, end exclusive) of each revision: line, point, index column.
_LAYOUT = {"sps21": ((1, 11), (11, 21), 23), "sps1": ((1, 17), (17, 25), 25)}
_EASTING, _NORTHING = (46, 55), (55, 65)


def _decimals(field: Any) -> tuple[Any, Any]:
    """The numbers of an (n, width) array of ASCII bytes, and which rows hold a plain decimal number."""
    import numpy as np

    return numbers.decimals(np.ascontiguousarray(field.T))


class _Columns:
    """Regular records' fields for one run, and which rows the array reading takes."""

    def __init__(self, records: Any, revision: str) -> None:
        import numpy as np

        (l0, l1), (p0, p1), index_column = _LAYOUT[revision]
        self.line_value, line_ok = _decimals(records[:, l0:l1])
        self.point_value, point_ok = _decimals(records[:, p0:p1])
        self.easting, east_ok = _decimals(records[:, _EASTING[0] : _EASTING[1]])
        self.northing, north_ok = _decimals(records[:, _NORTHING[0] : _NORTHING[1]])
        index = records[:, index_column].astype(np.int64)
        index_ok = (index == 32) | ((index >= 48) & (index <= 57))
        self.index = np.where(index == 32, 1, index - 48)
        self.ok = line_ok & point_ok & east_ok & north_ok & index_ok
        if revision == "sps21":  # columns 22-23 blank
            self.ok &= (records[:, 21] == 32) & (records[:, 22] == 32)
        self.line = np.floor(self.line_value + 0.5).astype(np.int64)
        self.point = np.floor(self.point_value + 0.5).astype(np.int64)


def _claim(reading: ReadingState, cols: _Columns, start: int, stop: int, linenos: Any) -> None:
    """The line-by-line reader's bookkeeping for rows ``start:stop``: line names and repeated points."""
    import numpy as np

    lines = cols.line[start:stop]
    fractional = np.flatnonzero(cols.point_value[start:stop] != cols.point[start:stop])
    if len(fractional):
        reading.fractional_runs.append((linenos[fractional], cols.point_value[start:stop][fractional]))
    changes = np.flatnonzero(lines[1:] != lines[:-1]) + 1
    bounds = [0, *changes.tolist(), len(lines)]
    for a, b in pairwise(bounds):
        reading.enter_line(int(lines[a]))
        keys = cols.point[start + a : start + b] * 10 + cols.index[start + a : start + b]
        repeated = len(np.unique(keys)) != len(keys)
        if not repeated and reading.taken:
            repeated = bool(np.isin(keys, np.fromiter(reading.taken, dtype=np.int64)).any())
        if not repeated:
            repeated = any(np.isin(keys, earlier).any() for earlier, _ in reading.taken_runs)
        if not repeated:
            reading.taken_runs.append((keys, linenos[a:b]))
            continue
        for j in range(a, b):  # the line-by-line check names the two file lines
            row = start + j
            reading.claim(
                int(cols.line[row]),
                int(cols.point[row]),
                int(cols.index[row]),
                int(linenos[j]),
                float(cols.point_value[row]),
            )


def read(reading: ReadingState, raw: IO[bytes], size: int) -> Iterator[PointColumns]:
    """The points of ``raw`` in batches of about ``size`` (see the module)."""
    import numpy as np

    pending: list[PointColumns] = []
    pending_rows = 0
    records: list[PreplotRecord] = []
    before = 0  # file lines before the block

    def one_line(block: bytes, start: int, end: int, lineno: int) -> None:
        # With its LF, as the line-by-line reading decodes it (a Latin-1 byte last is no cut UTF-8 character).
        record = reading.line(lineno, decode_line(block[start : end + 1], lineno))
        if record is not None:
            records.append(record)

    def keep(columns: PointColumns) -> None:
        nonlocal pending_rows
        if records:
            pending.append(PointColumns.from_records(records))
            pending_rows += len(records)
            records.clear()
        pending.append(columns)
        pending_rows += len(columns)

    def fast(block_array: Any, starts: Any, ends: Any, strides: Any, i0: int, i1: int) -> None:
        """Rows ``i0:i1`` of the block: regular records."""
        if reading.revision is None:  # the first data record decides the revision, line by line
            one_line(block, int(starts[i0]), int(ends[i0]), before + i0 + 1)
            i0 += 1
            if i1 - i0 < 1:
                return
        assert reading.revision is not None
        n, stride = i1 - i0, int(strides[i0])
        if (strides[i0:i1] == stride).all():  # one length: the block's bytes are the rows
            first = int(starts[i0])
            rows = block_array[first : first + n * stride].reshape(n, stride)
        else:  # lines of several lengths: the columns every regular record has, gathered
            rows = block_array[starts[i0:i1, None] + np.arange(_NEED)]
        cols = _Columns(rows, reading.revision)
        linenos = np.arange(before + i0 + 1, before + i1 + 1, dtype=np.int64)
        bad = np.flatnonzero(~cols.ok).tolist()
        a = 0
        for stop in [*bad, n]:
            if stop > a:
                _claim(reading, cols, a, stop, linenos[a:stop])
                nan = np.full(stop - a, np.nan)
                line_value, point_value = cols.line_value[a:stop], cols.point_value[a:stop]
                line, point = cols.line[a:stop], cols.point[a:stop]
                keep(
                    PointColumns(
                        linenos[a:stop], line, point, cols.index[a:stop],
                        cols.easting[a:stop], cols.northing[a:stop], nan, nan.copy(),
                        np.where(line_value != line, line_value, np.nan),
                        np.where(point_value != point, point_value, np.nan),
                    )
                )  # fmt: skip
            if stop < n:  # a record the array reading does not take: the line-by-line reader
                one_line(block, int(starts[i0 + stop]), int(ends[i0 + stop]), int(linenos[stop]))
            a = stop + 1

    for block in line_blocks(raw.read, BLOCK_BYTES):
        array = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(array == 10)
        terminated = len(ends) > 0 and int(ends[-1]) == len(block) - 1
        if not terminated:
            ends = np.append(ends, len(block))
        starts = np.concatenate(([0], ends[:-1] + 1))
        stride = ends - starts + 1
        has_cr = (ends > starts) & (array[np.maximum(ends - 1, 0)] == 13)
        content = ends - starts - has_cr
        # Lines holding a byte other than printable ASCII (a CR only before the LF).
        odd = np.flatnonzero(((array < 32) & (array != 10) & (array != 13)) | (array > 126))
        returns = np.flatnonzero(array == 13)
        odd = np.concatenate((odd, returns[array[np.minimum(returns + 1, len(block) - 1)] != 10]))
        dirty = np.zeros(len(starts), dtype=bool)
        dirty[np.searchsorted(starts, odd, side="right") - 1] = True
        regular = (array[np.minimum(starts, len(block) - 1)] == 83) & (content >= _NEED) & ~dirty
        if not terminated:
            regular[-1] = False
        changes = np.flatnonzero(regular[1:] != regular[:-1]) + 1
        bounds = [0, *changes.tolist(), len(starts)]
        for i0, i1 in pairwise(bounds):
            if regular[i0] and i1 - i0 >= MIN_RUN:
                fast(array, starts, ends, stride, i0, i1)
            else:
                for i in range(i0, i1):
                    one_line(block, int(starts[i]), int(ends[i]), before + i + 1)
            if pending_rows >= size:
                yield PointColumns.concatenate(pending)
                pending, pending_rows = [], 0
        before += len(starts)
    if records:
        pending.append(PointColumns.from_records(records))
    if pending:
        yield PointColumns.concatenate(pending)
    reading.finish()
