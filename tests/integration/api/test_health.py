"""``GET /health``: database and queues; the queues' answer kept for a few seconds."""

from __future__ import annotations

import json
import threading
import time

from tests.integration.conftest import reload_settings


def test_healthy_when_database_and_queues_answer(client, aws):
    response = client.get("/health")
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["status"] == "ok" and body["version"]


def test_unavailable_when_a_queue_is_missing(client, aws):
    aws.sqs().delete_queue(QueueUrl=aws.queue_url("dougal-dev-qc"))
    aws.queue_url.cache_clear()
    response = client.get("/health")
    assert response.status_code == 503
    body = json.loads(response.body)
    assert body["message"] == "a work queue is unreachable"
    assert "dougal" not in response.body.decode()  # no queue (nor any resource) named


def test_unavailable_when_the_database_is_down(client, aws, monkeypatch):
    from chalicelib import db

    db.close()
    monkeypatch.setenv("DOUGAL_DATABASE_URL", "postgresql://nobody:nothing@127.0.0.1:9/none")
    monkeypatch.setenv("DOUGAL_DATABASE_CONNECT_TIMEOUT", "1")
    reload_settings()
    response = client.get("/health")
    assert response.status_code == 503
    assert "database" in json.loads(response.body)["message"]
    db.close()


def count_queue_checks(aws) -> list[str]:
    """Every GetQueueAttributes call the SQS client makes from now on, by queue URL."""
    calls: list[str] = []
    aws.sqs().meta.events.register(
        "provide-client-params.sqs.GetQueueAttributes", lambda params, **_: calls.append(params["QueueUrl"])
    )
    return calls


def test_the_queues_are_asked_once_for_many_calls(client, aws):
    calls = count_queue_checks(aws)
    for _ in range(20):
        assert client.get("/health").status_code == 200
    assert len(calls) == 4  # ingest, qc, asaqc and navdata, once


def test_a_missing_queue_is_reported_once_the_answer_expires(client, aws, monkeypatch):
    from chalicelib.services import health

    monkeypatch.setattr(health, "QUEUE_CHECK_SECONDS", 0.3)
    assert client.get("/health").status_code == 200
    aws.sqs().delete_queue(QueueUrl=aws.queue_url("dougal-dev-qc"))
    time.sleep(0.35)
    response = client.get("/health")
    assert response.status_code == 503
    assert "work queue" in json.loads(response.body)["message"]
    assert "dougal-dev-qc" not in response.body.decode()


def test_the_database_is_asked_once_for_many_calls(client, aws, monkeypatch):
    from chalicelib.services import health

    asked = []
    original = health._ask_database
    monkeypatch.setattr(health, "_ask_database", lambda: asked.append(1) or original())
    for _ in range(20):
        assert client.get("/health").status_code == 200
    assert len(asked) <= 1  # the answer of the call before may still be fresh


def test_a_database_outage_is_reported_once_the_answer_expires(client, aws, monkeypatch):
    from chalicelib import db, settings
    from chalicelib.services import health

    monkeypatch.setattr(health, "DATABASE_CHECK_SECONDS", 0.3)
    assert client.get("/health").status_code == 200
    db.close()
    monkeypatch.setenv("DOUGAL_DATABASE_URL", "postgresql://nobody:nothing@127.0.0.1:9/none")
    monkeypatch.setenv("DOUGAL_DATABASE_CONNECT_TIMEOUT", "1")
    current = settings.get_settings()
    monkeypatch.setattr(
        current, "database_url", settings.Settings.from_environ().database_url
    )  # same configuration object
    assert client.get("/health").status_code == 200  # the kept answer
    time.sleep(0.35)
    assert client.get("/health").status_code == 503
    db.close()


def test_a_slow_queue_check_does_not_hold_up_other_calls(aws, monkeypatch):
    """While one call refreshes the queues' answer, the others answer at once with the previous one."""
    from chalicelib.services import health

    monkeypatch.setattr(health, "QUEUE_CHECK_SECONDS", 0.2)
    assert health.check().status == "ok"
    time.sleep(0.25)
    aws.sqs().meta.events.register("before-call.sqs.GetQueueAttributes", lambda **_: time.sleep(0.5))

    def refresh() -> None:
        from chalicelib import db

        health.check()
        db.close()  # this thread's own connection

    refresher = threading.Thread(target=refresh)
    refresher.start()
    time.sleep(0.1)
    started = time.perf_counter()
    assert health.check().status == "ok"
    assert time.perf_counter() - started < 0.2
    refresher.join()
