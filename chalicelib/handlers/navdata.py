"""The navigation feed's entry points: header batches from the ``navdata`` queue, and the hourly expiry.

The vessel may send its batches as queue messages instead of ``POST /navdata``. A message is a JSON array
of headers (or one header) and is stored all or nothing. As for uploaded files, only a failure that may pass
is retried: a message the worker could not store for a transient reason (the database out of reach) is
reported in ``batchItemFailures``, so SQS delivers it again and, after five tries, keeps it in the
dead-letter queue. A bad message (not JSON, not a batch, a header that cannot be read, a value the database
refuses) can never be stored: it is logged with the reason and the start of its body, and deleted. Any
other error is retried too, so that the message (the only copy of its headers) ends in the dead-letter
queue, to be sent again once the cause is fixed.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.settings import get_settings

bp = Blueprint(__name__)

BODY_LOGGED = 500  # characters of a rejected message kept in its log line


@bp.on_sqs_message(queue=get_settings().navdata_queue, batch_size=10, name="store_navdata_messages")
def store_navdata_messages(event: Any) -> Any:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def handle(record: Any) -> None:
        from chalicelib import errors
        from chalicelib.observability import logger
        from chalicelib.services import navdata

        logger().set_correlation_id(record.message_id)
        try:
            result = navdata.store_message(record.body)
        except errors.BadRequestError as exc:
            body = record.body or ""
            logger().warning(
                "navigation message rejected",
                extra={"reason": exc.message, "bytes": len(body), "body_start": body[:BODY_LOGGED]},
            )
            return
        logger().info("navigation headers", extra=result.model_dump())

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event.to_dict(), record_handler=handle, processor=processor, context=event.context
    )


@bp.schedule(Rate(1, unit=Rate.HOURS), name="expire_navdata")
def expire_navdata(event: Any) -> dict[str, int]:
    from chalicelib.observability import logger
    from chalicelib.services import navdata

    report = navdata.expire()
    logger().info("navigation feed expired", extra=report)
    return report
