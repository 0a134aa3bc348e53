"""ParseError is what a user reads when an upload is rejected."""

from __future__ import annotations

import pickle

from chalicelib.parsers import ParseError


def test_parse_error_names_the_line() -> None:
    error = ParseError(42, "bad hemisphere 'X' in latitude")
    assert str(error) == "line 42: bad hemisphere 'X' in latitude"
    assert (error.lineno, error.reason) == (42, "bad hemisphere 'X' in latitude")


def test_parse_error_about_the_whole_file_has_no_line() -> None:
    assert str(ParseError(None, "empty file")) == "empty file"


def test_parse_error_survives_pickling() -> None:
    # Errors cross process boundaries (multiprocessing, worker pools) by pickling.
    error = pickle.loads(pickle.dumps(ParseError(7, "record too short")))  # noqa: S301 - our own bytes
    assert (error.lineno, error.reason, str(error)) == (7, "record too short", "line 7: record too short")
