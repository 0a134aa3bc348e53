"""Managing accounts (the ``user`` command of ``python -m chalicelib.cli``).

Every change that should end the sessions of an account (a new password, a new role or project list,
removal, ``revoke``) bumps its token version in the same statement: every token issued before is
refused from then on (within ``DOUGAL_TOKEN_CACHE_SECONDS`` in other containers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from chalicelib import db, errors
from chalicelib.db import accounts
from chalicelib.db import audit as db_audit
from chalicelib.models.audit import Actor
from chalicelib.models.auth import ROLES
from chalicelib.services import audit
from chalicelib.services.auth import forget_token_states, hash_password


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise errors.BadRequestError(f"Unknown role {role!r}: use {', '.join(ROLES[:-1])} or {ROLES[-1]}")


@contextlib.contextmanager
def _audited(what: str, name: str, actor: Actor | None, **ids: Any) -> Iterator[None]:
    """The change inside one transaction with its audit row: the accounts of ``name`` before and after
    (name, role, projects, token version; never a password or its hash)."""
    with db.transaction() as conn:
        before = db_audit.account_state(conn, name)
        yield
        after = db_audit.account_state(conn, name)
        audit.record(conn, actor, what, None, {"account": name, **ids}, before, after)


def add_account(
    name: str, role: str, password: str, projects: list[str] | None = None, actor: Actor | None = None
) -> int:
    _check_role(role)
    hashed = hash_password(password)
    with _audited("add_account", name, actor, role=role):
        return accounts.create_account(name, role, hashed, projects)


def set_password(name: str, role: str, password: str, actor: Actor | None = None) -> None:
    _check_role(role)
    hashed = hash_password(password)
    with _audited("set_password", name, actor, role=role, change="new password"):
        if not accounts.set_password(name, role, hashed):
            raise errors.NotFoundError(f"No account {name!r} with role {role!r}")
    forget_token_states()


def ensure_account(name: str, role: str, password: str, actor: Actor | None = None) -> None:
    """Create the account, or set its password when it exists (``make run``)."""
    _check_role(role)
    hashed = hash_password(password)
    with _audited("ensure_account", name, actor, role=role, change="password set"):
        if not accounts.set_password(name, role, hashed):
            accounts.create_account(name, role, hashed, None)


def set_projects(name: str, role: str, projects: list[str] | None, actor: Actor | None = None) -> None:
    _check_role(role)
    with _audited("set_projects", name, actor, role=role):
        if not accounts.set_projects(name, role, projects):
            raise errors.NotFoundError(f"No account {name!r} with role {role!r}")
    forget_token_states()


def set_role(name: str, role: str, new_role: str, actor: Actor | None = None) -> None:
    """Give the account of ``name`` with ``role`` another role; its tokens end."""
    _check_role(role)
    _check_role(new_role)
    with _audited("set_role", name, actor, role=role):
        if not accounts.set_role(name, role, new_role):
            raise errors.NotFoundError(f"No account {name!r} with role {role!r}")
    forget_token_states()


def revoke_tokens(name: str, role: str | None = None, actor: Actor | None = None) -> int:
    """End every token issued so far to the accounts of ``name`` (or the one with ``role``)."""
    if role is not None:
        _check_role(role)
    with _audited("revoke_tokens", name, actor, role=role):
        revoked = accounts.revoke_tokens(name, role)
        if not revoked:
            raise errors.NotFoundError(f"No account {name!r}")
    forget_token_states()
    return revoked


def remove_account(name: str, role: str | None = None, actor: Actor | None = None) -> int:
    if role is not None:
        _check_role(role)
    with _audited("remove_account", name, actor, role=role):
        removed = accounts.delete_accounts(name, role)
        if not removed:
            raise errors.NotFoundError(f"No account {name!r}")
    forget_token_states()
    return removed


def list_accounts() -> list[dict[str, Any]]:
    return accounts.list_accounts()
