"""Requests for regeneration, sent to the QC queue; the worker (``runner.handle_message``) does the work."""

from __future__ import annotations

import json
from typing import Any


def enqueue(pid: str, sequences: list[int] | None, reason: str) -> None:
    """Ask the QC worker to regenerate (``sequences`` None: the whole project).

    Sent after the caller's commit, so the worker sees the data; a message may come twice or late,
    and the worker recomputes from the current data, so that is harmless.
    """
    from chalicelib import aws
    from chalicelib.settings import get_settings

    url = aws.queue_url(get_settings().qc_queue)
    bodies: list[dict[str, Any]] = (
        [{"pid": pid, "reason": reason}]
        if sequences is None
        else [{"pid": pid, "sequence": s, "reason": reason} for s in sequences]
    )
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        aws.sqs().send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps(b)} for i, b in enumerate(chunk)]
        )
