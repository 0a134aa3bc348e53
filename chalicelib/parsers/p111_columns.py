"""P1/11 shots read as columns: the regular S1 records of a post-plot in a few array operations.

A 10,000-shot sequence is 30,000 records, two thirds of them ``P1`` records of the objects
that did not fire; read one at a time in Python they take longer than loading the shots.
Here the file's bytes are read in blocks; lines and commas are found with numpy; ``P1``
lines are skipped in bulk (the line-by-line reader skips them without reading them either);
and the *regular* ``S1`` records are read as arrays: printable ASCII without a backslash (an
escape), the PRT (field 11) and OBJREF (field 9) written as a record read before wrote them
(so its plan and object are known), as many fields as the PRT asks (fewer when the ones
dropped at the end are not in use, more when the extra ones are blank), and every field in
use written plainly (``numbers``): a whole line and point number in 32 bits, a time counting
seconds from an epoch with at most six decimals and under 2**32 s (its microseconds are
then exactly those ``timedelta(seconds=float(text))`` gives).

Every other line (headers, ``R1``, the first ``S1`` of a PRT or OBJREF, a record written in
a way the array reading does not take, a line holding a tab or a non-ASCII byte) goes to the
line-by-line reading, with the same state, in file order: the shots, the header (line names
in order), the receivers and the errors are those of ``ShotReader`` over the decoded lines
(a property test holds them equal).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from chalicelib.parsers import numbers
from chalicelib.parsers.detect import decode_line, line_blocks
from chalicelib.parsers.records import INT32_MAX, INT32_MIN, ShotColumns, ShotRecord, microseconds

if TYPE_CHECKING:
    from chalicelib.parsers.p111 import ShotReadingState, _Plan

BLOCK_BYTES = 1 << 20
_KEY_BYTES = 8  # a PRT or OBJREF as written: up to 8 bytes, packed in one integer
_NAME_BYTES = 64
_NUMBER_BYTES = 32
_TAIL_BYTES = 16  # blank fields past those the PRT asks for
_TIME_DECIMALS = 6
_TIME_LIMIT = 2**32  # seconds: below it a double is within half a microsecond of the decimal
# Masks of the low k bytes of a little-endian word, k = 0…8.
_LOW = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_FIRST_US = microseconds(datetime(1, 1, 1, tzinfo=UTC))
_LAST_US = microseconds(datetime.max.replace(tzinfo=UTC))


class _Block:
    """One block of whole lines (bytes, or a view of a buffer): where each line starts and ends, which
    lines are clean, where the commas are."""

    def __init__(self, block: Any) -> None:
        self.block = block
        a = self.array = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(a == 10)
        self.terminated = len(ends) > 0 and int(ends[-1]) == len(block) - 1
        if not self.terminated:
            ends = np.append(ends, len(block))
        self.ends = ends
        self.starts = starts = np.concatenate(([0], ends[:-1] + 1))
        has_cr = (ends > starts) & (a[np.maximum(ends - 1, 0)] == 13)
        if not self.terminated:
            has_cr[-1] = False
        self.stops = ends - has_cr  # end of each line's content
        self.clean = self._clean(has_cr)
        self._commas: Any = None
        self._words: Any = None

    def _clean(self, has_cr: Any) -> Any:
        """Which lines hold printable ASCII only (a CR only before the LF), or None when all do."""
        a, block = self.array, self.block
        newlines = len(self.ends) - (not self.terminated)
        if int(a.max(initial=0)) <= 126:
            low = int(np.count_nonzero(a < 32))
            if low == newlines:
                return None
            returns = int(np.count_nonzero(a == 13))
            if low == newlines + returns and returns == int(has_cr.sum()):
                return None
        odd = np.flatnonzero(((a < 32) & (a != 10) & (a != 13)) | (a > 126))
        returns_at = np.flatnonzero(a == 13)
        odd = np.concatenate((odd, returns_at[a[np.minimum(returns_at + 1, len(block) - 1)] != 10]))
        if not self.terminated and len(block) and a[-1] == 13:
            odd = np.append(odd, len(block) - 1)
        clean = np.ones(len(self.starts), dtype=bool)
        clean[np.searchsorted(self.starts, odd, side="right") - 1] = False
        return clean

    @property
    def commas(self) -> Any:
        if self._commas is None:
            self._commas = np.flatnonzero(self.array == 44)
        return self._commas

    def kinds(self) -> tuple[Any, Any]:
        """(P1 lines, S1 lines the array reading may take), as boolean arrays."""
        a, starts = self.array, self.starts
        last = len(a) - 1
        long = self.stops - starts >= 3
        b0 = a[np.minimum(starts, last)]
        b1 = a[np.minimum(starts + 1, last)]
        b2 = a[np.minimum(starts + 2, last)]
        p1 = long & (b0 == 80) & (b1 == 49) & (b2 == 44)
        s1 = long & (b0 == 83) & (b1 == 49) & (b2 == 44)
        if self.clean is not None:
            p1 &= self.clean
            s1 &= self.clean
        if not self.terminated:
            p1[-1] = s1[-1] = False
        if _find(self.block, b"\\") >= 0:
            s1[np.searchsorted(starts, np.flatnonzero(a == 92), side="right") - 1] = False
        return p1, s1

    @property
    def words(self) -> Any:
        """Element ``i`` is the 8 bytes at block position ``i`` as one little-endian integer (a view of
        the block, no copy; the block's last 7 positions have no element)."""
        if self._words is None:
            data = self.block if len(self.block) >= 8 else bytes(self.block).ljust(8, b"\0")
            self._words = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
        return self._words

    def word(self, at: Any) -> Any:
        """The 8 bytes from each position ``at`` (NULs past the block's end) as little-endian integers."""
        words = self.words
        last = len(words) - 1
        if int(at.max(initial=0)) <= last:
            return words[at]
        index = np.minimum(at, last)
        shift = np.minimum(at - index, 7).astype(np.uint64) * np.uint64(8)
        return words[index] >> shift

    def right(self, start: Any, stop: Any, width: int) -> tuple[Any, Any]:
        """Fields ``start:stop`` right-aligned in a (w, n) array of bytes, blanks before, w the longest
        field's length up to ``width`` (longer fields cut); and which fields fit."""
        length = stop - start
        fits = length <= width
        width = max(min(int(length.max(initial=0)), width), 1)
        index = stop[None, :] + np.arange(-width, 0)[:, None]
        return np.where(index >= start[None, :], self.array.take(index, mode="clip"), np.uint8(32)), fits

    def left(self, start: Any, stop: Any, width: int) -> Any:
        """Fields ``start:stop`` left-aligned in (n, w) 8-byte words, NULs after, w the longest field's
        length in words, at most ``width`` bytes (longer fields cut)."""
        length = stop - start
        words = -(-max(min(int(length.max(initial=0)), width), 1) // 8)
        offsets = np.arange(0, 8 * words, 8)
        return self.word(start[:, None] + offsets[None, :]) & _LOW[np.clip(length[:, None] - offsets[None, :], 0, 8)]


class _Candidates:
    """The S1 lines of a block the array reading may take: where their fields are, and their PRT and
    OBJREF texts (packed, each distinct text once)."""

    def __init__(self, blk: _Block, rows: Any) -> None:
        self.blk = blk
        self.rows = rows
        self.start, self.stop = blk.starts[rows], blk.stops[rows]
        commas = self.commas = blk.commas
        self.first = np.searchsorted(commas, self.start)
        self.count = np.searchsorted(commas, self.stop) - self.first
        self.last_comma = max(len(commas) - 1, 0)
        prt, prt_fits = _keys(blk, *self.bounds(10, 0, len(rows)))
        obj, obj_fits = _keys(blk, *self.bounds(8, 0, len(rows)))
        self.fits = (self.count >= 10) & prt_fits & obj_fits
        self.prt_keys, self.prt_of = _distinct(prt)
        self.obj_keys, self.obj_of = _distinct(obj)
        self.prt_texts = [_text(k) for k in self.prt_keys.tolist()]
        self.obj_texts = [_text(k) for k in self.obj_keys.tolist()]
        self.unknown_at = len(rows)
        """The row the current run stops at: its PRT or OBJREF is not known yet (see ``unknown``)."""

    def bounds(self, k: int, a: int, b: int) -> tuple[Any, Any]:
        """Start and end of field ``k`` (0-based) of rows ``a:b`` (meaningful where a row has it)."""
        commas, first, count = self.commas, self.first[a:b], self.count[a:b]
        begin = self.start[a:b] if k == 0 else commas[np.minimum(first + (k - 1), self.last_comma)] + 1
        end = np.where(k < count, commas[np.minimum(first + k, self.last_comma)], self.stop[a:b])
        return begin, end

    def unknown(self, reading: ShotReadingState, a: int) -> int:
        """The first row from ``a`` on whose PRT or OBJREF text no record read before wrote (or that
        has too few fields to tell), else the number of rows."""
        prt = np.array([t in reading.plans for t in self.prt_texts])
        obj = np.array([t in reading.objrefs for t in self.obj_texts])
        known = self.fits[a:] & prt[self.prt_of[a:]] & obj[self.obj_of[a:]]
        return a + int(known.argmin()) if not known.all() else len(self.rows)


class _Run:
    """Rows ``a:b`` of a block's candidates, read as arrays: which the array reading takes (``ok``) and
    their values. Every row but perhaps the last has a known PRT and OBJREF."""

    def __init__(self, reading: ShotReadingState, cand: _Candidates, a: int, b: int) -> None:
        self.a, self.b = a, b
        self.rows = cand.rows[a:b]
        n = b - a
        blk = cand.blk
        objrefs = np.array([reading.objrefs.get(t, 0) for t in cand.obj_texts], dtype=np.int64)
        self.objref = objrefs[cand.obj_of[a:b]]
        ok = cand.fits[a:b].copy()
        self.line = np.zeros(n, dtype=np.int64)
        self.point = np.zeros(n, dtype=np.int64)
        self.tstamp = np.zeros(n, dtype=np.int64)
        self.easting, self.northing = np.full(n, np.nan), np.full(n, np.nan)
        self.lon, self.lat = np.full(n, np.nan), np.full(n, np.nan)
        planned = np.zeros(n, dtype=bool)
        prt_of = cand.prt_of[a:b]
        codes = np.unique(prt_of).tolist()
        for code in codes:
            plan = reading.plans.get(cand.prt_texts[code])
            if plan is None or plan.seconds_from is None:
                continue  # not met yet, or a time the array reading does not take
            sel = np.flatnonzero((prt_of == code) & ok) if len(codes) > 1 else np.flatnonzero(ok)
            if len(sel):
                planned[sel] = self._read(cand, plan, sel)
        if b > a and b - 1 == cand.unknown_at:
            planned[-1] = False
        self.ok = ok & planned
        self._names(blk, *cand.bounds(2, a, b))

    def _read(self, cand: _Candidates, plan: _Plan, sel: Any) -> Any:
        """Read rows ``sel`` of the run (all of PRT ``plan``); which of them the array reading takes."""
        blk = cand.blk
        rows = self.a + sel
        count, stop = cand.count[rows], cand.stop[rows]
        # Where each field of the row ends: its comma, or the end of the line for the last field.
        width = max(plan.need, 11)
        at = cand.commas.take(cand.first[rows][:, None] + np.arange(width), mode="clip")

        def field(k: int) -> tuple[Any, Any]:
            return at[:, k - 1] + 1, np.where(k < count, at[:, k], stop)

        # Fields: as many as the PRT asks, fewer if all in use are there, more if the extra are blank.
        ok = count >= plan.need - 1
        over = count > plan.nfields - 1
        if over.any():
            # Past the comma that ends field ``nfields``: most often nothing (one trailing comma).
            begin = cand.commas.take(cand.first[rows] + (plan.nfields - 1), mode="clip") + 1
            over &= begin < stop
            over = np.flatnonzero(over)
            begin, end = begin[over], stop[over]
            if len(over):
                tail = blk.left(begin, end, _TAIL_BYTES).view(np.uint8)
                ok[over] &= (end - begin <= _TAIL_BYTES) & ((tail == 32) | (tail == 44) | (tail == 0)).all(axis=1)

        values, good = _numbers(blk, [field(3), field(4)])
        good &= values == np.floor(values)
        good &= (values >= INT32_MIN) & (values <= INT32_MAX)
        whole = np.where(good, values, 0).astype(np.int64)
        n = len(sel)
        ok &= good[:n] & good[n:]
        self.line[sel], self.point[sel] = whole[:n], whole[n:]

        columns, fits = blk.right(*field(7), _NUMBER_BYTES)
        digits, places, good = numbers.fixed_point(columns)
        good &= fits & (places <= _TIME_DECIMALS)
        places = np.minimum(places, _TIME_DECIMALS)
        good &= np.abs(digits) < _TIME_LIMIT * 10**places
        assert plan.seconds_from is not None
        tstamp = microseconds(plan.seconds_from) + np.where(good, digits, 0) * 10 ** (_TIME_DECIMALS - places)
        good &= (tstamp >= _FIRST_US) & (tstamp <= _LAST_US)
        ok &= good
        self.tstamp[sel] = tstamp

        for first, second, outs in ((plan.easting, plan.northing, (self.easting, self.northing)),
                                    (plan.lon, plan.lat, (self.lon, self.lat))):  # fmt: skip
            if first < 0:
                continue
            fields = [field(first), field(second)]
            begin = np.concatenate([f[0] for f in fields])
            end = np.concatenate([f[1] for f in fields])
            given = np.flatnonzero(end > begin)  # an empty field is no value (NaN)
            if len(given) == 2 * n:
                values, good = _numbers(blk, [(begin, end)])
            else:
                values, good = np.full(2 * n, np.nan), np.ones(2 * n, dtype=bool)
                if len(given):
                    values[given], good[given] = _numbers(blk, [(begin[given], end[given])])
            ok &= good[:n] & good[n:]
            outs[0][sel], outs[1][sel] = values[:n], values[n:]
        return ok

    def _names(self, blk: _Block, begin: Any, end: Any) -> None:
        """Line names (stripped) in order of first appearance; each row's index into them."""
        length = end - begin
        self.ok &= length <= _NAME_BYTES
        raw = blk.left(begin, end, _NAME_BYTES)
        changes = np.flatnonzero((raw[1:] != raw[:-1]).any(axis=1) | (length[1:] != length[:-1])) + 1
        heads = [0, *changes.tolist()] if len(begin) else []
        index: dict[str, int] = {}
        codes = []
        block = blk.block
        for row in heads:
            name = bytes(block[int(begin[row]) : int(end[row])]).decode("ascii").strip()
            codes.append(index.setdefault(name, len(index)))
        self.names = list(index)
        lengths = np.diff([*heads, len(begin)])
        self.name_index = np.repeat(np.array(codes, dtype=np.int32), lengths)

    def columns(self, a: int, b: int, before: int) -> ShotColumns:
        """Rows ``a:b`` (all taken) as columns."""
        count = b - a
        return ShotColumns(
            lineno=self.rows[a:b] + (before + 1),
            names=self.names,
            name_index=self.name_index[a:b],
            line=self.line[a:b],
            point=self.point[a:b],
            objref=self.objref[a:b],
            has_objref=np.ones(count, dtype=bool),
            tstamp=self.tstamp[a:b],
            easting=self.easting[a:b],
            northing=self.northing[a:b],
            lon=self.lon[a:b],
            lat=self.lat[a:b],
        )


def _numbers(blk: _Block, fields: list[tuple[Any, Any]]) -> tuple[Any, Any]:
    """The plain numbers of some fields of each row (one after the other), and which are plain."""
    begin = fields[0][0] if len(fields) == 1 else np.concatenate([f[0] for f in fields])
    end = fields[0][1] if len(fields) == 1 else np.concatenate([f[1] for f in fields])
    columns, fits = blk.right(begin, end, _NUMBER_BYTES)
    values, good = numbers.decimals(columns)
    return values, good & fits


def _find(block: Any, text: bytes) -> int:
    """Where ``text`` first is in a block (bytes, or a view from the start of a bytearray), or -1."""
    whole: Any = block.obj if isinstance(block, memoryview) else block
    return int(whole.find(text, 0, len(block)))


def _distinct(keys: Any) -> tuple[Any, Any]:
    """The distinct values of an array and each element's index among them (one value: no sort)."""
    if len(keys) and (keys == keys[0]).all():
        return keys[:1], np.zeros(len(keys), dtype=np.intp)
    return np.unique(keys, return_inverse=True)


def _keys(blk: _Block, begin: Any, end: Any) -> tuple[Any, Any]:
    """Short fields as written, packed in one 64-bit integer each; whether they fit."""
    length = end - begin
    packed = blk.word(np.maximum(begin, 0)) & _LOW[np.clip(length, 0, 8)]
    return packed, length <= _KEY_BYTES


def _text(key: int) -> str:
    return int(key).to_bytes(_KEY_BYTES, "little").rstrip(b"\0").decode("ascii")


def _tidy(parts: list[ShotColumns]) -> ShotColumns:
    """Parts in file order as one batch, its line names each once, in order of first appearance."""
    names: dict[str, int] = {}
    indexes = []
    for part in parts:
        index = part.name_index
        heads = [0, *(np.flatnonzero(index[1:] != index[:-1]) + 1).tolist()] if len(index) else []
        remap = np.zeros(max(len(part.names), 1), dtype=np.int32)
        for i in index[heads].tolist():
            remap[i] = names.setdefault(part.names[i], len(names))
        indexes.append(remap[index])

    def joined(name: str) -> Any:
        arrays = [getattr(p, name) for p in parts]
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    return ShotColumns(
        lineno=joined("lineno"),
        names=list(names),
        name_index=indexes[0] if len(indexes) == 1 else np.concatenate(indexes),
        line=joined("line"),
        point=joined("point"),
        objref=joined("objref"),
        has_objref=joined("has_objref"),
        tstamp=joined("tstamp"),
        easting=joined("easting"),
        northing=joined("northing"),
        lon=joined("lon"),
        lat=joined("lat"),
    )


def _blocks(raw: IO[bytes], size: int) -> Iterator[Any]:
    """The stream in blocks of whole lines of about ``size`` bytes (the last may lack its newline), as
    ``detect.line_blocks`` gives them but as views of one buffer, read into again for the next block:
    no block is copied. Each view is valid until the next block is asked for."""
    readinto = getattr(raw, "readinto", None)
    if readinto is None:
        yield from line_blocks(raw.read, size)
        return
    buffer = bytearray(size)
    filled = 0
    while True:
        with memoryview(buffer) as view:
            got = readinto(view[filled:])
        if not got:
            if filled:
                yield memoryview(buffer)[:filled]
            return
        filled += got
        if filled < len(buffer):
            continue
        cut = buffer.rfind(b"\n", 0, filled) + 1
        if cut == 0:  # a line longer than the buffer
            bigger = bytearray(2 * len(buffer))
            bigger[:filled] = buffer[:filled]
            buffer = bigger
            continue
        yield memoryview(buffer)[:cut]
        rest = filled - cut
        buffer[:rest] = buffer[cut:filled]
        filled = rest


def read(reading: ShotReadingState, raw: IO[bytes], size: int) -> Iterator[ShotColumns]:
    """The shots of ``raw`` in batches of about ``size`` (see the module)."""
    pending: list[ShotColumns] = []
    pending_rows = 0
    records: list[ShotRecord] = []
    before = 0  # file lines before the block

    def flush_records() -> None:
        nonlocal pending_rows
        if records:
            pending.append(ShotColumns.from_records(records))
            pending_rows += len(records)
            records.clear()

    for data in _blocks(raw, BLOCK_BYTES):
        blk = _Block(data)
        p1, s1 = blk.kinds()
        candidates = np.flatnonzero(s1)
        n = len(candidates)
        end_line = len(blk.starts)
        others = [*np.flatnonzero(~p1 & ~s1).tolist(), end_line]
        cand = _Candidates(blk, candidates) if n else None
        run: _Run | None = None
        lone = -1  # a candidate whose PRT or OBJREF is not met yet, read line by line without a run
        bad: list[int] = []
        k = bi = oi = 0  # candidates before k are done; next bad row of the run; next other line
        while True:
            if run is not None and k >= run.b:
                run = None
            if run is None and lone < 0 and cand is not None and k < n:
                cand.unknown_at = cand.unknown(reading, k)
                if cand.unknown_at == k:
                    lone = int(candidates[k])
                else:
                    run = _Run(reading, cand, k, min(cand.unknown_at + 1, n))
                    bad = np.flatnonzero(~run.ok).tolist()
                    bi = 0
            if lone >= 0:
                bad_line = run_end = lone
            else:
                bad_line = int(candidates[run.a + bad[bi]]) if run is not None and bi < len(bad) else end_line
                run_end = int(candidates[run.b]) if run is not None and run.b < n else end_line
            line = min(bad_line, others[oi], run_end)
            stop = int(np.searchsorted(candidates, line))
            if stop > k:
                assert run is not None
                flush_records()
                part = run.columns(k - run.a, stop - run.a, before)
                for i in np.unique(part.name_index).tolist():
                    reading.note_name(part.names[i])
                pending.append(part)
                pending_rows += stop - k
                k = stop
            if pending_rows + len(records) >= size:
                flush_records()
                yield _tidy(pending)
                pending, pending_rows = [], 0
            if line == end_line:
                break
            if line == run_end and lone < 0:
                continue  # the run ends here; the next one starts with this record
            start, end = int(blk.starts[line]), int(blk.ends[line])
            # With its LF, as the line-by-line reading decodes it (a Latin-1 byte last is no cut UTF-8 character).
            record = reading.line(before + line + 1, decode_line(bytes(data[start : end + 1]), before + line + 1))
            if record is not None:
                records.append(record)
            if line == lone:
                k += 1
                lone = -1
            elif line == bad_line:
                k += 1
                bi += 1
            else:
                oi += 1
        before += end_line
    flush_records()
    if pending:
        yield _tidy(pending)
