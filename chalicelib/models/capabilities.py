"""``GET /capabilities``: what this Dougal reads, answers and checks, and its limits."""

from __future__ import annotations

from typing import Any

from chalicelib.models import Model


class Dialect(Model):
    name: str
    """A writer's way of writing the format (the simulator's ``dialect=`` names)."""
    reads: str
    """What the reader takes in that way of writing."""


class FileFormat(Model):
    format: str
    """The name ``/files`` reports (``p111``, ``p190``, ``sps21``, ``sps1``)."""
    name: str
    uploads: list[str]
    """The upload kinds (key folders) the format is read under."""
    reads: list[str]
    """What the reader takes from the file beyond the positions."""
    dialects: list[Dialect]
    """The navigation systems' ways of writing the format that are read (``parsers.DIALECTS``)."""


class QcTest(Model):
    name: str
    severity: str
    parameters: dict[str, Any]


class RetryDefaults(Model):
    """The delay before attempt n+1 is ``base_seconds · factor^(n-1)``; an item of attempt ``max_attempts`` that
    fails is not retried. A project overrides them in ``configuration.asaqc.retry``."""

    base_seconds: float
    factor: float
    max_attempts: int


class AsaqcIntegration(Model):
    """The client's ASAQC service (Vessel Track API): where line logs go and how failures are retried."""

    configured: bool
    """Whether this installation has the service's credentials or address set."""
    upload_path: str
    """Appended to the service's API address: each file is POSTed there, base64-encoded."""
    receipts_path: str
    receipt_lookup: bool
    """Whether an unknown outcome is looked up at ``receipts_path`` before the file is sent again."""
    timeout_seconds: float
    batch: int
    """Items one sender run takes at most."""
    retry: RetryDefaults
    retried_statuses: list[int]
    """The 4xx answers retried; every 5xx and a timeout are retried too."""


class Integrations(Model):
    asaqc: AsaqcIntegration


class Capabilities(Model):
    version: str
    api: str
    formats: list[FileFormat]
    media_types: dict[str, list[str]]
    """``METHOD path`` → the media types the route answers with (the default first); other routes: JSON."""
    qc: dict[str, QcTest]
    """The QC tests and their defaults (a project overrides them in ``configuration.qc``)."""
    integrations: Integrations
    limits: dict[str, int]
    """Page sizes, body and upload sizes (``upload_bytes_max``: a file larger is rejected before it is read)."""
