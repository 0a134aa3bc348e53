"""Sizes and ranges every input is held to, so that no request makes unbounded work or a database error.

Integers bound for the database columns they end in (``integer`` for sequences, lines and points,
``bigint`` for ids): a value outside is a 400 naming the field, never a ``DataError``. JSON values a
client stores (meta, info values, the configuration) are capped in bytes: a Lambda answer is at most
6 MB, and one event's meta is read with every list of events.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

MAX_META_BYTES = 65_536
MAX_INFO_BYTES = 262_144
MAX_CONFIGURATION_BYTES = 262_144
MAX_TEXT_CHARS = 10_000
MAX_LABELS = 50
MAX_LABEL_CHARS = 64
# Nesting of any JSON body: deeper is refused before it reaches the parser's recursion limit.
MAX_JSON_DEPTH = 32

Int32 = Annotated[StrictInt, Field(ge=INT32_MIN, le=INT32_MAX)]
Int64 = Annotated[StrictInt, Field(ge=INT64_MIN, le=INT64_MAX)]
Text = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]


def json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def at_most_bytes(limit: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if json_bytes(value) > limit:
            raise ValueError(f"at most {limit} bytes of JSON")
        return value

    return check


Meta = Annotated[dict[str, Any], AfterValidator(at_most_bytes(MAX_META_BYTES))]
