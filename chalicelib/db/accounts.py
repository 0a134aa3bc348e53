"""Accounts and login failures."""

from __future__ import annotations

from typing import Any

from chalicelib.db import cursor
from chalicelib.db.queries import queries

Q = queries("accounts")


def find_accounts(name: str) -> list[dict[str, Any]]:
    with cursor() as conn:
        return conn.execute(Q.find_accounts, {"name": name}).fetchall()


def get_account(account_id: int) -> dict[str, Any] | None:
    with cursor() as conn:
        return conn.execute(Q.get_account, {"id": account_id}).fetchone()


def list_accounts() -> list[dict[str, Any]]:
    with cursor() as conn:
        return conn.execute(Q.list_accounts).fetchall()


def create_account(name: str, role: str, password_hash: str, projects: list[str] | None) -> int:
    with cursor() as conn:
        row = conn.execute(
            Q.create_account,
            {"name": name, "role": role, "password_hash": password_hash, "projects": projects},
        ).fetchone()
        assert row is not None
        return int(row["id"])


def set_password(name: str, role: str, password_hash: str) -> bool:
    with cursor() as conn:
        row = conn.execute(Q.set_password, {"name": name, "role": role, "password_hash": password_hash}).fetchone()
        return row is not None


def set_projects(name: str, role: str, projects: list[str] | None) -> bool:
    with cursor() as conn:
        row = conn.execute(Q.set_projects, {"name": name, "role": role, "projects": projects}).fetchone()
        return row is not None


def delete_accounts(name: str, role: str | None) -> int:
    with cursor() as conn:
        return len(conn.execute(Q.delete_accounts, {"name": name, "role": role}).fetchall())


def set_role(name: str, role: str, new_role: str) -> bool:
    with cursor() as conn:
        row = conn.execute(Q.set_role, {"name": name, "role": role, "new_role": new_role}).fetchone()
        return row is not None


def revoke_tokens(name: str, role: str | None) -> int:
    with cursor() as conn:
        return len(conn.execute(Q.revoke_tokens, {"name": name, "role": role}).fetchall())


def token_state(account_id: int) -> dict[str, Any] | None:
    with cursor() as conn:
        return conn.execute(Q.token_state, {"id": account_id}).fetchone()


def count_recent_failures(name: str, source_ip: str | None, window: int) -> dict[str, Any]:
    """``by_ip``, ``by_name_ip`` (with ``last_failure``), ``by_name`` and the database's ``now``."""
    with cursor() as conn:
        row = conn.execute(Q.count_recent_failures, {"name": name, "source_ip": source_ip, "window": window}).fetchone()
        assert row is not None
        return dict(row)


def account_failures(name: str, source_ip: str | None, window: int) -> dict[int, int]:
    """Account id → its failures from this address."""
    with cursor() as conn:
        rows = conn.execute(Q.account_failures, {"name": name, "source_ip": source_ip, "window": window}).fetchall()
        return {int(r["id"]): int(r["failures"]) for r in rows}


def record_failure(name: str, source_ip: str | None, window: int) -> None:
    with cursor() as conn, conn.transaction():
        conn.execute(Q.record_failure, {"name": name, "source_ip": source_ip})
        conn.execute(Q.record_account_failures, {"name": name, "source_ip": source_ip})
        conn.execute(Q.prune_failures, {"window": window})
        conn.execute(Q.prune_account_failures, {"window": window})


def clear_failures(name: str, source_ip: str | None, account_id: int) -> None:
    with cursor() as conn, conn.transaction():
        conn.execute(Q.clear_failures, {"name": name, "source_ip": source_ip})
        conn.execute(Q.clear_account_failures, {"account_id": account_id})
