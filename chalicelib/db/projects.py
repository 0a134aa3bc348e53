"""Projects and their key/value information."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from chalicelib.db import Connection, Row, cursor
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
    pid: str,
    name: str,
    groups: list[str],
    configuration: dict[str, Any],
    meta: dict[str, Any],
    grid_unit: tuple[str, float] = ("metre", 1.0),
) -> dict[str, Any]:
    with cursor() as conn:
        row = conn.execute(
            Q.create_project,
            {
                "pid": pid,
                "name": name,
                "groups": groups,
                "configuration": Jsonb(configuration),
                "meta": Jsonb(meta),
                "grid_unit": grid_unit[0],
                "grid_unit_metres": grid_unit[1],
            },
        ).fetchone()
        assert row is not None
        return row


def replace_configuration(
    pid: str, configuration: dict[str, Any], grid_unit: tuple[str, float] = ("metre", 1.0)
) -> bool:
    params = {
        "pid": pid,
        "configuration": Jsonb(configuration),
        "grid_unit": grid_unit[0],
        "grid_unit_metres": grid_unit[1],
    }
    with cursor() as conn:
        return conn.execute(Q.replace_configuration, params).fetchone() is not None


def set_grid_unit(conn: Connection, pid: str, grid_unit: tuple[str, float]) -> None:
    """The project grid's unit and metres per unit, written only when they differ."""
    conn.execute(Q.set_grid_unit, {"pid": pid, "grid_unit": grid_unit[0], "grid_unit_metres": grid_unit[1]})


def archive_project(pid: str) -> bool:
    with cursor() as conn:
        return conn.execute(Q.archive_project, {"pid": pid}).fetchone() is not None


def get_info(pid: str, key: str) -> tuple[bool, Any]:
    with cursor() as conn:
        row = conn.execute(Q.get_info, {"pid": pid, "key": key}).fetchone()
        return (row is not None, row["value"] if row else None)


def put_info(pid: str, key: str, value: Any) -> None:
    with cursor() as conn:
        conn.execute(Q.put_info, {"pid": pid, "key": key, "value": Jsonb(value)})


def delete_info(pid: str, key: str) -> None:
    with cursor() as conn:
        conn.execute(Q.delete_info, {"pid": pid, "key": key})
