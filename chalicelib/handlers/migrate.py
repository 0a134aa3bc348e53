"""The ``migrate`` Lambda: applies pending database migrations in AWS.

Invoked once after each deployment (``infra/README.md``); ``make run`` and
``make test`` call the same ``db.migrate.migrate``.
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

    with db.translated():
        applied = migrate(db.connection())
    logger().info("migrations applied", extra={"applied": applied})
    return {"applied": applied}
