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


def count_recent_failures(name: str, source_ip: str | None, window: int) -> tuple[int, int]:
    with cursor() as conn:
        row = conn.execute(Q.count_recent_failures, {"name": name, "source_ip": source_ip, "window": window}).fetchone()
        assert row is not None
        return int(row["by_name"]), int(row["by_ip"])


def record_failure(name: str, source_ip: str | None, window: int) -> None:
    with cursor() as conn:
        conn.execute(Q.record_failure, {"name": name, "source_ip": source_ip})
        conn.execute(Q.prune_failures, {"window": window})


def clear_failures(name: str) -> None:
    with cursor() as conn:
        conn.execute(Q.clear_failures, {"name": name})
