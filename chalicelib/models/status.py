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
    oldest_age_seconds: float | None = None
    """How long the oldest waiting piece of work has waited; null when nothing waits or it cannot be known."""
    oldest_age_from: str | None = None
    """Where that age comes from: ``database`` (the queue's work is kept there), or null (not known)."""


class TransferStatus(Model):
    """ASAQC transfers of the last 24 hours (of the projects the caller may see)."""

    failed_24h: int
    """Attempts that failed (a retry may have followed)."""
    unrecovered_24h: int
    """Failed attempts with no retry after them: the sender gave up, or the failure was final."""


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
    transfers: TransferStatus | None = None
