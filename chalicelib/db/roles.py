"""The functions' login role: a member of ``dougal_app`` (data, never schema), made by ``migrate``.

``dougal_app`` (migration 0013) may read and write every table but owns none, so the
functions cannot create, alter or drop anything; migrations run as the owner, in the
``migrate`` function only.
"""

from __future__ import annotations

from psycopg import sql

from chalicelib.db import Connection
from chalicelib.db.queries import queries

Q = queries("roles")
APPLICATION_ROLE = "dougal_app"


class RoleError(Exception):
    """The login role cannot be the application's (it is the owner, or a superuser)."""


def ensure_login_role(conn: Connection, role: str, password: str) -> None:
    """Create (or update) ``role`` as a login member of ``dougal_app`` with ``password``; idempotent."""
    current = conn.execute(Q.current_role).fetchone()
    if current is not None and current["name"] == role:
        raise RoleError(f"the application's login role {role!r} is the migrations' owner; give it another name")
    found = conn.execute(Q.find_role, {"role": role}).fetchone()
    if found is not None and (found["rolsuper"] or role == APPLICATION_ROLE):
        raise RoleError(f"the role {role!r} cannot be the application's login role")
    template = Q.alter_login_role if found is not None else Q.create_login_role
    with conn.transaction():
        conn.execute(sql.SQL(template).format(role=sql.Identifier(role), password=sql.Literal(password)))
        conn.execute(sql.SQL(Q.grant_application_role).format(role=sql.Identifier(role)))
