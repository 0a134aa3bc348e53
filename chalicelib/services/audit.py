"""The audit trail: one recording helper every writing service calls inside its own transaction.

``record`` runs on the connection of the change it describes, so the row commits with the change or not at
all (a write refused with a 400 or a 409 leaves none). Values are stored as JSON: pydantic models by their
JSON dump, dates as ISO text. ``GET /audit`` (master) reads the trail newest first.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from chalicelib.db import Connection
from chalicelib.db import audit as db
from chalicelib.models.audit import Actor, AuditEntry, AuditQuery
from chalicelib.models.auth import Identity


def plain(value: Any) -> Any:
    """``value`` as JSON values (models dumped, dates and decimals as text)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return json.loads(json.dumps(value, default=str))


def record(
    conn: Connection,
    actor: Actor | None,
    what: str,
    pid: str | None = None,
    ids: dict[str, Any] | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Add one row to the trail on ``conn`` (inside the change's transaction). ``what`` names the system
    function when there is no request (``actor.route`` is the request's route otherwise)."""
    who = actor or Actor.system(what)
    db.record(
        conn,
        who.name,
        who.role,
        who.source,
        who.route or what,
        pid,
        plain(ids or {}),
        plain(before),
        plain(after),
    )


def list_audit(query: AuditQuery, caller: Identity) -> tuple[list[AuditEntry], int]:
    """One page of the trail, newest first, and how many rows match; a caller limited to some projects sees
    only theirs (a project it may not see is an empty list, not an error)."""
    projects = list(caller.projects) if caller.projects is not None else None
    rows, total = db.list_audit(query.project, query.since, query.actor, projects, query.limit, query.offset)
    return [AuditEntry.from_row(r) for r in rows], total
