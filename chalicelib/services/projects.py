"""Projects: listing, administration, configuration and the info store."""

from __future__ import annotations

from typing import Any

from chalicelib import db as database
from chalicelib import errors
from chalicelib.db import projects as db
from chalicelib.models.audit import Actor
from chalicelib.models.auth import Identity
from chalicelib.models.limits import MAX_CONFIGURATION_BYTES, MAX_INFO_BYTES, json_bytes
from chalicelib.models.projects import Duration, ProjectCreate, ProjectListItem, ProjectSummary
from chalicelib.services import audit
from chalicelib.services.jsonpaths import MISSING, walk
from chalicelib.services.lookup import get_project
from chalicelib.services.qc import queue as qc_queue

MAX_INFO_KEY_CHARS = 200


def list_projects(identity: Identity) -> list[ProjectListItem]:
    pids = list(identity.projects) if identity.projects is not None else None
    return [ProjectListItem(schema_=row.pop("schema"), **row) for row in db.list_projects(pids)]


def create_project(new: ProjectCreate, actor: Actor | None = None) -> ProjectListItem:
    check_configuration(new.configuration)
    unit = grid_unit(new.configuration)
    if db.get_project(new.pid) is not None:
        raise errors.ConflictError(f"Project {new.pid} already exists")
    try:
        with database.transaction() as conn:
            row = db.create_project(new.pid, new.name, new.groups, new.configuration, new.meta, unit)
            audit.record(conn, actor, "create_project", new.pid, {"project": new.pid}, None, new)
    except errors.ConflictError as exc:  # created concurrently
        raise errors.ConflictError(f"Project {new.pid} already exists") from exc
    return ProjectListItem(schema_=row.pop("schema"), **row)


def check_configuration(configuration: Any) -> dict[str, Any]:
    """The configuration, checked against the schema of the parts the system reads; 400 naming the path."""
    from pydantic import ValidationError

    from chalicelib.models.configuration import Configuration

    if not isinstance(configuration, dict):
        raise errors.BadRequestError("The configuration must be a JSON object")
    if json_bytes(configuration) > MAX_CONFIGURATION_BYTES:
        raise errors.BadRequestError(f"A configuration holds at most {MAX_CONFIGURATION_BYTES} bytes of JSON")
    try:
        Configuration.model_validate(configuration)
    except ValidationError as exc:
        first = exc.errors()[0]
        # Union members appear in the location as type names ("dict[str,LabelData]"): not a path.
        path = [str(p) for p in first.get("loc", ()) if not (isinstance(p, str) and "[" in p)]
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise errors.BadRequestError(f"configuration.{'.'.join(path)}: {message}") from exc
    return configuration


def grid_unit(configuration: dict[str, Any]) -> tuple[str, float]:
    """The unit of the project grid (``grid.epsg``) and metres per unit; ('metre', 1.0) without a grid.

    Kept with the project so that line and sequence lengths, speeds and QC distances are in metres
    whatever the grid's unit (US survey feet in the Gulf of Mexico). A code that is not a projected
    CRS is a 400 naming the field.
    """
    epsg = (configuration.get("grid") or {}).get("epsg")
    if epsg is None:
        return "metre", 1.0
    from chalicelib import geodesy

    try:
        return geodesy.grid_unit(int(epsg))
    except geodesy.GeodesyError as exc:
        raise errors.BadRequestError(f"configuration.grid.epsg: {exc}") from exc


def replace_configuration(pid: str, configuration: Any, actor: Actor | None = None) -> None:
    """Replace the whole configuration; a change of its ``qc`` part regenerates the project's QC.

    The previous configuration is kept (``configuration_history``, with ``actor`` and the time).
    """
    configuration = check_configuration(configuration)
    unit = grid_unit(configuration)
    before = get_project(pid)
    with database.transaction() as conn:
        if not db.replace_configuration(pid, configuration, unit, actor.name if actor else None):
            raise errors.NotFoundError(f"Project {pid} not found")
        audit.record(
            conn, actor, "replace_configuration", pid, {"project": pid}, before["configuration"], configuration
        )
    if (before["configuration"] or {}).get("qc") != configuration.get("qc") and not before["archived"]:
        qc_queue.enqueue(pid, None, "configuration changed")


