"""The one way every service finds a project or a sequence by its path, or answers 404.

A leaf of the services: it imports only ``db/``, so any service can use it
without importing another service's rules (and without import cycles). Inside a
transaction the lookups run on the transaction's connection (one per thread).
"""

from __future__ import annotations

from chalicelib import errors
from chalicelib.db import Row
from chalicelib.db import projects as db_projects
from chalicelib.db import sequences as db_sequences


def get_project(pid: str) -> Row:
    """The project (archived ones too), or 404."""
    row = db_projects.get_project(pid)
    if row is None:
        raise errors.NotFoundError(f"Project {pid} not found")
    return row


def get_sequence_row(pid: str, sequence: int) -> Row:
    """The stored sequence of an existing project, or 404 naming what is missing."""
    get_project(pid)
    row = db_sequences.get_sequence(pid, sequence)
    if row is None:
        raise errors.NotFoundError(f"Sequence {sequence} not found in project {pid}")
    return row
