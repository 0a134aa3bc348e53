"""One ingest, measured in a process of its own (``make bench`` runs it).

Delivers the messages waiting on the ingest queue to the ingest handler, exactly
as the dispatcher and Lambda do, and prints JSON: wall seconds from receiving
the message to the committed import, and this process's peak memory.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Timings(logging.Handler):
    """Keeps the phases of the "import timings" log line the ingest writes for the file ``key``."""

    def __init__(self, key: str | None) -> None:
        super().__init__()
        self.key = key
        self.phases_ms: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        phases = getattr(record, "phases_ms", None)
        if isinstance(phases, dict) and (self.key is None or getattr(record, "key", None) == self.key):
            self.phases_ms = phases


def main() -> None:
    import app
    from chalicelib.observability import logger
    from scripts.dispatcher import Dispatcher

    timings = _Timings(sys.argv[1] if len(sys.argv) > 1 else None)
    log = logging.getLogger(logger().name)
    for handler in log.handlers:  # the JSON lines on stdout stay at the bench's level
        handler.setLevel(max(log.level, handler.level))
    log.setLevel(logging.INFO)
    log.addHandler(timings)
    dispatcher = Dispatcher(app.app, wait_seconds=1)
    source = next(s for s in dispatcher.sqs_sources if s.name == "ingest_uploaded_files")
    baseline = peak_mb()
    # One message per invocation, as in Lambda: S3's test event may come first; the file's own
    # message is the one that reports an import's timings.
    handled, elapsed = 0, 0.0
    for _ in range(20):
        started = time.perf_counter()
        delivered = dispatcher.deliver_once(source)
        elapsed = time.perf_counter() - started
        handled += delivered
        if timings.phases_ms or not delivered:
            break
    figures = {"handled": handled, "seconds": elapsed, "peak_mb": peak_mb(), "baseline_mb": baseline}
    print(json.dumps({**figures, "phases_ms": timings.phases_ms}))


if __name__ == "__main__":
    main()
