"""The local dispatcher: does what AWS does for Dougal's event handlers in production.

It reads the app's own event-source declarations (``app.event_sources``), so
there is no second list to keep in step: every ``on_sqs_message`` handler gets
the messages of its queue as a Lambda SQS event (batches, distinct message ids,
``batchItemFailures`` honoured: failed messages stay on the queue and reach the
DLQ after the redrive count), and every ``schedule(Rate(...))`` handler runs at
its rate. The handler functions called are the very ones the Lambdas run.
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from chalicelib import aws
from chalicelib.observability import logger


@dataclass
class LocalContext:
    """The parts of the Lambda context object handlers use."""

    function_name: str
    timeout_ms: int = 60_000
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:dougal"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self.started) * 1000))


def resolve(handler_string: str) -> Any:
    module, _, name = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), name)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    region = aws.sqs().meta.region_name
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def schedule_event(name: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": aws.sqs().meta.region_name,
        "resources": [f"arn:aws:events:local:000000000000:rule/{name}"],
        "detail": {},
    }


RATE_SECONDS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def rate_seconds(expression: Any) -> float | None:
    text = expression if isinstance(expression, str) else expression.to_string()
    if not text.startswith("rate("):
        return None
    value, unit = text[5:-1].split()
    return float(value) * RATE_SECONDS[unit]


class Dispatcher:
    """Polls every queue the app consumes and runs the schedules, until stopped."""

    def __init__(self, app: Any, wait_seconds: int = 1) -> None:
        from chalice.app import ScheduledEventConfig, SQSEventConfig

        self.stop_event = threading.Event()
        self.wait_seconds = wait_seconds
        self.sqs_sources = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
        self.schedules = [s for s in app.event_sources if isinstance(s, ScheduledEventConfig)]
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for source in self.sqs_sources:
            self.threads.append(threading.Thread(target=self._poll, args=(source,), daemon=True, name=source.name))
        for schedule in self.schedules:
            self.threads.append(threading.Thread(target=self._tick, args=(schedule,), daemon=True, name=schedule.name))
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=self.wait_seconds + 30)

    def deliver_once(self, source: Any) -> int:
        """Receive one batch for ``source`` and hand it to the handler; messages handled."""
        sqs = aws.sqs()
        url = aws.queue_url(source.queue)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, source.batch_size),
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        handler = resolve(source.handler_string)
        try:
            result = handler(sqs_event(messages, arn), LocalContext(function_name=source.name))
        except Exception:  # noqa: BLE001 - as in Lambda: the whole batch returns to the queue
            logger().exception("handler failed; batch left on the queue", extra={"handler": source.name})
            return 0
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            )
        return len(done)

    def _poll(self, source: Any) -> None:
        while not self.stop_event.is_set():
            try:
                self.deliver_once(source)
            except Exception:  # noqa: BLE001 - keep polling; the local endpoint may be restarting
                logger().exception("dispatch failed", extra={"queue": source.queue})
                self.stop_event.wait(1)

    def _tick(self, schedule: Any) -> None:
        interval = rate_seconds(schedule.schedule_expression)
        if interval is None:
            logger().warning("only rate() schedules run locally", extra={"handler": schedule.name})
            return
        handler = resolve(schedule.handler_string)
        while not self.stop_event.wait(interval):
            try:
                handler(schedule_event(schedule.name), LocalContext(function_name=schedule.name))
            except Exception:  # noqa: BLE001
                logger().exception("scheduled handler failed", extra={"handler": schedule.name})
