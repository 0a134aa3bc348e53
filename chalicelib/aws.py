"""Lazily created, cached boto3 clients, and secrets.

Never created at import time (cold start). ``AWS_ENDPOINT_URL`` points every
client at the local AWS endpoint (moto) in ``make run`` and the tests: the same
boto3 code runs locally and in AWS.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

_lock = threading.Lock()
_secret_cache: dict[str, tuple[float, str]] = {}
SECRET_MAX_AGE_SECONDS = 300.0


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@functools.cache
def client(service: str) -> Any:
    from botocore.config import Config

    config = Config(connect_timeout=3, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})
    with _lock:
        return _session().client(service, config=config)


def s3() -> Any:
    return client("s3")


def sqs() -> Any:
    return client("sqs")


def secrets() -> Any:
    return client("secretsmanager")


def reset() -> None:
    """Forget clients and cached secrets (tests switch endpoints between runs)."""
    client.cache_clear()
    _session.cache_clear()
    queue_url.cache_clear()
    _secret_cache.clear()


def secret_string(secret_id: str) -> str:
    """The secret's string, cached for five minutes so a rotation is picked up."""
    now = time.monotonic()
    cached = _secret_cache.get(secret_id)
    if cached and now - cached[0] < SECRET_MAX_AGE_SECONDS:
        return cached[1]
    value = str(secrets().get_secret_value(SecretId=secret_id)["SecretString"])
    _secret_cache[secret_id] = (now, value)
    return value


@functools.cache
def queue_url(name: str) -> str:
    return str(sqs().get_queue_url(QueueName=name)["QueueUrl"])
