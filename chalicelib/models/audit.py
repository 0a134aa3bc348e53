"""The audit trail: who changed what, when, from where, and the values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from chalicelib.models import Model
from chalicelib.models.auth import Actor as Actor  # who writes: with the identity, which every request reads

DEFAULT_AUDIT_PAGE = 100
MAX_AUDIT_PAGE = 1000


class AuditQuery(Model):
    """The query string of ``GET /audit``: rows of one project, since a time, of one actor; a page."""

    project: str | None = Field(default=None, max_length=64)
    since: datetime | None = None
    actor: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=DEFAULT_AUDIT_PAGE, ge=1, le=MAX_AUDIT_PAGE)
    offset: int = Field(default=0, ge=0)


class AuditEntry(Model):
    """One recorded write: ``route`` and ``ids`` say what was written, ``before``/``after`` its values."""

    id: int
    tstamp: datetime
    actor: str
    role: str | None
    source: str | None
    route: str
    project: str | None
    ids: dict[str, Any]
    before: Any = None
    after: Any = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        return cls(**{k: v for k, v in row.items() if k != "pid"}, project=row["pid"])
