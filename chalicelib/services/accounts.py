"""Managing accounts (the ``user`` command of ``python -m chalicelib.cli``)."""

from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.db import accounts
from chalicelib.models.auth import ROLE_RANK
from chalicelib.services.auth import hash_password


def _check_role(role: str) -> None:
    if role not in ROLE_RANK:
        raise errors.BadRequestError(f"Unknown role {role!r}: use guest, user or master")


def add_account(name: str, role: str, password: str, projects: list[str] | None = None) -> int:
    _check_role(role)
    return accounts.create_account(name, role, hash_password(password), projects)


def set_password(name: str, role: str, password: str) -> None:
    _check_role(role)
    if not accounts.set_password(name, role, hash_password(password)):
        raise errors.NotFoundError(f"No account {name!r} with role {role!r}")


def ensure_account(name: str, role: str, password: str) -> None:
    """Create the account, or set its password when it exists (``make run``)."""
    _check_role(role)
    if not accounts.set_password(name, role, hash_password(password)):
        accounts.create_account(name, role, hash_password(password), None)


def set_projects(name: str, role: str, projects: list[str] | None) -> None:
    _check_role(role)
    if not accounts.set_projects(name, role, projects):
        raise errors.NotFoundError(f"No account {name!r} with role {role!r}")


def remove_account(name: str, role: str | None = None) -> int:
    if role is not None:
        _check_role(role)
    removed = accounts.delete_accounts(name, role)
    if not removed:
        raise errors.NotFoundError(f"No account {name!r}")
    return removed


def list_accounts() -> list[dict[str, Any]]:
    return accounts.list_accounts()
