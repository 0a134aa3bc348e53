"""Named queries, loaded once from ``db/sql/*.sql``.

A file holds blocks introduced by ``-- name: <query_name>``; the module
``db/<tag>.py`` uses ``queries("<tag>").<query_name>``. Values are always bound
parameters (``%(name)s``); no SQL text is ever built from request data.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from types import SimpleNamespace

SQL_DIR = Path(__file__).with_name("sql")
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def parse(text: str) -> dict[str, str]:
    parts = _NAME.split(text)
    found: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        sql = body.strip()
        if not sql:
            raise ValueError(f"query {name} is empty")
        if name in found:
            raise ValueError(f"query {name} defined twice")
        found[name] = sql
    return found


@functools.cache
def queries(module: str) -> SimpleNamespace:
    return SimpleNamespace(**parse((SQL_DIR / f"{module}.sql").read_text(encoding="utf-8")))
