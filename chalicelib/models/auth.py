"""Who is calling, and the login request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.models import Model

Role = Literal["guest", "user", "master"]
ROLE_RANK: dict[str, int] = {"guest": 1, "user": 2, "master": 3}


class LoginRequest(Model):
    model_config = ConfigDict(extra="ignore")

    user: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


@dataclass(frozen=True, slots=True)
class Identity:
    """The caller, as its token says.

    ``account_id`` is None for implicit (network) guests. ``projects`` is None
    when the account may see every project, else the list it is limited to.
    ``token_version`` is the account's version when the token was issued: a
    token whose version is no longer the account's is revoked.
    """

    name: str
    role: str
    account_id: int | None = None
    projects: tuple[str, ...] | None = None
    implicit: bool = False
    token_version: int | None = None

    def has_role(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    def may_see(self, pid: str) -> bool:
        return self.projects is None or pid in self.projects


class Session(Model):
    """``GET /session``: who the caller is, for a client to show only the controls its role may use
    (the server checks every request all the same)."""

    name: str
    role: Role
    projects: list[str] | None
    implicit: bool
