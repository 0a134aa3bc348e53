"""``GET /health``: database and queues."""

from __future__ import annotations

import json

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
    assert "dougal-dev-qc" in json.loads(response.body)["message"]


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
