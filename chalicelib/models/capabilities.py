"""``GET /capabilities``: what this Dougal reads, answers and checks, and its limits."""

from __future__ import annotations

from typing import Any

from chalicelib.models import Model


class FileFormat(Model):
    format: str
    """The name ``/files`` reports (``p111``, ``p190``, ``sps21``, ``sps1``)."""
    name: str
    uploads: list[str]
    """The upload kinds (key folders) the format is read under."""
    reads: list[str]
    """What the reader takes from the file beyond the positions."""


class QcTest(Model):
    name: str
    severity: str
    parameters: dict[str, Any]


class Capabilities(Model):
    version: str
    api: str
    formats: list[FileFormat]
    media_types: dict[str, list[str]]
    """``METHOD path`` → the media types the route answers with (the default first); other routes: JSON."""
    qc: dict[str, QcTest]
    """The QC tests and their defaults (a project overrides them in ``configuration.qc``)."""
    limits: dict[str, int]
