"""Projects and their key/value information."""

from __future__ import annotations

from typing import Any

from chalicelib.db import Connection, Row, cursor, jsonb, transaction
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
                "configuration": jsonb(configuration),
                "meta": jsonb(meta),
                "grid_unit": grid_unit[0],
                "grid_unit_metres": grid_unit[1],
            },
        ).fetchone()
        assert row is not None
        return row


def replace_configuration(
    pid: str, configuration: dict[str, Any], grid_unit: tuple[str, float] = ("metre", 1.0), actor: str | None = None
) -> bool:
    """Replace the configuration (and the grid's unit); a trigger keeps the previous one, naming ``actor``."""
    params = {
        "pid": pid,
        "configuration": jsonb(configuration),
        "grid_unit": grid_unit[0],
        "grid_unit_metres": grid_unit[1],
    }
    with transaction() as conn:
        _set_actor(conn, actor)
        return conn.execute(Q.replace_configuration, params).fetchone() is not None


def set_grid_unit(conn: Connection, pid: str, grid_unit: tuple[str, float]) -> None:
    """The project grid's unit and metres per unit, written only when they differ."""
    conn.execute(Q.set_grid_unit, {"pid": pid, "grid_unit": grid_unit[0], "grid_unit_metres": grid_unit[1]})


def _set_actor(conn: Connection, actor: str | None) -> None:
    if actor:
        conn.execute(Q.set_actor, {"actor": actor})


def archive_project(pid: str) -> bool:
    with cursor() as conn:
        return conn.execute(Q.archive_project, {"pid": pid}).fetchone() is not None


def get_info(pid: str, key: str) -> tuple[bool, Any]:
    with cursor() as conn:
        row = conn.execute(Q.get_info, {"pid": pid, "key": key}).fetchone()
        return (row is not None, row["value"] if row else None)


def put_info(pid: str, key: str, value: Any, actor: str | None = None) -> None:
    with transaction() as conn:
        _set_actor(conn, actor)
        conn.execute(Q.put_info, {"pid": pid, "key": key, "value": jsonb(value)})


def delete_info(pid: str, key: str, actor: str | None = None) -> None:
    with transaction() as conn:
        _set_actor(conn, actor)
        conn.execute(Q.delete_info, {"pid": pid, "key": key})


def configuration_history(pid: str) -> list[Row]:
    """Earlier configurations of a project, oldest first."""
    with cursor() as conn:
        return conn.execute(Q.configuration_history, {"pid": pid}).fetchall()


def info_history(pid: str, key: str) -> list[Row]:
    """Earlier values of an info key, oldest first."""
    with cursor() as conn:
        return conn.execute(Q.info_history, {"pid": pid, "key": key}).fetchall()
