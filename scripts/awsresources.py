"""Create the AWS resources Dougal expects, on the local AWS endpoint (moto).

In AWS the same resources come from ``infra/``; this module makes the local
endpoint look the same: the upload bucket, every queue with its dead-letter
queue (redrive after 5 receives), and S3 ObjectCreated notifications on the
upload bucket going to the ingest queue. Safe to run again.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import aws
from chalicelib.settings import Settings

MAX_RECEIVE_COUNT = 5
# Local visibility timeout: 6 x the 60 s worker timeout, as in infra/.
VISIBILITY_TIMEOUT = 360


def provision(settings: Settings, visibility_timeout: int = VISIBILITY_TIMEOUT) -> dict[str, str]:
    sqs, s3 = aws.sqs(), aws.s3()
    urls: dict[str, str] = {}
    for name in settings.queues.values():
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[name] = sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(visibility_timeout),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
            },
        )["QueueUrl"]
    bucket = settings.upload_bucket
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        region = s3.meta.region_name
        if region and region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
    ingest_arn = sqs.get_queue_attributes(QueueUrl=urls[settings.ingest_queue], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": ingest_arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    return urls
