"""Spec tag "asaqc": the outgoing transfer queue (requests, items, the list's query, the retry policy)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictInt

from chalicelib.models import Model
from chalicelib.models.limits import INT32_MAX

# queue_item.queue_id of each queue.
QUEUE_IDS = {"asaqc": 1}
# The one document type an ASAQC transfer carries: the Seis+JSON line log (and its PDF rendering).
SEIS_MEDIA_TYPE = "application/vnd.seis+json"
STATUSES = ("queued", "cancelled", "failed", "sent")
Status = Literal["queued", "cancelled", "failed", "sent"]
# The spec's enum of `order`, each a column of queue_item (`project` is `pid`).
ORDERS = ("created_on", "updated_on", "not_before", "item_id", "status", "parent_id", "project", "sequence")
Order = Literal["created_on", "updated_on", "not_before", "item_id", "status", "parent_id", "project", "sequence"]
MAX_LIST_LIMIT = 1000
# Items one POST may add (all or none).
MAX_REQUEST_ITEMS = 1000

# Defaults of configuration.asaqc.retry: the first retry after `base` seconds, each next one `factor`
# times later, at most `max_attempts` attempts in all (1, 3, 9, 27 minutes: about 40 minutes).
DEFAULT_RETRY_BASE = 60.0
DEFAULT_RETRY_FACTOR = 3.0
DEFAULT_MAX_ATTEMPTS = 5


class QueueRequestASAQC(Model):
    """One item of ``POST /queue/outgoing/asaqc``. ``mimetype``, required by the contract but
    described nowhere, may be given and must then name the Seis+JSON line log; it is always stored."""

    model_config = ConfigDict(extra="forbid")

    project: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    sequence: Annotated[StrictInt, Field(ge=0, le=INT32_MAX)]
    mimetype: Literal["application/vnd.seis+json"] = "application/vnd.seis+json"


class QueueItem(Model):
    """The spec's QueueItem; ``results`` holds one element per file sent (``{digest, response}``)."""

    item_id: int
    queue_id: int
    status: str
    payload: dict[str, Any]
    results: list[dict[str, Any]]
    created_on: str
    updated_on: str
    not_before: str
    parent_id: int | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> QueueItem:
        return cls(
            item_id=row["item_id"],
            queue_id=row["queue_id"],
            status=row["status"],
            payload=row["payload"],
            results=row["results"],
            created_on=row["created_on"].isoformat(),
            updated_on=row["updated_on"].isoformat(),
            not_before=row["not_before"].isoformat(),
            parent_id=row["parent_id"],
        )


class QueueListQuery(Model):
    """The query string of ``GET /queue/outgoing/asaqc``, parsed at the API edge."""

    status: Status | None = None
    order: Order = "updated_on"
    descending: bool = True
    limit: int = MAX_LIST_LIMIT
    offset: int = 0


class QueueListParameters(Model):
    """The query string of ``GET /queue/outgoing/asaqc`` as sent (parsed into ``QueueListQuery``)."""

    status: Status | None = None
    order: Order = "updated_on"
    dir: str = Field(default="-", description="`-` for descending (the default), anything else ascending")
    limit: int = Field(default=MAX_LIST_LIMIT, ge=1, le=MAX_LIST_LIMIT)
    offset: int = Field(default=0, ge=0)


class RetryPolicy(Model):
    """``configuration.asaqc.retry`` of the item's project: the delay before attempt n+1 is
    ``base · factor^(n-1)`` seconds; an item of attempt ``max_attempts`` that fails is not retried."""

    base: float = DEFAULT_RETRY_BASE
    factor: float = DEFAULT_RETRY_FACTOR
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    @classmethod
    def from_configuration(cls, configuration: dict[str, Any] | None) -> tuple[RetryPolicy, list[str]]:
        """The policy a project's configuration sets, and what of it was unusable (then the default)."""
        asaqc = (configuration or {}).get("asaqc")
        given = asaqc.get("retry") if isinstance(asaqc, dict) else None
        if not isinstance(given, dict):
            return cls(), []
        values: dict[str, Any] = {}
        problems: list[str] = []
        checks = {"base": _base_ok, "factor": _factor_ok, "max_attempts": _attempts_ok}
        for name, check in checks.items():
            if name not in given:
                continue
            if check(given[name]):
                values[name] = given[name]
            else:
                problems.append(f"configuration.asaqc.retry.{name}: {given[name]!r} is out of range")
        return cls(**values), problems

    def delay_seconds(self, attempt: int) -> float:
        """Seconds between the failure of attempt ``attempt`` and the next attempt (a day at most)."""
        return float(min(self.base * self.factor ** (attempt - 1), 86_400.0))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _base_ok(value: Any) -> bool:
    return _number(value) and 0 <= value <= 86_400


def _factor_ok(value: Any) -> bool:
    return _number(value) and 1 <= value <= 100


def _attempts_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100
