"""The functions' database login: a DML-only role, set up by the ``migrate`` function."""

from __future__ import annotations

import json

from chalicelib import aws, db
from chalicelib.db import roles as db_roles
from chalicelib.observability import logger
from chalicelib.settings import get_settings


def ensure_application_login() -> str | None:
    """Create or update the login role named in ``DOUGAL_APP_DATABASE_SECRET_ID``; its name, or None."""
    secret_id = get_settings().app_database_secret_id
    if not secret_id:
        return None
    info = json.loads(aws.secret_string(secret_id))
    role, password = str(info["username"]), str(info["password"])
    with db.translated():
        db_roles.ensure_login_role(db.connection(), role, password)
    logger().info("application login role ready", extra={"role": role})
    return role
