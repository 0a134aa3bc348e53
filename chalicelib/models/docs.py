"""``GET /docs``: the page, or one of Swagger UI's files beside it."""

from __future__ import annotations

from chalicelib.models import Model


class DocsQuery(Model):
    file: str | None = None
    """``swagger-ui.css`` or ``swagger-ui-bundle.js``: that file of Swagger UI instead of the page."""
