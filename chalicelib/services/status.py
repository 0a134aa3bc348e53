"""``GET /status``: whether the system is doing its work, and what needs a look when it is not.

For the people who run a survey's Dougal: the database (reachable, its migration level against the code's,
PostgreSQL and PostGIS versions), every queue's backlog, the messages in flight and those that ended in a
dead-letter queue (a file, a QC run or a transfer that failed every try), the last import of each
project the caller may see and the navigation feed's age as each of them judges it (never a problem).
``healthy`` is false with the reasons in ``problems``: an unreachable database or queue, a database behind
the code's migrations, a dead letter waiting, an ASAQC transfer that failed in the last 24 hours with no
retry after it.

The age of a queue's oldest message: SQS keeps it only as a CloudWatch metric, and the one way to read a
message's ``SentTimestamp`` is to receive it, which counts towards the receives after which SQS moves it to the
dead-letter queue (five): a status page that peeked would send waiting work there. So the age is given where the
database holds the queue's work (the ASAQC outgoing queue: its oldest item that is due), and read from
CloudWatch for the queues whose messages live only in SQS (ingest, QC, navdata): null where CloudWatch has no
recent figure (a local stack, a queue idle for a while).

Unlike ``/health`` (public, cheap, for load balancers) this asks everything on every call.
"""

from __future__ import annotations

from typing import Any

from chalicelib import API_VERSION, __version__, aws, errors
from chalicelib.db import status as db_status
from chalicelib.models.auth import Identity
from chalicelib.models.navdata import NavFeedStatus
from chalicelib.models.queue import QUEUE_IDS
from chalicelib.models.status import DatabaseStatus, ImportStatus, QueueStatus, Status, TransferStatus
from chalicelib.observability import logger
from chalicelib.settings import get_settings

QUEUE_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "RedrivePolicy"]


def _messages(attributes: dict[str, Any]) -> tuple[int, int]:
    return (
        int(attributes.get("ApproximateNumberOfMessages", 0)),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    )


def queue_status(name: str) -> QueueStatus:
    """A queue's backlog and its dead-letter queue's depth (found through the queue's redrive policy)."""
    import json

    sqs = aws.sqs()
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=aws.queue_url(name), AttributeNames=QUEUE_ATTRIBUTES)
        attributes = attributes.get("Attributes", {})
        messages, in_flight = _messages(attributes)
        dead_letters = None
        redrive = attributes.get("RedrivePolicy")
        if redrive:
            dlq_name = str(json.loads(redrive)["deadLetterTargetArn"]).rsplit(":", 1)[-1]
            dlq = sqs.get_queue_attributes(QueueUrl=aws.queue_url(dlq_name), AttributeNames=QUEUE_ATTRIBUTES[:2])
            dead_letters = sum(_messages(dlq.get("Attributes", {})))
    except Exception:  # noqa: BLE001 - any failure means the queue cannot be read; it is reported, not raised
        logger().warning("queue unreadable", extra={"queue": name})
        aws.queue_url.cache_clear()
        return QueueStatus(name=name, reachable=False)
    return QueueStatus(name=name, reachable=True, messages=messages, in_flight=in_flight, dead_letters=dead_letters)


AGE_METRIC = "ApproximateAgeOfOldestMessage"
AGE_WINDOW_SECONDS = 600


def oldest_ages(names: list[str]) -> dict[str, float]:
    """The age in seconds of each queue's oldest message as SQS reports it to CloudWatch (``AWS/SQS``
    ``ApproximateAgeOfOldestMessage``, the latest one-minute maximum of the last ten minutes); a queue
    CloudWatch has nothing for (no recent data, a local stack) is left out. One call for every queue."""
    from datetime import UTC, datetime, timedelta

    if not names:
        return {}
    queries = [
        {
            "Id": f"q{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": AGE_METRIC,
                    "Dimensions": [{"Name": "QueueName", "Value": name}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
            "ReturnData": True,
        }
        for i, name in enumerate(names)
    ]
    now = datetime.now(UTC)
    try:
        answer = aws.client("cloudwatch").get_metric_data(
            MetricDataQueries=queries,
            StartTime=now - timedelta(seconds=AGE_WINDOW_SECONDS),
            EndTime=now + timedelta(seconds=60),
            ScanBy="TimestampDescending",
        )
    except Exception:  # noqa: BLE001 - an age that cannot be read is unknown, never an error of the page
        logger().warning("queue ages unreadable from CloudWatch")
        return {}
    ages = {}
    for result in answer.get("MetricDataResults", []):
        pairs = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False), reverse=True)
        if pairs:
            ages[names[int(result["Id"][1:])]] = float(pairs[0][1])
    return ages


def status(identity: Identity) -> Status:
    from chalicelib.db.migrate import available

    problems: list[str] = []
    imports: list[ImportStatus] = []
    feed: list[NavFeedStatus] = []
    transfers: TransferStatus | None = None
    backlog: dict[str, Any] | None = None
    projects = list(identity.projects) if identity.projects is not None else None
    try:
        row = db_status.database_status()
        database = DatabaseStatus(reachable=True, **row)
        imports = [
            ImportStatus(project=r["pid"], key=r["key"], imported_on=r["imported_on"], age_seconds=r["age_seconds"])
            for r in db_status.last_imports()
            if identity.may_see(r["pid"])
        ]
        from chalicelib.services import navdata

        feed = navdata.feed_status(identity.may_see)
        needed = max(version for version, _, _ in available())
        if database.migration is None or database.migration < needed:
            problems.append(f"the database is at migration {database.migration}, the code needs {needed}")
        backlog = db_status.queue_backlog(QUEUE_IDS["asaqc"], projects)
        transfers = TransferStatus(**db_status.failed_transfers(QUEUE_IDS["asaqc"], projects))
        if transfers.unrecovered_24h:
            problems.append(f"{transfers.unrecovered_24h} ASAQC transfer(s) failed in the last 24 h with no retry")
    except errors.DougalError:
        database = DatabaseStatus(reachable=False)
        problems.append("database unreachable")
    queues = {kind: queue_status(name) for kind, name in get_settings().queues.items()}
    if backlog is not None and "asaqc" in queues:
        # The outgoing queue's work is its table (the SQS messages only wake the sender): its oldest due item.
        queues["asaqc"].oldest_age_seconds = backlog["oldest_age_seconds"]
        queues["asaqc"].oldest_age_from = "database"
    from_sqs = {kind: name for kind, name in get_settings().queues.items() if queues[kind].oldest_age_from is None}
    ages = oldest_ages(list(from_sqs.values()))
    for kind, name in from_sqs.items():
        if name in ages:
            queues[kind].oldest_age_seconds = ages[name]
            queues[kind].oldest_age_from = "cloudwatch"
    for kind, queue in queues.items():
        if not queue.reachable:
            problems.append(f"the {kind} queue cannot be read")
        elif queue.dead_letters:
            problems.append(f"{queue.dead_letters} message(s) in the dead-letter queue of the {kind} queue")
    return Status(
        healthy=not problems,
        problems=problems,
        version=__version__,
        api=API_VERSION,
        database=database,
        queues=queues,
        imports=imports,
        navdata=feed,
        transfers=transfers,
    )
