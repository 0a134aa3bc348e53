"""``make run``: the whole of Dougal on this machine, in the foreground.

Starts (or reuses) the private PostGIS cluster and applies the migrations; runs
a local AWS endpoint (moto) with the upload bucket, the queues and their DLQs,
the S3 → ingest-queue notification and the token signing secret; makes the
local accounts; loads the demo survey; serves the API; and runs the dispatcher
that feeds the queues and schedules to the same handlers the Lambdas run.
Ctrl-C or SIGTERM stops everything it started. Its pid is kept in
``.local/run.pid`` while it runs, so that ``make clean-data``
(``python -m scripts.dev_stack clean-data``) can stop it before deleting the
data: the cluster's files (see ``scripts.localdb``) and ``.local/``.

The fake Vessel Track API (``scripts.fake_vessel_track``) runs on DOUGAL_VESSEL_TRACK_PORT
(8025): the ASAQC sender is pointed at it (settings) with its client secret in the local Secrets
Manager, so queued transfers arrive there.

Environment: DOUGAL_PORT (8000), DOUGAL_AWS_PORT (4566), DOUGAL_VESSEL_TRACK_PORT (8025), DOUGAL_UPLOAD_BUCKET
(dougal-uploads), DOUGAL_LOCAL_PASSWORD (generated and printed when unset),
DOUGAL_DEMO (1), DATABASE_URL (the private cluster when unset), DOUGAL_PG_PORT
(54320), DOUGAL_LOCAL_DIR (.local).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from scripts import localdb

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ACCOUNTS = ("master", "user", "guest")
JWT_SECRET_ID = "dougal/local/jwt"  # noqa: S105 - the name of the secret, not its value
ASAQC_SECRET_ID = "dougal/local/asaqc"  # noqa: S105 - the name of the secret, not its value


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


def local_dir() -> Path:
    return Path(os.environ.get("DOUGAL_LOCAL_DIR", ROOT / ".local"))


def running_stack(local: Path) -> int | None:
    """The pid of the ``make run`` that uses ``local``, if one runs."""
    try:
        pid = int((local / "run.pid").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"scripts.dev_stack" in cmdline else None


def clean_data() -> int:
    """``make clean-data``: stop this checkout's stack and cluster, delete the cluster's files and ``.local/``."""
    local = local_dir()
    pid = running_stack(local)
    if pid is not None:
        say(f"stopping make run (pid {pid})")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while running_stack(local) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if running_stack(local) is not None:
            say(f"make run (pid {pid}) did not stop; nothing removed")
            return 1
    cluster = localdb.default_cluster()
    localdb.destroy(cluster)
    if local.exists():
        shutil.rmtree(local)
    say(f"removed {local}" + (f" and {cluster.home}" if cluster.outside else ""))
    return 0


def main() -> int:
    port = int(os.environ.get("DOUGAL_PORT", "8000"))
    aws_port = int(os.environ.get("DOUGAL_AWS_PORT", "4566"))
    os.environ.setdefault("DOUGAL_VESSEL_TRACK_PORT", "8025")
    local = local_dir()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    local.mkdir(parents=True, exist_ok=True)
    other = running_stack(local)
    if other is not None and other != os.getpid():
        say(f"make run already runs for {local} (pid {other})")
        return 1
    pid_file = local / "run.pid"
    pid_file.write_text(f"{os.getpid()}\n")
    try:
        return serve(port, aws_port, local, stop)
    finally:
        if pid_file.exists() and pid_file.read_text().strip() == str(os.getpid()):
            pid_file.unlink()


def serve(port: int, aws_port: int, local: Path, stop: threading.Event) -> int:
    """Bring everything up, wait for ``stop``, take down what this run started."""
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
            # The ASAQC sender talks to the fake Vessel Track API started below.
            "DOUGAL_ASAQC_SECRET_ID": ASAQC_SECRET_ID,
            "DOUGAL_ASAQC_API_URL": f"http://127.0.0.1:{os.environ['DOUGAL_VESSEL_TRACK_PORT']}",
            "DOUGAL_ASAQC_TOKEN_URL": f"http://127.0.0.1:{os.environ['DOUGAL_VESSEL_TRACK_PORT']}/oauth2/token",
            "DOUGAL_ASAQC_RECEIPT_LOOKUP": "true",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("DOUGAL_JWT_SECRET", None)

    moto = server = dispatcher = vessel_track = None
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
        aws.secrets().create_secret(Name=JWT_SECRET_ID, SecretString=local_signing_key(local))
        say(f"local AWS endpoint on http://127.0.0.1:{aws_port} (bucket {settings.upload_bucket})")

        from scripts.fake_vessel_track import FakeServer, FakeVesselTrack

        fake = FakeVesselTrack(client_id="dougal-local")
        vessel_track = FakeServer(fake, port=int(os.environ["DOUGAL_VESSEL_TRACK_PORT"])).start()
        credentials = {"client_id": fake.client_id, "client_secret": fake.client_secret, "scope": "local"}
        aws.secrets().create_secret(Name=ASAQC_SECRET_ID, SecretString=json.dumps(credentials))
        say(f"fake Vessel Track API on {vessel_track.url} (received files: {vessel_track.url}/fake/receipts)")

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

        import app as app_module
        from scripts.dispatcher import Dispatcher
        from scripts.local_api import WEB_DIST, LocalAPI

        dispatcher = Dispatcher(app_module.app)
        dispatcher.start()
        static = WEB_DIST if (WEB_DIST / "index.html").is_file() else None
        server = LocalAPI(app_module.app, "127.0.0.1", port, static=static)
        server.start()
        say(f"API on http://127.0.0.1:{port} ({server.threads} threads) — Ctrl-C stops everything")
        if static is not None:
            say(f"the office page on http://127.0.0.1:{port}/")
        stop.wait()
        say("stopping")
    finally:
        if server is not None:
            server.stop()
        if dispatcher is not None:
            dispatcher.stop()
        if vessel_track is not None:
            vessel_track.stop()
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
    sys.exit(clean_data() if sys.argv[1:] == ["clean-data"] else main())
