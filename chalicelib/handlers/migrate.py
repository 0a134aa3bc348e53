"""The ``migrate`` Lambda: applies pending database migrations in AWS.

Invoked once after each deployment (``infra/README.md``); ``make run`` and
``make test`` call the same ``db.migrate.migrate``. It is the one function that
connects as the owner (the master secret, to the writer); it then creates or
updates the other functions' login role, a member of the DML-only ``dougal_app``,
from their secret (``DOUGAL_APP_DATABASE_SECRET_ID``).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

bp = Blueprint(__name__)


@bp.lambda_function(name="migrate")
def migrate_database(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib import db
    from chalicelib.db.migrate import migrate
    from chalicelib.observability import logger
    from chalicelib.services import roles

    with db.translated():
        applied = migrate(db.connection())
    logger().info("migrations applied", extra={"applied": applied})
    login_role = roles.ensure_application_login()
    return {"applied": applied, "login_role": login_role}
