"""``make run``: the whole of Dougal on this machine, in the foreground.

Starts (or reuses) the private PostGIS cluster and applies the migrations; runs
a local AWS endpoint (moto) with the upload bucket, the queues and their DLQs,
the S3 → ingest-queue notification and the token signing secret; makes the
local accounts; loads the demo survey; serves the API; and runs the dispatcher
that feeds the queues and schedules to the same handlers the Lambdas run.
Ctrl-C or SIGTERM stops everything it started.

Environment: DOUGAL_PORT (8000), DOUGAL_AWS_PORT (4566), DOUGAL_UPLOAD_BUCKET
(dougal-uploads), DOUGAL_LOCAL_PASSWORD (generated and printed when unset),
DOUGAL_DEMO (1), DATABASE_URL (the private cluster when unset), DOUGAL_PG_PORT
(54320), DOUGAL_LOCAL_DIR (.local).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from scripts import localdb

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ACCOUNTS = ("master", "user", "guest")
JWT_SECRET_ID = "dougal/local/jwt"  # noqa: S105 - the name of the secret, not its value


def say(text: str) -> None:
    print(f"[dougal] {text}", flush=True)


def local_signing_key(local_dir: Path) -> str:
    """A signing key kept in .local/ so that logins survive a restart."""
    path = local_dir / "jwt-secret"
    if not path.exists():
        local_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def main() -> int:
    port = int(os.environ.get("DOUGAL_PORT", "8000"))
    aws_port = int(os.environ.get("DOUGAL_AWS_PORT", "4566"))
    local_dir = Path(os.environ.get("DOUGAL_LOCAL_DIR", ROOT / ".local"))
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    cluster = localdb.default_cluster()
    started_pg = False
    external_db = os.environ.get("DATABASE_URL")
    if external_db:
        database_url = external_db
    else:
        started_pg = localdb.start(cluster)
        database_url = localdb.ensure_database(cluster, os.environ.get("DOUGAL_DB_NAME", "dougal"))
        say(f"PostgreSQL {'started' if started_pg else 'already running'} on 127.0.0.1:{cluster.port}")

    os.environ.update(
        {
            "DOUGAL_DATABASE_URL": database_url,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "DOUGAL_JWT_SECRET_ID": JWT_SECRET_ID,
            "DOUGAL_COOKIE_SECURE": os.environ.get("DOUGAL_COOKIE_SECURE", "false"),
            "DOUGAL_STAGE": "dev",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("DOUGAL_JWT_SECRET", None)

    moto = server = dispatcher = None
    try:
        from chalicelib import db
        from chalicelib.db.migrate import migrate
        from chalicelib.settings import get_settings

        with db.translated():
            applied = migrate(db.connection())
        say("migrations: " + (", ".join(applied) if applied else "up to date"))

        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call is noise here

        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=aws_port, verbose=False)
        moto.start()
        from chalicelib import aws
        from scripts.awsresources import provision

        settings = get_settings()
        provision(settings)
        aws.secrets().create_secret(Name=JWT_SECRET_ID, SecretString=local_signing_key(local_dir))
        say(f"local AWS endpoint on http://127.0.0.1:{aws_port} (bucket {settings.upload_bucket})")

        password = os.environ.get("DOUGAL_LOCAL_PASSWORD")
        generated = not password
        if not password:
            password = secrets.token_urlsafe(12)
        from chalicelib.services import accounts

        for role in LOCAL_ACCOUNTS:
            accounts.ensure_account(role, role, password)
        say("accounts master, user, guest; password " + (password if generated else "from DOUGAL_LOCAL_PASSWORD"))

        if os.environ.get("DOUGAL_DEMO", "1") != "0":
            from scripts.demo import load_demo

            say(load_demo(settings.upload_bucket))

        from chalice.config import Config
        from chalice.local import create_local_server

        import app as app_module

        config = Config.create(
            chalice_stage="dev",
            app_name="dougal",
            project_dir=str(ROOT),
            config_from_disk=json.loads((ROOT / ".chalice" / "config.json").read_text()),
        )
        from scripts.dispatcher import Dispatcher

        dispatcher = Dispatcher(app_module.app)
        dispatcher.start()
        server = create_local_server(app_module.app, config, "127.0.0.1", port)
        threading.Thread(target=server.server.serve_forever, daemon=True, name="api").start()
        say(f"API on http://127.0.0.1:{port} — Ctrl-C stops everything")
        stop.wait()
        say("stopping")
    finally:
        if server is not None:
            server.shutdown()
            server.server.server_close()
        if dispatcher is not None:
            dispatcher.stop()
        if moto is not None:
            moto.stop()
        try:
            from chalicelib import db

            db.close()
        except Exception:  # noqa: BLE001, S110 - closing on the way out
            pass
        if started_pg:
            localdb.stop(cluster)
            say("PostgreSQL stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
