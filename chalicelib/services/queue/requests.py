"""The queue's rules as the API offers them: add items (all or none), list, cancel."""

from __future__ import annotations

from chalicelib import db, errors
from chalicelib.db import queue as db_queue
from chalicelib.models.audit import Actor
from chalicelib.models.auth import Identity
from chalicelib.models.queue import QUEUE_IDS, QueueItem, QueueListQuery, QueueRequestASAQC
from chalicelib.services import audit
from chalicelib.services.queue import wakeup

QUEUE = QUEUE_IDS["asaqc"]


def enqueue(requests: list[QueueRequestASAQC], caller: Identity, actor: Actor | None = None) -> list[QueueItem]:
    """Add every request or none: a project that does not exist (or that the caller may not see) is a
    400 naming the item. The sequence need not exist yet (the contract promises an attempt, no more);
    a sender that finds none fails the item without retrying. One wake-up message per item, after the commit.
    """
    pids = sorted({r.project for r in requests})
    known = db_queue.existing_projects(pids)
    for index, request in enumerate(requests):
        if request.project not in known or not caller.may_see(request.project):
            raise errors.BadRequestError(f"items[{index}].project: project {request.project} not found")
    with db.transaction() as conn:
        rows = db_queue.insert_items(conn, QUEUE, [(r.project, r.sequence, r.mimetype) for r in requests])
        for row in rows:
            ids = {"project": row["pid"], "sequence": row["sequence"], "item": row["item_id"]}
            audit.record(conn, actor, "queue_transfer", row["pid"], ids, None, QueueItem.from_row(row))
    wakeup.wake([r["item_id"] for r in rows])
    return [QueueItem.from_row(r) for r in rows]


def list_items(query: QueueListQuery, caller: Identity) -> tuple[list[QueueItem], int]:
    """A page of the queue's items the caller may see, and how many there are."""
    rows, total = db_queue.list_items(
        QUEUE,
        query.status,
        query.order,
        query.descending,
        query.limit,
        query.offset,
        list(caller.projects) if caller.projects is not None else None,
    )
    return [QueueItem.from_row(r) for r in rows], total


def cancel(item_id: int, caller: Identity, actor: Actor | None = None) -> list[int]:
    """Cancel a transfer; the ids of the items cancelled.

    ``queued``: it is cancelled. ``failed``: its queued retry (the retries of an item form a chain,
    and the queued one is at its end) is cancelled; nothing to cancel is fine, as long as none of the
    chain was sent. ``cancelled``: nothing to do. ``sent`` (or a retry of it sent), unknown, or a
    project the caller may not see: 404. An item a sender holds right now: 409.
    """
    with db.transaction() as conn:
        item = db_queue.lock_item(conn, QUEUE, item_id)
        if item is None or not caller.may_see(item["pid"]):
            raise errors.NotFoundError(f"Queue item {item_id} not found")
        if item["status"] == "sent":
            raise errors.NotFoundError(f"Queue item {item_id} was sent; it cannot be cancelled")
        if item["status"] == "cancelled":
            return []
        if item["status"] == "queued":
            queued = [item_id]
        else:
            chain = db_queue.descendants(conn, item_id)
            if any(c["status"] == "sent" for c in chain):
                raise errors.NotFoundError(f"Queue item {item_id} was sent by a retry; it cannot be cancelled")
            queued = [c["item_id"] for c in chain if c["status"] == "queued"]
            if not queued:
                return []
            db_queue.lock_items(conn, queued)
        cancelled = db_queue.cancel_items(conn, queued)
        ids = {"project": item["pid"], "sequence": item["sequence"], "item": item_id, "cancelled": cancelled}
        before = dict.fromkeys(map(str, cancelled), "queued")
        after = dict.fromkeys(map(str, cancelled), "cancelled")
        audit.record(conn, actor, "cancel_transfer", item["pid"], ids, before, after)
        return cancelled