def archive_project(pid: str, actor: Actor | None = None) -> None:
    with database.transaction() as conn:
        before = db.get_project(pid, conn)
        if not db.archive_project(pid):
            raise errors.NotFoundError(f"Project {pid} not found")
        was = bool(before and before["archived"])
        audit.record(conn, actor, "archive_project", pid, {"project": pid}, {"archived": was}, {"archived": True})


def get_configuration(pid: str, segments: list[str]) -> Any:
    found = walk(get_project(pid)["configuration"], segments)
    if found is MISSING:
        raise errors.NotFoundError(f"No configuration at {'/'.join(segments)}")
    return found


def get_info(pid: str, segments: list[str]) -> tuple[bool, Any]:
    """(found, value) for ``key/path…``; absence is not an error for the info store."""
    get_project(pid)
    if not segments:
        return False, None
    exists, value = db.get_info(pid, segments[0])
    if not exists:
        return False, None
    found = walk(value, segments[1:])
    return (found is not MISSING), (None if found is MISSING else found)


def put_info(pid: str, key: str, value: Any, actor: Actor | None = None) -> None:
    """Write an info key; its previous value is kept (``info_history``)."""
    if json_bytes(value) > MAX_INFO_BYTES:
        raise errors.BadRequestError(f"An info value holds at most {MAX_INFO_BYTES} bytes of JSON")
    if len(key) > MAX_INFO_KEY_CHARS:
        raise errors.BadRequestError(f"An info key has at most {MAX_INFO_KEY_CHARS} characters")
    get_project(pid)
    with database.transaction() as conn:
        _, before = db.get_info(pid, key)
        db.put_info(pid, key, value, actor.name if actor else None)
        audit.record(conn, actor, "put_info", pid, {"project": pid, "key": key}, before, value)


def delete_info(pid: str, key: str, actor: Actor | None = None) -> None:
    """Remove an info key; its last value is kept (``info_history``)."""
    get_project(pid)
    with database.transaction() as conn:
        existed, before = db.get_info(pid, key)
        db.delete_info(pid, key, actor.name if actor else None)
        if existed:
            audit.record(conn, actor, "delete_info", pid, {"project": pid, "key": key}, before, None)


def project_summary(pid: str) -> ProjectSummary:
    """The ProjectSummary, from the figures kept up to date at import (no scan of points or shots)."""
    from chalicelib.db import sequences as db_sequences
    from chalicelib.models.sequences import Shotpoint

    row = get_project(pid)
    figures = db_sequences.project_statistics(pid)
    seconds = float(figures["prod_seconds"]) if figures.get("prod_seconds") is not None else None
    intervals = figures.get("intervals")
    return ProjectSummary(
        pid=row["pid"],
        name=row["name"],
        schema_=row["schema"],
        lines=int(figures["lines"]),
        total=int(figures["total"]),
        virgin=int(figures["virgin"]),
        prime=int(figures["prime"]),
        other=int(figures["other"]),
        ntba=int(figures["ntba"]),
        remaining=int(figures["remaining"]),
        fsp=Shotpoint.from_row(figures["fsp"]).model_dump(mode="json") if figures["fsp"] else None,
        lsp=Shotpoint.from_row(figures["lsp"]).model_dump(mode="json") if figures["lsp"] else None,
        seq_raw=int(figures["seq_raw"] or 0),
        seq_final=int(figures["seq_final"] or 0),
        prod_duration=Duration.from_seconds(seconds),
        prod_distance=float(figures["prod_distance"] or 0.0),
        shooting_rate=(seconds / float(intervals)) if seconds is not None and intervals else None,
        grid_unit=row["grid_unit"],
    )
