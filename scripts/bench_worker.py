"""Imports, measured in a process of their own (``make bench`` runs it).

``python -m scripts.bench_worker KEY=PATH [KEY=PATH ...]``: for each file in turn, uploads
PATH under KEY (not timed), then delivers the messages waiting on the ingest queue to the
ingest handler, exactly as the dispatcher and Lambda do, until that file's import is done.
Prints one JSON line per file: wall seconds of the handler's invocation with the file's message
(the function's run in Lambda: the message received, the import committed, QC asked for), the
same with the local queue's receive and delete around it (which Lambda's event source does
outside the function), its phases, and this process's peak memory. The first file meets a cold worker (as a
Lambda's first message after a cold start); the next ones a warm worker.

With ``DOUGAL_BENCH_PROFILE=PREFIX`` each delivery runs under cProfile and its figures go to
``PREFIX.<file name>`` (read them with ``python -m pstats``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Timings(logging.Handler):
    """Keeps the phases of the "import timings" log line the ingest writes for the file ``key``."""

    def __init__(self) -> None:
        super().__init__()
        self.key: str | None = None
        self.phases_ms: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        phases = getattr(record, "phases_ms", None)
        if isinstance(phases, dict) and getattr(record, "key", None) == self.key:
            self.phases_ms = phases


def main() -> None:
    import app
    from chalicelib import aws
    from chalicelib.observability import logger
    from scripts import dispatcher as dispatching
    from scripts.dispatcher import Dispatcher

    invocations: list[float] = []
    resolve = dispatching.resolve

    def timed(handler_string: str) -> Any:
        handler = resolve(handler_string)

        def invoke(event: Any, context: Any) -> Any:
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                invocations.append(time.perf_counter() - started)

        return invoke

    dispatching.resolve = timed

    timings = _Timings()
    log = logging.getLogger(logger().name)
    for handler in log.handlers:  # the JSON lines on stdout stay at the bench's level
        handler.setLevel(max(log.level, handler.level))
    log.setLevel(logging.INFO)
    log.addHandler(timings)
    dispatcher = Dispatcher(app.app, wait_seconds=1)
    source = next(s for s in dispatcher.sqs_sources if s.name == "ingest_uploaded_files")
    profile = os.environ.get("DOUGAL_BENCH_PROFILE")
    for argument in sys.argv[1:]:
        key, _, path = argument.partition("=")
        aws.s3().upload_file(path, "dougal-uploads", key)
        timings.key, timings.phases_ms = key, {}
        baseline = peak_mb()
        # One message per invocation, as in Lambda: S3's test event may come first; the file's own
        # message is the one that reports an import's timings.
        handled, elapsed = 0, 0.0
        invocations.clear()
        for _ in range(20):
            started = time.perf_counter()
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                delivered = profiler.runcall(dispatcher.deliver_once, source)
                profiler.dump_stats(f"{profile}.{Path(key).name}")
            else:
                delivered = dispatcher.deliver_once(source)
            elapsed = time.perf_counter() - started
            handled += delivered
            if timings.phases_ms or not delivered:
                break
        figures = {
            "key": key,
            "handled": handled,
            "seconds": invocations[-1] if invocations else elapsed,
            "with_queue_seconds": elapsed,
            "peak_mb": peak_mb(),
            "baseline_mb": baseline,
        }
        print(json.dumps({**figures, "phases_ms": timings.phases_ms}), flush=True)


if __name__ == "__main__":
    main()
