"""Upload through the local S3 → ingest queue → handler path, as the vessel's uploader does."""

from __future__ import annotations

import json
from typing import Any

from dougal_sim import simulator as sim
from scripts.demo import DEMO_CONFIGURATION

BUCKET = "dougal-uploads"
CONFIGURATION = {**DEMO_CONFIGURATION, "grid": {"epsg": 32631}}


def dispatcher() -> Any:
    import app
    from scripts.dispatcher import Dispatcher

    return Dispatcher(app.app, wait_seconds=0)


def deliver_all(d: Any | None = None, handler: str = "ingest_uploaded_files") -> int:
    """Hand every queued message to the handler, as the dispatcher (and Lambda) does."""
    d = d or dispatcher()
    source = next(s for s in d.sqs_sources if s.name == handler)
    total = 0
    while True:
        handled = d.deliver_once(source)
        if not handled:
            return total
        total += handled


def upload(aws: Any, key: str, body: str | bytes, deliver: bool = True) -> None:
    data = body.encode() if isinstance(body, str) else body
    aws.s3().put_object(Bucket=BUCKET, Key=key, Body=data)
    if deliver:
        deliver_all()


def survey(**kwargs: Any) -> sim.Survey:
    defaults = {"num_lines": 4, "points_per_line": 120, "first_point": 1000}
    defaults.update(kwargs)
    return sim.Survey(**defaults)


def files(pid: str = "alpha") -> list[dict[str, Any]]:
    from chalicelib import db

    return (
        db.connection()
        .execute(
            "SELECT key, status, message, records, sequence, format, sha256 FROM upload WHERE pid = %s ORDER BY id",
            (pid,),
        )
        .fetchall()
    )


def count(sql: str, *params: Any) -> int:
    from chalicelib import db

    row = db.connection().execute(sql, params).fetchone()
    return int(next(iter(row.values())))


def run_qc() -> int:
    """Deliver the QC queue's messages to the QC worker."""
    return deliver_all(handler="run_qc_jobs")


def api(client: Any, path: str, role: str = "guest", **headers: str) -> tuple[int, Any]:
    """GET ``path`` as ``role``: the status and the JSON body (None when empty)."""
    from tests.integration.factories import as_role

    response = client.get(path, headers={**as_role(role), **headers})
    return response.status_code, (json.loads(response.body) if response.body else None)
