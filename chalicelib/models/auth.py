"""Who is calling, and the login request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.models import Model

Role = Literal["guest", "user", "master", "vessel"]
# The ranked roles: each may do what the ones below it may.
ROLE_RANK: dict[str, int] = {"guest": 1, "user": 2, "master": 3}
# The vessel's sender: outside the ranking, it may only use the routes registered with ``vessel=True``
# (posting navigation headers), nothing else, not even a read.
VESSEL = "vessel"
ROLES: tuple[str, ...] = (*ROLE_RANK, VESSEL)


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


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a write, passed by the API layer (or a worker) to the service that records it.

    A person: the account's ``name`` and ``role``, the request's ``source`` address and its ``route``
    (``"PUT /project/{project}/configuration"``). A system function (an import, the QC worker, the
    command line): its name, no role, no source; ``route`` is the function.
    """

    name: str
    role: str | None = None
    source: str | None = None
    route: str | None = None

    @classmethod
    def system(cls, function: str) -> Actor:
        return cls(name=function, route=function)


class Session(Model):
    """``GET /session``: who the caller is, for a client to show only the controls its role may use
    (the server checks every request all the same)."""

    name: str
    role: Role
    projects: list[str] | None
    implicit: bool
