"""The ASAQC sender's entry points: wake-ups from the ``asaqc`` queue, and a run every five minutes.

Both do the same: send whatever is due (``services/queue/sender.process_due``). The table is the
truth, a message only says "look now": a duplicate, late or lost message changes nothing, and the
schedule sends retries whose delay is longer than SQS can hold a message. A run stops taking new
items once it has less time left than an item's two uploads may take (plus a reserve), so the Lambda
seldom ends mid-item for lack of time; when it does, the journal keeps the file from going twice.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.settings import get_settings

bp = Blueprint(__name__)
# Seconds kept in reserve beyond the calls of one more item.
RESERVE_SECONDS = 5.0


def _stopper(context: Any) -> Any:
    timeout = get_settings().asaqc_timeout_seconds
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return lambda: False
    return lambda: remaining() / 1000.0 < 2 * timeout + RESERVE_SECONDS


def run(context: Any) -> dict[str, Any]:
    from chalicelib.observability import logger
    from chalicelib.services.queue import sender

    report = sender.process_due(should_stop=_stopper(context)).as_dict()
    logger().info("ASAQC run", extra=report)
    return report


@bp.on_sqs_message(queue=get_settings().asaqc_queue, batch_size=1, name="send_asaqc_transfers")
def send_asaqc_transfers(event: Any) -> Any:
    """One message per invocation: a run takes every due item anyway. A run that fails (the database
    is down) reports the message, which comes back after the visibility timeout."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def handle(record: Any) -> None:
        from chalicelib.observability import logger

        logger().set_correlation_id(record.message_id)
        run(event.context)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event.to_dict(), record_handler=handle, processor=processor, context=event.context
    )


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="redrive_asaqc_transfers")
def redrive_asaqc_transfers(event: Any) -> dict[str, Any]:
    return run(event.context)
