"""PostgreSQL's binary COPY format, built from numpy columns: bulk loads without text formatting.

A row of fixed-width values (integers, doubles, times, constant texts, NULL) has the same size
every time, so a whole batch is one numpy structured array (field count, then each field's
length and big-endian value) turned into bytes at once: no per-row Python. A column that is
NULL on some rows only is written by the caller as groups of rows alike (see ``rows``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.db import Connection

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
TRAILER = b"\xff\xff"
_TYPES = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "timestamptz": ">i8"}
POSTGRES_EPOCH_US = 946_684_800_000_000
"""2000-01-01T00:00:00Z in microseconds from the Unix epoch: binary ``timestamptz`` counts from there."""


def rows(columns: list[tuple[str, Any]], count: int) -> bytes:
    """``count`` rows in binary COPY format (no signature or trailer). Each column is
    (type, numpy array or scalar): ``int2``, ``int4``, ``int8``, ``float8``, ``timestamptz``
    (microseconds from the Unix epoch), ``text`` or ``jsonb`` (a str, the same on every row), or
    ``null`` (no value). Integers must fit their type (the caller checks ranges)."""
    import numpy as np

    fields: list[tuple[str, str]] = [("count", ">i2")]
    values: dict[str, Any] = {"count": len(columns)}
    for i, (kind, value) in enumerate(columns):
        if kind == "null":
            fields.append((f"l{i}", ">i4"))
            values[f"l{i}"] = -1
        elif kind in ("text", "jsonb"):
            data = (b"\x01" if kind == "jsonb" else b"") + str(value).encode()
            fields += [(f"l{i}", ">i4"), (f"v{i}", f"S{len(data)}" if data else "V0")]
            values[f"l{i}"], values[f"v{i}"] = len(data), data
        else:
            fields += [(f"l{i}", ">i4"), (f"v{i}", _TYPES[kind])]
            if kind == "timestamptz":
                value = value - POSTGRES_EPOCH_US
            values[f"l{i}"], values[f"v{i}"] = np.dtype(_TYPES[kind]).itemsize, value
    out = np.empty(count, dtype=np.dtype(fields))
    for name, value in values.items():
        if not (isinstance(value, bytes) and not value):
            out[name] = value
    return out.tobytes()


def copy(conn: Connection, statement: str, chunks: Iterable[bytes]) -> None:
    """Run a ``COPY … FROM STDIN (FORMAT BINARY)`` with chunks of ``rows``: signature, rows, trailer."""
    with conn.cursor().copy(statement) as copying:
        copying.write(SIGNATURE)
        for chunk in chunks:
            copying.write(chunk)
        copying.write(TRAILER)
