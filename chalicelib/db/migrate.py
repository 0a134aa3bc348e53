"""Apply ``db/migrations/NNNN_description.sql`` in order, once each.

Each migration runs in its own transaction and is recorded in
``schema_migration``. An advisory lock keeps two runners (two ``make run``, or
the migrate Lambda invoked twice) from applying the same file concurrently.
Migrations are never edited after they land: add a new file instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.db import Connection
from chalicelib.db.queries import queries

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")
_LOCK_KEY = 0x646F7567  # "doug"
Q = queries("migrate")


def available() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        match = _FILE.match(path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path))
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError("two migrations share a version number")
    return found


def migrate(conn: Connection) -> list[str]:
    """Apply every pending migration; return the names applied."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute(Q.lock, {"key": _LOCK_KEY})
        conn.execute(Q.create_journal)
        done = {row["version"] for row in conn.execute(Q.applied_versions)}
        for version, name, path in available():
            if version in done:
                continue
            conn.execute(path.read_text(encoding="utf-8"))
            conn.execute(Q.record, {"version": version, "name": name})
            applied.append(f"{version:04d}_{name}")
    return applied
