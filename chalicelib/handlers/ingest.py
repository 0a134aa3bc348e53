"""The ingest worker: S3 ObjectCreated notifications, through the ingest queue, into PostGIS.

One file per invocation (batch size 1): a file that runs past the function's
time-out makes no other file run again. A message whose import failed for a
transient reason (database or AWS out of reach) is reported in
``batchItemFailures`` and comes back after the visibility timeout, reaching the
DLQ after 5 receives. Files that are bad in any other way (a parse error, a value
the database refuses, a full disk, memory) are not failures: they are recorded as
rejected with the reason, and their message is deleted.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.settings import get_settings

bp = Blueprint(__name__)


def s3_objects(body: str) -> list[dict[str, Any]]:
    """The created objects an S3 notification names; [] for ``s3:TestEvent`` and other noise."""
    import json
    from datetime import datetime
    from urllib.parse import unquote_plus

    try:
        message = json.loads(body)
    except ValueError:
        return []
    if not isinstance(message, dict) or message.get("Event") == "s3:TestEvent":
        return []
    found = []
    for record in message.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3") or {}
        obj = s3.get("object") or {}
        key = obj.get("key")
        bucket = (s3.get("bucket") or {}).get("name")
        if not key or not bucket:
            continue
        created = record.get("eventTime")
        try:
            created_on = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
        except ValueError:
            created_on = None
        found.append(
            {
                "bucket": bucket,
                "key": unquote_plus(key),
                "etag": str(obj.get("eTag") or obj.get("etag") or "").strip('"'),
                "size": obj.get("size"),
                "created_on": created_on,
            }
        )
    return found


def handle_message(record: Any) -> None:
    from chalicelib.observability import logger
    from chalicelib.services import ingest

    logger().set_correlation_id(record.message_id)
    for obj in s3_objects(record.body):
        ingest.ingest_object(obj["bucket"], obj["key"], obj["etag"], obj["size"], obj["created_on"])


INGEST_BATCH_SIZE = 1


@bp.on_sqs_message(queue=get_settings().ingest_queue, batch_size=INGEST_BATCH_SIZE, name="ingest_uploaded_files")
def ingest_uploaded_files(event: Any) -> Any:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event.to_dict(), record_handler=handle_message, processor=processor, context=event.context
    )
