"""Projects and their key/value information."""

from __future__ import annotations

from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb
from chalicelib.db.queries import queries

Q = queries("projects")


def list_projects(pids: list[str] | None) -> list[dict[str, Any]]:
    with cursor() as conn:
        return conn.execute(Q.list_projects, {"pids": pids}).fetchall()


def get_project(pid: str, conn: Connection | None = None) -> Row | None:
    """The project, read on ``conn`` when given (inside a caller's transaction)."""
    if conn is not None:
        return conn.execute(Q.get_project, {"pid": pid}).fetchone()
    with cursor() as own:
        return own.execute(Q.get_project, {"pid": pid}).fetchone()


def create_project(
    pid: str, name: str, groups: list[str], configuration: dict[str, Any], meta: dict[str, Any]
) -> dict[str, Any]:
    with cursor() as conn:
        row = conn.execute(
            Q.create_project,
            {
                "pid": pid,
                "name": name,
                "groups": groups,
                "configuration": jsonb(configuration),
                "meta": jsonb(meta),
            },
        ).fetchone()
        assert row is not None
        return row


def replace_configuration(pid: str, configuration: dict[str, Any]) -> bool:
    with cursor() as conn:
        row = conn.execute(Q.replace_configuration, {"pid": pid, "configuration": jsonb(configuration)}).fetchone()
        return row is not None


def archive_project(pid: str) -> bool:
    with cursor() as conn:
        return conn.execute(Q.archive_project, {"pid": pid}).fetchone() is not None


def get_info(pid: str, key: str) -> tuple[bool, Any]:
    with cursor() as conn:
        row = conn.execute(Q.get_info, {"pid": pid, "key": key}).fetchone()
        return (row is not None, row["value"] if row else None)


def put_info(pid: str, key: str, value: Any) -> None:
    with cursor() as conn:
        conn.execute(Q.put_info, {"pid": pid, "key": key, "value": jsonb(value)})


def delete_info(pid: str, key: str) -> None:
    with cursor() as conn:
        conn.execute(Q.delete_info, {"pid": pid, "key": key})
