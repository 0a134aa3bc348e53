"""Managing accounts (the ``user`` command of ``python -m chalicelib.cli``).

Every change that should end the sessions of an account (a new password, a new role or project list,
removal, ``revoke``) bumps its token version in the same statement: every token issued before is
refused from then on (within ``DOUGAL_TOKEN_CACHE_SECONDS`` in other containers).
"""

from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.db import accounts
from chalicelib.models.auth import ROLES
from chalicelib.services.auth import forget_token_states, hash_password


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise errors.BadRequestError(f"Unknown role {role!r}: use {', '.join(ROLES[:-1])} or {ROLES[-1]}")


def add_account(name: str, role: str, password: str, projects: list[str] | None = None) -> int:
    _check_role(role)
    return accounts.create_account(name, role, hash_password(password), projects)


def set_password(name: str, role: str, password: str) -> None:
    _check_role(role)
    if not accounts.set_password(name, role, hash_password(password)):
        raise errors.NotFoundError(f"No account {name!r} with role {role!r}")
    forget_token_states()


def ensure_account(name: str, role: str, password: str) -> None:
    """Create the account, or set its password when it exists (``make run``)."""
    _check_role(role)
    if not accounts.set_password(name, role, hash_password(password)):
        accounts.create_account(name, role, hash_password(password), None)


def set_projects(name: str, role: str, projects: list[str] | None) -> None:
    _check_role(role)
    if not accounts.set_projects(name, role, projects):
        raise errors.NotFoundError(f"No account {name!r} with role {role!r}")
    forget_token_states()


def set_role(name: str, role: str, new_role: str) -> None:
    """Give the account of ``name`` with ``role`` another role; its tokens end."""
    _check_role(role)
    _check_role(new_role)
    if not accounts.set_role(name, role, new_role):
        raise errors.NotFoundError(f"No account {name!r} with role {role!r}")
    forget_token_states()


def revoke_tokens(name: str, role: str | None = None) -> int:
    """End every token issued so far to the accounts of ``name`` (or the one with ``role``)."""
    if role is not None:
        _check_role(role)
    revoked = accounts.revoke_tokens(name, role)
    if not revoked:
        raise errors.NotFoundError(f"No account {name!r}")
    forget_token_states()
    return revoked


def remove_account(name: str, role: str | None = None) -> int:
    if role is not None:
        _check_role(role)
    removed = accounts.delete_accounts(name, role)
    if not removed:
        raise errors.NotFoundError(f"No account {name!r}")
    forget_token_states()
    return removed


def list_accounts() -> list[dict[str, Any]]:
    return accounts.list_accounts()
