"""Structured JSON logs for the service "dougal" (powertools Logger).

One logger for the whole application; every request and every message gets a
correlation id. Secrets and tokens are never logged.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


@functools.cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    from chalicelib.settings import get_settings

    return Logger(service="dougal", level=get_settings().log_level)


class Phases:
    """Seconds spent in the named phases of one piece of work (an import), for its log line and ``make bench``.

    ``with phases("parse"):`` adds the block's time to a phase; ``add`` adds time measured elsewhere (the
    parser's time between the chunks it hands over); ``excluding`` times a block less the phases that grew
    inside it (a COPY that pulls rows from a generator doing the parsing). The phases of the work in progress
    are found with ``current_phases()``, so the code being measured takes no extra argument; outside a
    measured piece of work it gets a throwaway.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    @contextlib.contextmanager
    def excluding(self, name: str, inner: tuple[str, ...]) -> Iterator[None]:
        before = sum(self.seconds.get(n, 0.0) for n in inner)
        started = time.perf_counter()
        try:
            yield
        finally:
            grown = sum(self.seconds.get(n, 0.0) for n in inner) - before
            self.add(name, time.perf_counter() - started - grown)

    def milliseconds(self) -> dict[str, float]:
        return {name: round(seconds * 1000, 1) + 0.0 for name, seconds in self.seconds.items()}  # no -0.0


_current_phases: contextvars.ContextVar[Phases | None] = contextvars.ContextVar("phases", default=None)


def current_phases() -> Phases:
    """The phases of the work being measured on this thread, or a throwaway."""
    return _current_phases.get() or Phases()


@contextlib.contextmanager
def measuring(phases: Phases) -> Iterator[Phases]:
    """Measure the work of the block into ``phases``."""
    token = _current_phases.set(phases)
    try:
        yield phases
    finally:
        _current_phases.reset(token)
