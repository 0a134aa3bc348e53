"""``GET /status``: figures checked against a stack the test puts into known states."""

from __future__ import annotations

import json

from chalicelib.db.migrate import available
from tests.integration.factories import as_role, make_project


def purge(aws):
    """Empty every queue: the bucket's notification set-up leaves S3's test event on the ingest queue."""
    sqs = aws.sqs()
    for url in sqs.list_queues()["QueueUrls"]:
        sqs.purge_queue(QueueUrl=url)


def get_status(client, projects=None):
    response = client.get("/status", headers=as_role("user", projects=projects))
    assert response.status_code == 200
    return json.loads(response.body)


def test_a_quiet_stack_is_healthy(client, aws):
    purge(aws)
    body = get_status(client)
    assert (body["healthy"], body["problems"]) == (True, [])
    assert body["database"]["reachable"] is True
    assert body["database"]["migration"] == max(v for v, _, _ in available())
    assert body["database"]["postgresql"].startswith("15") and body["database"]["postgis"].startswith("3")
    assert set(body["queues"]) == {"ingest", "qc", "asaqc", "navdata"}
    for queue in body["queues"].values():
        assert (queue["reachable"], queue["messages"], queue["in_flight"], queue["dead_letters"]) == (True, 0, 0, 0)


def test_backlog_in_flight_and_dead_letters_are_counted(client, aws):
    purge(aws)
    sqs = aws.sqs()
    ingest = aws.queue_url("dougal-dev-ingest")
    for i in range(3):
        sqs.send_message(QueueUrl=ingest, MessageBody=f"file {i}")
    sqs.receive_message(QueueUrl=ingest, MaxNumberOfMessages=1, VisibilityTimeout=300)
    sqs.send_message(QueueUrl=aws.queue_url("dougal-dev-qc-dlq"), MessageBody="a QC run that failed every try")
    body = get_status(client)
    ingest_status = body["queues"]["ingest"]
    assert (ingest_status["messages"], ingest_status["in_flight"], ingest_status["dead_letters"]) == (2, 1, 0)
    assert body["queues"]["qc"]["dead_letters"] == 1
    assert body["healthy"] is False
    assert body["problems"] == ["1 message(s) in the dead-letter queue of the qc queue"]


def test_a_missing_queue_is_reported_not_raised(client, aws):
    sqs = aws.sqs()
    sqs.delete_queue(QueueUrl=aws.queue_url("dougal-dev-asaqc"))
    aws.queue_url.cache_clear()
    body = get_status(client)
    assert body["queues"]["asaqc"]["reachable"] is False
    assert body["healthy"] is False and "the asaqc queue cannot be read" in body["problems"]


def test_last_import_of_each_project_the_caller_may_see(client, aws):
    from chalicelib import db

    make_project("alpha")
    make_project("beta")
    conn = db.connection()
    for key, status, minutes in (
        ("alpha/raw/seq1.p111", "imported", 90),
        ("alpha/raw/seq2.p111", "imported", 30),
        ("alpha/raw/seq3.p111", "rejected", 5),
        ("beta/raw/seq9.p111", "imported", 10),
    ):
        conn.execute(
            "INSERT INTO upload (pid, bucket, key, etag, status, imported_on) "
            "VALUES (%s, 'b', %s, 'e', %s, now() - make_interval(mins => %s))",
            (key.split("/")[0], key, status, minutes),
        )
    body = get_status(client, projects=["alpha"])
    assert [i["project"] for i in body["imports"]] == ["alpha"]
    alpha = body["imports"][0]
    assert alpha["key"] == "alpha/raw/seq2.p111"
    assert 30 * 60 - 5 <= alpha["age_seconds"] <= 30 * 60 + 60
    everyone = get_status(client)
    assert [(i["project"], i["key"]) for i in everyone["imports"]] == [
        ("alpha", "alpha/raw/seq2.p111"),
        ("beta", "beta/raw/seq9.p111"),
    ]


def test_a_database_behind_the_code_is_a_problem(client, aws):
    from chalicelib import db

    conn = db.connection()
    last = conn.execute("SELECT version, name FROM schema_migration ORDER BY version DESC LIMIT 1").fetchone()
    conn.execute("DELETE FROM schema_migration WHERE version = %s", (last["version"],))
    try:
        body = get_status(client)
    finally:
        conn.execute("INSERT INTO schema_migration (version, name) VALUES (%s, %s)", (last["version"], last["name"]))
    assert body["healthy"] is False
    assert f"the code needs {last['version']}" in body["problems"][0]


