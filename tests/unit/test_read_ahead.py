"""The import reads the file in a thread of its own while the COPY sends what is ready (``_ReadAhead``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from chalicelib.observability import Phases, current_phases, measuring
from chalicelib.services.ingest import RejectError, _copy_alongside, _ReadAhead


def chunks(count: int, made: list[int], seconds: float = 0.0) -> Iterator[bytes]:
    for i in range(count):
        time.sleep(seconds)
        made.append(i)
        yield str(i).encode()


def test_every_chunk_arrives_once_in_order_made_by_another_thread() -> None:
    threads: set[int] = set()

    def made_where() -> Iterator[bytes]:
        for i in range(50):
            threads.add(threading.get_ident())
            yield bytes([i])

    assert list(_ReadAhead(made_where()).chunks()) == [bytes([i]) for i in range(50)]
    assert threads and threading.get_ident() not in threads


def test_an_error_while_reading_reaches_the_caller() -> None:
    def failing() -> Iterator[bytes]:
        yield b"first"
        raise RejectError("line 7: bad easting")

    received = []
    with pytest.raises(RejectError, match="line 7: bad easting"):
        for chunk in _ReadAhead(failing()).chunks():
            received.append(chunk)
    assert received == [b"first"]


def test_a_caller_that_stops_stops_the_reading_soon() -> None:
    made: list[int] = []
    before = threading.active_count()
    for chunk in _ReadAhead(chunks(1000, made), depth=2).chunks():
        if chunk == b"3":
            break
    assert threading.active_count() == before  # the thread has ended
    assert len(made) <= 4 + 2 + 1  # no more than the queue's depth past the last chunk taken


def test_the_reading_thread_sees_the_import_s_phases() -> None:
    phases = Phases()

    def timed() -> Iterator[bytes]:
        current_phases().add("parse", 0.25)
        yield b"row"

    with measuring(phases):
        assert list(_ReadAhead(timed()).chunks()) == [b"row"]
    assert phases.seconds["parse"] == 0.25


def test_phases_add_up_when_the_reading_hides_behind_the_copy() -> None:
    """Reading takes 0.2 s, the COPY 0.3 s, side by side: the phases say so and still add up."""
    phases = Phases()

    def reading() -> Iterator[bytes]:
        for _ in range(4):
            started = time.perf_counter()
            time.sleep(0.05)
            current_phases().add("parse", time.perf_counter() - started)
            yield b"row"

    def copy(rows: Iterator[bytes]) -> int:
        n = 0
        for _ in rows:
            time.sleep(0.075)
            n += 1
        return n

    with measuring(phases):
        started = time.perf_counter()
        assert _copy_alongside(copy, reading()) == 4
        wall = time.perf_counter() - started
    seconds = phases.seconds
    assert seconds["copy"] >= 0.28
    assert -0.21 <= seconds["reading hidden behind the COPY"] <= -0.1
    assert sum(seconds.values()) == pytest.approx(wall, abs=0.02)


def test_a_failed_copy_stops_the_reading_thread_at_once() -> None:
    made: list[int] = []
    before = threading.active_count()

    def copy(rows: Iterator[bytes]) -> None:
        next(rows)
        raise ValueError("the database refused a row")

    with pytest.raises(ValueError) as failure:
        _copy_alongside(copy, chunks(1000, made))
    assert failure.traceback  # the traceback (and the COPY's frame) still held: the thread has ended anyway
    assert threading.active_count() == before
    assert len(made) <= 1 + 2 + 1


def test_a_hidden_time_too_small_to_show_is_zero_not_minus_zero() -> None:
    phases = Phases()
    phases.add("reading hidden behind the COPY", -0.00001)
    assert str(phases.milliseconds()["reading hidden behind the COPY"]) == "0.0"  # not "-0.0" in the log
