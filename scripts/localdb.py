"""The private PostgreSQL 15 + PostGIS cluster under ``.local/`` used by ``make run`` and ``make test``.

It listens on 127.0.0.1 only (``DOUGAL_PG_PORT``, default 54320) and keeps its
password in ``.local/pg/password`` (mode 0600). ``initdb`` refuses to run as
root, so when we are root the cluster belongs to the ``postgres`` user and its
commands run through ``runuser``. A cluster left running by a killed session is
reused; one left with a stale pid file after a power cut is simply started:
PostgreSQL recovers from its write-ahead log.

Usage: ``python -m scripts.localdb start|stop|status|url``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("DOUGAL_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class Cluster:
    base: Path
    port: int

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.base / "password"

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str = "dougal") -> str:
        return f"postgresql://postgres:{self.password()}@127.0.0.1:{self.port}/{database}"


def default_cluster() -> Cluster:
    local = Path(os.environ.get("DOUGAL_LOCAL_DIR", ROOT / ".local"))
    return Cluster(base=local / "pg", port=int(os.environ.get("DOUGAL_PG_PORT", "54320")))


def _as_owner(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _run(args: list[str], check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_as_owner(args), check=check, text=True, capture_output=quiet, stdin=subprocess.DEVNULL)


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def init(cluster: Cluster) -> None:
    """Create the cluster once: password, initdb, loopback-only configuration."""
    if (cluster.data / "PG_VERSION").exists():
        return
    if not (PG_BIN / "initdb").exists():
        sys.exit(f"PostgreSQL 15 is not installed ({PG_BIN}); run `make setup` first.")
    cluster.base.mkdir(parents=True, exist_ok=True)
    os.chmod(cluster.base, 0o700)
    _chown(cluster.base)
    if not cluster.password_file.exists():
        cluster.password_file.write_text(secrets.token_urlsafe(24) + "\n")
    os.chmod(cluster.password_file, 0o600)
    _chown(cluster.password_file)
    pwfile = cluster.base / "pwfile.tmp"
    pwfile.write_text(cluster.password() + "\n")
    _chown(pwfile)
    try:
        result = _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(cluster.data),
                "-U",
                "postgres",
                "--pwfile",
                str(pwfile),
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=False,
            quiet=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"initdb failed for {cluster.data} (the postgres user must be able to reach it):\n{result.stderr}"
            )
    finally:
        pwfile.unlink(missing_ok=True)
    with (cluster.data / "postgresql.conf").open("a") as conf:
        conf.write(
            "\n# Dougal local cluster\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "fsync = on\n"
            "max_connections = 200\n"
            "shared_buffers = 256MB\n"
            "work_mem = 32MB\n"
            "maintenance_work_mem = 256MB\n"
            "max_wal_size = 2GB\n"
        )


def _process_alive(pid: int) -> bool:
    """True for a live process; a zombie (killed, not yet reaped) is dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def is_running(cluster: Cluster) -> bool:
    """Is the cluster's postmaster alive? A stale pid file (power cut, kill -9) is removed."""
    pid_file = cluster.data / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    if _process_alive(pid):
        return True
    pid_file.unlink(missing_ok=True)
    return False


def start(cluster: Cluster) -> bool:
    """Start the cluster if needed; True when this call started it."""
    init(cluster)
    if is_running(cluster):
        return False
    result = _run(
        [
            str(PG_BIN / "pg_ctl"),
            "start",
            "-D",
            str(cluster.data),
            "-l",
            str(cluster.log),
            "-o",
            f"-p {cluster.port}",
            "-w",
            "-t",
            "120",
        ],
        check=False,
        quiet=True,
    )
    if result.returncode != 0:
        tail = cluster.log.read_text(errors="replace")[-2000:] if cluster.log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start (port {cluster.port}):\n{result.stderr}\n{tail}")
    return True


def stop(cluster: Cluster) -> None:
    if is_running(cluster):
        _run([str(PG_BIN / "pg_ctl"), "stop", "-D", str(cluster.data), "-m", "fast", "-w"], check=False, quiet=True)


def ensure_database(cluster: Cluster, name: str, template: str | None = None, recreate: bool = False) -> str:
    """Create database ``name`` (with PostGIS) when missing; its URL."""
    import psycopg
    from psycopg import sql

    deadline = time.monotonic() + 30
    while True:
        try:
            admin = psycopg.connect(cluster.url("postgres"), autocommit=True)
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and recreate:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            if template:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
                )
            else:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return cluster.url(name)


def main(argv: list[str]) -> int:
    cluster = default_cluster()
    command = argv[0] if argv else "status"
    if command == "start":
        start(cluster)
        ensure_database(cluster, "dougal")
        print(f"PostgreSQL running on 127.0.0.1:{cluster.port}")
    elif command == "stop":
        stop(cluster)
    elif command == "status":
        print("running" if is_running(cluster) else "stopped")
    elif command == "url":
        print(cluster.url())
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
