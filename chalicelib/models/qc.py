"""Spec tag "qc": the results tree, the acceptance bodies and the summary kept in the info store.

Times are ISO 8601 strings as ``datetime.isoformat`` writes them (``+00:00``),
the same spelling as the event log's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel, StrictInt

from chalicelib.models import Model
from chalicelib.models.limits import INT64_MAX


def finding_of(meta: dict[str, Any] | None) -> dict[str, Any]:
    """The QC part of an event's ``meta`` (``{test, severity, value, limit, message, accepted}``), or ``{}``."""
    return ((meta or {}).get("qc") or {}) if isinstance(meta, dict) else {}


def is_open_finding(meta: dict[str, Any] | None) -> bool:
    """A QC finding nobody has accepted (the SQL reads say the same: ``NOT coalesce(accepted, false)``)."""
    finding = finding_of(meta)
    return bool(finding) and not finding.get("accepted")


class QcFinding(Model):
    """One current finding of a test on a sequence (an event labelled ``QC``)."""

    id: int
    point: int | None
    tstamp: str | None
    value: Any
    limit: Any
    message: str
    accepted: bool


class QcSequenceResult(Model):
    """``fail`` while the test has an unaccepted finding and is not of severity ``info``."""

    status: Literal["pass", "fail"]
    findings: list[QcFinding]


class QcTestResult(Model):
    name: str
    severity: str
    parameters: dict[str, Any]
    sequences: dict[str, QcSequenceResult]


class QcResults(RootModel[dict[str, QcTestResult]]):
    model_config = ConfigDict(defer_build=True)

    """``GET …/qc/results``: test → its definition and, per sequence of the page, status and findings."""


class QcEventIds(RootModel[list[Annotated[StrictInt, Field(ge=1, le=INT64_MAX)]]]):
    model_config = ConfigDict(defer_build=True)

    """The body of ``POST …/qc/results/accept|unaccept``: event ids of findings."""


class QcSummary(Model):
    """The info key ``qc``: what the office reads without walking the tree."""

    sequences: int
    findings: int
    open: int
    updated_on: str | None
