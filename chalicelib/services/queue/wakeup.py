"""Wake-up messages on the ``asaqc`` queue: "there may be something due". They carry the item id for
the logs only; a sender woken up takes whatever is due, so a lost, late or repeated message is
harmless (the schedule also looks every five minutes)."""

from __future__ import annotations

import json

from chalicelib.observability import logger

# SQS delays a message by at most 15 minutes; a later retry is found by the schedule.
MAX_DELAY_SECONDS = 900


def wake(item_ids: list[int], delay_seconds: float = 0) -> bool:
    """Send one message per item (batches of ten); False when the queue could not be reached."""
    from chalicelib import aws
    from chalicelib.settings import get_settings

    delay = max(0, min(MAX_DELAY_SECONDS, int(delay_seconds)))
    try:
        url = aws.queue_url(get_settings().asaqc_queue)
        for start in range(0, len(item_ids), 10):
            chunk = item_ids[start : start + 10]
            entries = [
                {"Id": str(i), "MessageBody": json.dumps({"item_id": item_id}), "DelaySeconds": delay}
                for i, item_id in enumerate(chunk)
            ]
            aws.sqs().send_message_batch(QueueUrl=url, Entries=entries)
    except Exception:  # noqa: BLE001 - the items are stored; the schedule sends them without the message
        logger().warning("ASAQC wake-up not sent; the schedule will find the items", exc_info=True)
        return False
    return True
