"""Access to the hand-written fixture files, as the readers will see them."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_lines(name: str) -> list[str]:
    """The file's lines split on LF only, endings kept (CR, stray CRs and all), like a text stream."""
    text = fixture_bytes(name).decode("utf-8")
    lines = [line + "\n" for line in text.split("\n")]
    if lines[-1] == "\n":
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1]  # no final newline: keep the last line as written
    return lines
