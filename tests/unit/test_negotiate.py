"""``http.negotiate``: ``Accept`` ranges, their ``q`` values and specificity, against what a route offers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib import errors
from chalicelib.api import http

OFFERS = ("application/json", "application/vnd.seis+json", "application/pdf", "text/html")


def chosen(accept):
    return http.negotiate(SimpleNamespace(headers={"accept": accept} if accept is not None else {}), OFFERS)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/html", "text/html"),
        ("text/*", "text/html"),
        ("application/*", "application/json"),
        # A browser's header: the page.
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/json;q=0.5, text/html;q=0.9", "text/html"),
        ("text/html;q=0.2, application/pdf;q=0.3", "application/pdf"),
        ("text/html;q=0.5, */*;q=0.8", "application/json"),
        # Equal qualities: the client's order.
        ("application/vnd.seis+json, application/json", "application/vnd.seis+json"),
        ("text/html, application/json", "text/html"),
        # q=0 refuses a type even where a wildcard would take it; the most specific range decides.
        ("application/json;q=0, */*", "application/vnd.seis+json"),
        ("text/html;q=0, text/*;q=1, application/pdf;q=0.1", "application/pdf"),
        ("application/*;q=0.1, application/pdf", "application/pdf"),
        ("TEXT/HTML", "text/html"),
        ("text/html; q=not-a-number, application/json;q=0.1", "application/json"),
    ],
)
def test_accept_chooses(accept, expected):
    assert chosen(accept) == expected


@pytest.mark.parametrize("accept", ["text/csv", "image/*", "text/html;q=0, application/*;q=0", "*/*;q=0"])
def test_nothing_acceptable_is_406_listing_the_offers(accept):
    with pytest.raises(errors.NotAcceptableError) as caught:
        chosen(accept)
    assert caught.value.status == 406
    assert "available: application/json, application/vnd.seis+json, application/pdf, text/html" in caught.value.message
