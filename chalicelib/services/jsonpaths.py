"""Paths into stored JSON (a configuration, an info value, an element's meta): ``a/b/0/c``.

Keys of objects and ASCII-digit indexes of arrays, the same rules for reading and for writing, so a value
written at a path is read back at that path.
"""

from __future__ import annotations

import copy
from typing import Any

from chalicelib import errors

MISSING: Any = object()
"""What ``walk`` returns for a path that does not exist (a ``null`` value is found, and is ``None``)."""


def _is_index(segment: str) -> bool:
    # ASCII digits only: str.isdigit() is also true of "²" and of Arabic-Indic digits, which are no index.
    return segment.isascii() and segment.isdigit()


def _index(segment: str, array: list[Any]) -> int | None:
    if not _is_index(segment) or len(segment) > 9 or int(segment) >= len(array):
        return None
    return int(segment)


def _not_an_index(segments: list[str], depth: int) -> errors.BadRequestError:
    return errors.BadRequestError(
        f"The path {'/'.join(segments)}: {segments[depth]!r} is not an index of the array at "
        f"{'/'.join(segments[:depth]) or 'the top'} (an index is ASCII digits)"
    )


def walk(value: Any, segments: list[str]) -> Any:
    """Follow ``segments`` into nested objects (keys) and arrays (indexes); ``MISSING`` when absent.

    A part that is not an index (ASCII digits) where the path meets an array is a 400 naming it; an index
    past the array's end is absent.
    """
    for depth, segment in enumerate(segments):
        if isinstance(value, dict):
            if segment not in value:
                return MISSING
            value = value[segment]
        elif isinstance(value, list):
            if not _is_index(segment):
                raise _not_an_index(segments, depth)
            index = _index(segment, value)
            if index is None:
                return MISSING
            value = value[index]
        else:
            return MISSING
    return value


def put(document: dict[str, Any], segments: list[str], value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``value`` at ``segments``; the rest is kept.

    Missing objects on the way are created; an array element must exist already; a path through a value
    that is neither an object nor an array is a 400 naming the part of the path where it stops.
    """
    if not segments:
        raise errors.BadRequestError("The path is empty")
    result = copy.deepcopy(document)
    node: Any = result
    for depth, segment in enumerate(segments):
        last = depth == len(segments) - 1
        if isinstance(node, dict):
            if last:
                node[segment] = value
            else:
                if segment not in node or node[segment] is None:
                    node[segment] = {}
                node = node[segment]
        elif isinstance(node, list):
            index = _index(segment, node)
            if index is None:
                if not _is_index(segment):
                    raise _not_an_index(segments, depth)
                raise errors.BadRequestError(
                    f"The path {'/'.join(segments)}: {segment!r} is not an index of the array at "
                    f"{'/'.join(segments[:depth]) or 'the top'}"
                )
            if last:
                node[index] = value
            else:
                node = node[index]
        else:
            raise errors.BadRequestError(
                f"The path {'/'.join(segments)} goes through {'/'.join(segments[:depth])}, which is not an object"
            )
    return result
