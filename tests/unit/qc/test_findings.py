"""What makes an event a QC finding still open: the one reading the line log, Seis+JSON and the PDF share."""

from __future__ import annotations

import pytest

from chalicelib.models.qc import finding_of, is_open_finding


@pytest.mark.parametrize(
    ("meta", "part", "open_"),
    [
        (None, {}, False),
        ({}, {}, False),
        ({"qc": None}, {}, False),
        ({"other": 1}, {}, False),
        ({"qc": {"test": "speed"}}, {"test": "speed"}, True),
        ({"qc": {"test": "speed", "accepted": False}}, {"test": "speed", "accepted": False}, True),
        ({"qc": {"test": "speed", "accepted": True}}, {"test": "speed", "accepted": True}, False),
        ("not an object", {}, False),
    ],
)
def test_a_finding_is_open_until_accepted(meta, part, open_):
    assert finding_of(meta) == part
    assert is_open_finding(meta) is open_
