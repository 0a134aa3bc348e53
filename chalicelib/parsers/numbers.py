"""Plain decimal numbers read from arrays of ASCII bytes, many at once (the columnar readers).

A field of ``n`` records is given as a ``(width, n)`` array of bytes, column by column (every
reduction then runs along long contiguous rows). A number the readers take this way is written
plainly: blanks, an optional sign, digits with at most one decimal point, blanks. Anything else
(an exponent, ``nan``, an underscore, a blank inside) is flagged, for the caller to read that
record one at a time.

``decimals`` gives doubles: with at most ``MAX_DIGITS`` digits, the digits as an integer are
exact in a double and dividing by a power of ten (also exact) rounds correctly, so the value is
the same double as ``float()`` of the text. ``fixed_point`` gives the digits as an exact 64-bit
integer and the number of decimals, for values that need more digits than a double holds (times
in microseconds).
"""

from __future__ import annotations

from typing import Any

MAX_DIGITS = 15
"""Digits a double holds exactly, with room to spare."""
MAX_FIXED_DIGITS = 18
"""Digits an int64 holds."""


def decimals(columns: Any) -> tuple[Any, Any]:
    """The numbers of a (width, n) array of ASCII bytes, and which rows hold a plain decimal number."""
    at = _aligned_at(columns)
    if at is not None:
        return aligned(columns, at)
    return general(columns)


def _aligned_at(columns: Any) -> int | None:
    """The column of the decimal point when every row has one there (the width when no row has one);
    None when the points are not aligned."""
    width, n = columns.shape
    dot = columns == 46
    dots = dot.sum(axis=0)
    at = int(dot[:, 0].argmax()) if n and dots[0] == 1 else width
    if (at < width and dots.sum() == n and dot[at].all()) or (at == width and not dots.any()):
        return at
    return None


def _aligned_ok(columns: Any, at: int, max_digits: int) -> tuple[Any, Any]:
    """(which bytes are digits, which rows are plain numbers) for points aligned in column ``at``:
    blanks, an optional sign, digits; then only digits after the point."""
    digit = (columns >= 48) & (columns <= 57)
    space = columns == 32
    sign = (columns == 45) | (columns == 43)
    left_digit, left_space, left_sign = digit[:at], space[:at], sign[:at]
    ok = (left_digit | left_space | left_sign).all(axis=0) & digit[at + 1 :].all(axis=0)
    # Blanks lead, a sign only right after them, digits to the point: no blank after anything else.
    ok &= ~(~left_space[:-1] & (left_space[1:] | left_sign[1:])).any(axis=0)
    digits = digit.sum(axis=0)
    ok &= (digits >= 1) & (digits <= max_digits)
    return digit, ok


def aligned(columns: Any, at: int) -> tuple[Any, Any]:
    """Numbers whose decimal point is in column ``at`` on every row (``width``: none has one), as a
    fixed-format writer aligns them."""
    import numpy as np

    width = columns.shape[0]
    digit, ok = _aligned_ok(columns, at, MAX_DIGITS)
    # Each column's weight: ten to the number of digit columns to its right (the point is none).
    places = np.array([width - 1 - j - (j < at < width) for j in range(width)], dtype=np.float64)
    weights = np.where(np.arange(width) == at, 0.0, 10.0**places)
    mantissa = weights @ np.where(digit, columns - 48, 0).astype(np.float64)
    values = mantissa / 10.0 ** max(width - 1 - at, 0)
    return np.where((columns == 45).any(axis=0), -values, values), ok


def fixed_point(columns: Any, max_digits: int = MAX_FIXED_DIGITS) -> tuple[Any, Any, Any]:
    """Numbers in any plain layout as (signed int64 of their digits, number of decimals, ok)."""
    import numpy as np

    width, n = columns.shape
    at = _aligned_at(columns)
    if at is not None:
        digit, ok = _aligned_ok(columns, at, max_digits)
        places = np.array([width - 1 - j - (j < at < width) for j in range(width)])
        weights = np.where(np.arange(width) == at, 0, 10 ** np.minimum(places, MAX_FIXED_DIGITS))
        magnitude = (np.where(digit, columns - 48, 0).astype(np.int64) * weights[:, None]).sum(axis=0)
        negative = (columns == 45).any(axis=0)
        return np.where(negative, -magnitude, magnitude), np.full(n, max(width - 1 - at, 0)), ok
    magnitude, places, negative, ok = _plain(columns, max_digits)
    return np.where(negative, -magnitude, magnitude), places, ok


def general(columns: Any) -> tuple[Any, Any]:
    """Numbers in any layout: blanks, an optional sign, digits with at most one decimal point, blanks."""
    import numpy as np

    magnitude, places, negative, ok = _plain(columns, MAX_DIGITS)
    powers = 10.0 ** np.arange(columns.shape[0] + 1)
    values = magnitude.astype(np.float64) / powers[places]
    return np.where(negative, -values, values), ok


def _plain(columns: Any, max_digits: int) -> tuple[Any, Any, Any, Any]:
    """(digits as an int64, decimals, minus sign, ok) of each row's plain number."""
    import numpy as np

    width, n = columns.shape
    rows = np.arange(n)
    digit = (columns >= 48) & (columns <= 57)
    dot = columns == 46
    body = columns != 32
    count = body.sum(axis=0)
    first = body.argmax(axis=0)
    last = width - 1 - body[::-1].argmax(axis=0)
    lead = columns[first, rows]
    signed = (lead == 45) | (lead == 43)
    other = body & ~digit & ~dot
    other[first, rows] &= ~signed
    digits = digit.sum(axis=0)
    ok = (count > 0) & (last - first + 1 == count) & ~other.any(axis=0)
    ok &= (dot.sum(axis=0) <= 1) & (digits >= 1) & (digits <= max_digits)
    right = np.cumsum(digit[::-1], axis=0)[::-1] - digit  # digits below (to the right of) each column
    powers = 10 ** np.minimum(np.arange(width + 1, dtype=np.int64), MAX_FIXED_DIGITS)
    magnitude = np.where(digit, (columns.astype(np.int64) - 48) * powers[np.minimum(right, width)], 0).sum(axis=0)
    places = np.where(dot.any(axis=0), right[dot.argmax(axis=0), rows], 0)
    return magnitude, places, lead == 45, ok
