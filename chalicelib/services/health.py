"""Health: the database answers and every queue exists."""

from __future__ import annotations

from typing import Any

from chalicelib import API_VERSION, __version__, aws, db, errors
from chalicelib.observability import logger
from chalicelib.settings import get_settings


def check() -> dict[str, Any]:
    problems: list[str] = []
    try:
        with db.cursor() as conn:
            conn.execute("SELECT 1")
    except errors.DougalError:
        problems.append("database unreachable")
    for name in get_settings().queues.values():
        try:
            aws.sqs().get_queue_attributes(QueueUrl=aws.queue_url(name), AttributeNames=["QueueArn"])
        except Exception:  # noqa: BLE001 - any failure means the queue is not usable
            logger().warning("queue unreachable", extra={"queue": name})
            aws.queue_url.cache_clear()
            problems.append(f"queue {name} unreachable")
    report: dict[str, Any] = {
        "status": "ok" if not problems else "unavailable",
        "version": __version__,
        "api": API_VERSION,
    }
    if problems:
        report["problems"] = problems
        report["message"] = "; ".join(problems)
    return report
