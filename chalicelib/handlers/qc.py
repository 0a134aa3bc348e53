"""QC workers: regeneration messages from the QC queue, and the hourly sweep.

Every import of a sequence, every deletion of results and every change of the
QC configuration sends a message; the worker recomputes from the current data,
so duplicate or out-of-order messages end in the same state. The sweep (the
"deferred tasks process") catches anything a lost message missed.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.settings import get_settings

bp = Blueprint(__name__)


def handle_record(record: Any) -> None:
    import json

    from chalicelib.observability import logger
    from chalicelib.services import qc

    logger().set_correlation_id(record.message_id)
    try:
        body = json.loads(record.body)
    except ValueError:
        logger().warning("QC message is not JSON; dropped")
        return
    if isinstance(body, dict):
        qc.handle_message(body)


@bp.on_sqs_message(queue=get_settings().qc_queue, batch_size=5, name="run_qc_jobs")
def run_qc_jobs(event: Any) -> Any:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event.to_dict(), record_handler=handle_record, processor=processor, context=event.context
    )


@bp.schedule(Rate(1, unit=Rate.HOURS), name="sweep_qc")
def sweep_qc(event: Any) -> dict[str, Any]:
    from chalicelib.observability import logger
    from chalicelib.services import qc

    regenerated = qc.sweep()
    logger().info("QC sweep", extra={"regenerated": regenerated})
    return {"regenerated": regenerated}
