"""``GET /health``: a cheap liveness answer for load balancers (not in the contract)."""

from __future__ import annotations

from typing import Literal

from chalicelib.models import Model


class FeedAge(Model):
    """The navigation feed's age: its newest header's time, seconds since, and whether that is stale."""

    newest: str | None
    age_seconds: float | None
    stale_seconds: float
    stale: bool


class Health(Model):
    """``ok`` when the database and every queue answer, else ``unavailable`` (a 503) with the problems in
    plain words; no queue or other resource is named. Absent fields are left out of the answer."""

    status: Literal["ok", "unavailable"]
    version: str
    api: str
    navdata: FeedAge | None = None
    problems: list[str] | None = None
    message: str | None = None

    def answer(self) -> dict[str, object]:
        """The answer's JSON: the optional fields left out when absent (the feed's own nulls kept)."""
        absent = {name for name in ("navdata", "problems", "message") if getattr(self, name) is None}
        return self.model_dump(mode="json", exclude=absent)