def test_status_needs_the_user_role(client, aws):
    assert client.get("/status", headers=as_role("guest")).status_code == 401
    assert client.get("/status").status_code == 401


def _item(conn, pid, status, created_minutes_ago, not_before_minutes=None, parent=None, updated_minutes_ago=None):
    """A queue item written as the sender leaves it (queue 1 is ASAQC)."""
    return conn.execute(
        "INSERT INTO queue_item "
        "(queue_id, status, payload, pid, sequence, created_on, updated_on, not_before, parent_id) "
        "VALUES (1, %s, '{}'::jsonb, %s, 7, now() - make_interval(mins => %s), now() - make_interval(mins => %s), "
        "coalesce(now() + make_interval(mins => %s), 'epoch'), %s) RETURNING item_id",
        (
            status,
            pid,
            created_minutes_ago,
            updated_minutes_ago if updated_minutes_ago is not None else created_minutes_ago,
            not_before_minutes,
            parent,
        ),
    ).fetchone()["item_id"]


def test_transfer_backlog_age_and_failed_transfers(client, aws):
    from chalicelib import db

    purge(aws)
    make_project("alpha")
    make_project("beta")
    conn = db.connection()
    _item(conn, "alpha", "queued", 10)  # waiting for 10 minutes: the oldest due
    _item(conn, "alpha", "queued", 3)
    _item(conn, "alpha", "queued", 60, not_before_minutes=5)  # a retry not yet due: not waiting
    _item(conn, "beta", "queued", 30)  # beta's, older still
    recovered = _item(conn, "alpha", "failed", 50)
    _item(conn, "alpha", "sent", 40, parent=recovered)
    _item(conn, "alpha", "failed", 20)  # the last try: nothing after it
    _item(conn, "alpha", "failed", 3000)  # two days ago: out of the window
    _item(conn, "beta", "failed", 5)
    # And a backlog in SQS: the ingest queue's age cannot be read without receiving, so it is not given.
    sqs = aws.sqs()
    sqs.send_message(QueueUrl=aws.queue_url("dougal-dev-ingest"), MessageBody="a file")

    body = get_status(client, projects=["alpha"])
    asaqc = body["queues"]["asaqc"]
    assert asaqc["oldest_age_from"] == "database"
    assert 10 * 60 - 5 <= asaqc["oldest_age_seconds"] <= 10 * 60 + 60
    assert body["transfers"] == {"failed_24h": 2, "unrecovered_24h": 1}
    assert body["healthy"] is False
    assert body["problems"] == ["1 ASAQC transfer(s) failed in the last 24 h with no retry"]
    ingest = body["queues"]["ingest"]
    assert (ingest["messages"], ingest["oldest_age_seconds"], ingest["oldest_age_from"]) == (1, None, None)
    # Nothing was received to find out: the message is still waiting, never counted towards the DLQ.
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws.queue_url("dougal-dev-ingest"), AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"

    everyone = get_status(client)
    assert 30 * 60 - 5 <= everyone["queues"]["asaqc"]["oldest_age_seconds"] <= 30 * 60 + 60
    assert everyone["transfers"] == {"failed_24h": 3, "unrecovered_24h": 2}
    assert everyone["problems"] == ["2 ASAQC transfer(s) failed in the last 24 h with no retry"]


def test_dead_letters_and_failed_transfers_are_both_reasons(client, aws):
    from chalicelib import db

    purge(aws)
    make_project("alpha")
    _item(db.connection(), "alpha", "failed", 1)
    aws.sqs().send_message(QueueUrl=aws.queue_url("dougal-dev-asaqc-dlq"), MessageBody="a wake-up that failed")
    body = get_status(client)
    assert body["healthy"] is False
    assert sorted(body["problems"]) == [
        "1 ASAQC transfer(s) failed in the last 24 h with no retry",
        "1 message(s) in the dead-letter queue of the asaqc queue",
    ]
    assert body["queues"]["asaqc"]["oldest_age_seconds"] is None  # nothing due waits


