"""``GET /status``: the state of the system for the people who run it."""

from __future__ import annotations

from datetime import datetime

from chalicelib.models import Model
from chalicelib.models.navdata import NavFeedStatus


class DatabaseStatus(Model):
    reachable: bool
    migration: int | None = None
    migration_name: str | None = None
    postgresql: str | None = None
    postgis: str | None = None


class QueueStatus(Model):
    name: str
    reachable: bool
    messages: int | None = None
    """Messages waiting (approximate, as SQS counts them)."""
    in_flight: int | None = None
    """Messages received by a worker and not yet deleted."""
    dead_letters: int | None = None
    """Messages in the queue's dead-letter queue: each a file, a QC run or a transfer that failed every try."""


class ImportStatus(Model):
    project: str
    key: str | None
    imported_on: datetime | None
    age_seconds: float | None


class Status(Model):
    healthy: bool
    problems: list[str]
    version: str
    api: str
    database: DatabaseStatus
    queues: dict[str, QueueStatus]
    imports: list[ImportStatus]
    navdata: list[NavFeedStatus] = []
    """The navigation feed's age for each project the caller may see (reported, never a problem)."""
