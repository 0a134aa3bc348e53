"""Plain factory functions for the integration tests."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import db
from chalicelib.models.auth import Identity
from chalicelib.services import auth


def make_project(pid: str = "alpha", name: str | None = None, configuration: dict[str, Any] | None = None) -> str:
    db.connection().execute(
        "INSERT INTO project (pid, name, configuration) VALUES (%s, %s, %s::jsonb)",
        (pid, name or f"Survey {pid}", json.dumps(configuration or {})),
    )
    return pid


def make_account(name: str, role: str, password: str, projects: list[str] | None = None) -> int:
    from chalicelib.services import accounts

    return accounts.add_account(name, role, password, projects)


def token_for(
    role: str, projects: list[str] | None = None, account_id: int | None = None, now: float | None = None
) -> str:
    version = None
    if account_id is not None:
        row = db.connection().execute("SELECT token_version FROM account WHERE id = %s", (account_id,)).fetchone()
        version = row["token_version"] if row else None
    identity = Identity(
        name=f"test-{role}",
        role=role,
        account_id=account_id,
        projects=tuple(projects) if projects is not None else None,
        token_version=version,
    )
    return auth.issue_token(identity, now=now)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_role(role: str, projects: list[str] | None = None) -> dict[str, str]:
    return bearer(token_for(role, projects))


def cookie_value(set_cookie: str | list[str], name: str = "__Host-JWT") -> str:
    """The token of a Set-Cookie value (the tests run a Secure stage: ``__Host-JWT``)."""
    first = (set_cookie[0] if isinstance(set_cookie, list) else set_cookie).split(";", 1)[0]
    key, _, value = first.partition("=")
    assert key.strip() == name
    return value