def test_the_oldest_message_age_of_an_sqs_queue_comes_from_cloudwatch(client, aws):
    """SQS reports each queue's ApproximateAgeOfOldestMessage to CloudWatch; /status reads the latest
    figure there (never by receiving a message). A queue without a recent figure stays null."""
    from datetime import UTC, datetime, timedelta

    cloudwatch = aws.client("cloudwatch")
    now = datetime.now(UTC)
    for minutes_ago, age in ((3, 60.0), (1, 420.0)):  # the latest one counts, not the largest
        cloudwatch.put_metric_data(
            Namespace="AWS/SQS",
            MetricData=[
                {
                    "MetricName": "ApproximateAgeOfOldestMessage",
                    "Dimensions": [{"Name": "QueueName", "Value": "dougal-dev-ingest"}],
                    "Timestamp": now - timedelta(minutes=minutes_ago),
                    "Value": age,
                    "Unit": "Seconds",
                }
            ],
        )
    cloudwatch.put_metric_data(  # a figure of long ago says nothing of now
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [{"Name": "QueueName", "Value": "dougal-dev-qc"}],
                "Timestamp": now - timedelta(hours=2),
                "Value": 999.0,
            }
        ],
    )
    queues = get_status(client)["queues"]
    assert (queues["ingest"]["oldest_age_seconds"], queues["ingest"]["oldest_age_from"]) == (420.0, "cloudwatch")
    assert (queues["qc"]["oldest_age_seconds"], queues["qc"]["oldest_age_from"]) == (None, None)
    assert queues["navdata"]["oldest_age_seconds"] is None


def test_cloudwatch_out_of_reach_leaves_the_ages_unknown(client, aws, monkeypatch):
    from chalicelib.services import status

    class Unreachable:
        def get_metric_data(self, **kwargs):
            raise ConnectionError("no route to monitoring")

    class Clients:
        def __call__(self, service):
            return Unreachable()

        def cache_clear(self):
            pass

    monkeypatch.setattr(status.aws, "client", Clients())
    assert status.oldest_ages(["dougal-dev-ingest"]) == {}


def test_a_backlog_a_stale_feed_and_a_failed_transfer_together(client, aws):
    """One stack in three kinds of trouble at once: every figure, the reasons, and the versions."""
    import tomllib
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from chalicelib import db
    from tests.integration.api.test_navdata import header, post

    purge(aws)
    make_project("alpha", configuration={"navdata": {"stale_seconds": 120}})
    # A backlog: five files waiting on the ingest queue, one of them being worked on.
    sqs = aws.sqs()
    ingest = aws.queue_url("dougal-dev-ingest")
    for i in range(5):
        sqs.send_message(QueueUrl=ingest, MessageBody=f"file {i}")
    sqs.receive_message(QueueUrl=ingest, MaxNumberOfMessages=1, VisibilityTimeout=300)
    # …and two line logs waiting to go to ASAQC, the oldest for 25 minutes.
    conn = db.connection()
    _item(conn, "alpha", "queued", 25)
    _item(conn, "alpha", "queued", 2)
    # A stale feed: the vessel's last header is 10 minutes old (the project allows 2).
    sent = datetime.now(UTC) - timedelta(minutes=10)
    status, _ = post(client, [{**header(1), "tstamp": sent.isoformat()}])
    assert status in (200, 201, 202), status
    # A failed transfer with no retry after it.
    _item(conn, "alpha", "failed", 7)

    body = get_status(client)
    assert body["healthy"] is False
    # The failed transfer is the one reason: a backlog is work waiting, and the feed's age is each project's
    # to judge (a vessel in port sends none), both reported as figures.
    assert body["problems"] == ["1 ASAQC transfer(s) failed in the last 24 h with no retry"]
    assert body["transfers"] == {"failed_24h": 1, "unrecovered_24h": 1}
    queue = body["queues"]["ingest"]
    assert (queue["messages"], queue["in_flight"], queue["dead_letters"]) == (4, 1, 0)
    asaqc = body["queues"]["asaqc"]
    assert asaqc["oldest_age_from"] == "database" and 25 * 60 - 5 <= asaqc["oldest_age_seconds"] <= 25 * 60 + 60
    (feed,) = body["navdata"]
    assert (feed["project"], feed["stale"], feed["stale_seconds"]) == ("alpha", True, 120)
    assert 600 - 5 <= feed["age_seconds"] <= 600 + 60
    assert abs((datetime.fromisoformat(feed["newest"]) - sent).total_seconds()) < 0.01
    # The versions: the package's (pyproject.toml) and the API's it serves.
    pyproject = tomllib.loads((Path(__file__).resolve().parents[3] / "pyproject.toml").read_text(encoding="utf-8"))
    assert body["version"] == pyproject["project"]["version"]
    assert body["api"] == "0.3.1"
    assert body["database"]["reachable"] is True
