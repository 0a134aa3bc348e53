"""The private PostgreSQL 15 + PostGIS cluster used by ``make run``, ``make test`` and ``make bench``.

It listens on 127.0.0.1 only (``DOUGAL_PG_PORT``, default 54320); its password
is kept in ``.local/pg/password`` (mode 0600).

Where its files live. ``initdb`` refuses to run as root, so as root the cluster
belongs to the ``postgres`` user, and ``postgres`` must own the whole path to
its files: a checkout in root's home or in a ``mktemp -d`` folder (both 0700)
cannot hold them, and we never change the permissions of folders above a
checkout. So as root the cluster lives in ``/var/lib/dougal/<hash of the
.local path>/`` (``DOUGAL_CLUSTERS_DIR``), owned by ``postgres``, mode 0700,
and ``.local/pg/cluster`` is a symlink to it. ``.local/`` stays the one place
to delete to start over: a cluster folder whose ``.local/`` marker (or
password) is gone is stale, and the next start stops it if it still runs,
removes it and makes a fresh one; ``make clean-data`` does both at once. As any
other user the cluster is simply ``.local/pg/data``. A cluster made by an
earlier version in ``.local/pg/data`` keeps being used where it is.

After a crash. A postmaster that is still alive is reused. When it is dead,
its backends may not have noticed yet (a backend busy with a query only sees
the death when the query ends) and PostgreSQL refuses to start while they are
attached to the old shared memory. So a start first waits for them (bounded,
``DOUGAL_PG_ORPHAN_WAIT``, 3 s), then sends the survivors SIGQUIT (what a
postmaster itself sends for an immediate shutdown) and waits up to 2 s more
for them to go (5 s in all), removes the dead
postmaster's pid file and its shared memory segment when no process is attached
to it, and starts: PostgreSQL replays its write-ahead log. A data folder that a
live postmaster or any of its processes still uses is never removed.

Usage: ``python -m scripts.localdb start|stop|status|url|where``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("DOUGAL_PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER = "postgres"  # the cluster's owner when we run as root


def clusters_dir() -> Path:
    return Path(os.environ.get("DOUGAL_CLUSTERS_DIR", "/var/lib/dougal"))


#: After a crash, how long old backends get to finish on their own, then how long they get after SIGQUIT:
#: 5 s in all. A backend finishing a short query exits within the first; one still busy after it is in a
#: long query whose client is gone anyway, and SIGQUIT (what the postmaster sends for an immediate
#: shutdown) ends it within milliseconds. Nothing committed is lost: PostgreSQL replays its log on start.
ORPHAN_WAIT_SECONDS = 3.0
QUIT_WAIT_SECONDS = 2.0


def orphan_wait_seconds() -> float:
    return float(os.environ.get("DOUGAL_PG_ORPHAN_WAIT", str(ORPHAN_WAIT_SECONDS)))


@dataclass(frozen=True)
class Cluster:
    """``base`` is ``.local/pg`` (password, marker, lock); ``home`` holds ``data/`` and the server log."""

    base: Path
    port: int
    home: Path

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.base / "password"

    @property
    def marker(self) -> Path:
        """The symlink in ``.local/pg`` to a cluster kept outside the checkout."""
        return self.base / "cluster"

    @property
    def outside(self) -> bool:
        return self.home != self.base

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str = "dougal") -> str:
        return f"postgresql://postgres:{self.password()}@127.0.0.1:{self.port}/{database}"


def cluster_for(local_dir: Path, port: int) -> Cluster:
    """The cluster of a ``.local`` folder: where its files live depends on who we are (see the module doc)."""
    base = Path(os.path.abspath(local_dir)) / "pg"
    if os.geteuid() != 0 or (base / "data" / "PG_VERSION").exists():
        return Cluster(base=base, port=port, home=base)
    digest = hashlib.sha256(str(base.resolve()).encode()).hexdigest()[:12]
    return Cluster(base=base, port=port, home=clusters_dir() / digest)


def default_cluster() -> Cluster:
    local = Path(os.environ.get("DOUGAL_LOCAL_DIR", ROOT / ".local"))
    return cluster_for(local, int(os.environ.get("DOUGAL_PG_PORT", "54320")))


# --- processes ----------------------------------------------------------------------------------------------------


def _as_owner(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", OWNER, "--", *args]
    return args


def _run(cluster: Cluster, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    # The working directory is the cluster's own: the owner may not be able to enter ours, and PostgreSQL's
    # programs go back to their starting directory.
    return subprocess.run(
        _as_owner(args), check=check, text=True, capture_output=True, stdin=subprocess.DEVNULL, cwd=cluster.home
    )


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, OWNER, OWNER)


def _process_alive(pid: int) -> bool:
    """True for a live process; a zombie (killed, not yet reaped) is dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _cwd(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None


def _is_postgres(pid: int) -> bool:
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return False
    return argv0.startswith("postgres") or Path(argv0.split(" ", 1)[0]).name == "postgres"


def server_processes(data: Path) -> list[int]:
    """Live PostgreSQL processes working in ``data``: every server process of a cluster runs in its data folder."""
    target = os.path.realpath(data)
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if _cwd(pid) == target and _is_postgres(pid) and _process_alive(pid):
            found.append(pid)
    return sorted(found)


def _pid_file_lines(cluster: Cluster) -> list[str]:
    try:
        return (cluster.data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return []


def live_postmaster(cluster: Cluster) -> int | None:
    """The pid of the postmaster running on this data folder, if any (a pid reused by another program is not)."""
    lines = _pid_file_lines(cluster)
    try:
        pid = int(lines[0])
    except (ValueError, IndexError):
        return None
    if not _process_alive(pid):
        return None
    cwd = _cwd(pid)
    if cwd is not None and cwd != os.path.realpath(cluster.data):
        return None
    return pid


def is_running(cluster: Cluster) -> bool:
    return live_postmaster(cluster) is not None


@contextlib.contextmanager
def _locked(cluster: Cluster) -> Iterator[None]:
    """One start, stop or removal at a time per checkout (``make run`` and ``make test`` may start together)."""
    cluster.base.mkdir(parents=True, exist_ok=True)
    with (cluster.base / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- creating, starting, stopping ---------------------------------------------------------------------------------


def _marker_valid(cluster: Cluster) -> bool:
    if not cluster.outside:
        return True
    return (
        cluster.marker.is_symlink()
        and os.readlink(cluster.marker) == str(cluster.home)
        and cluster.password_file.exists()
        and (cluster.data / "PG_VERSION").exists()
    )


def _prepare_clusters_dir() -> None:
    top = clusters_dir()
    if not top.exists():
        top.mkdir(parents=True, mode=0o700)
        _chown(top)
    reachable = subprocess.run(_as_owner(["test", "-w", str(top), "-a", "-x", str(top)]), check=False, cwd="/")
    if reachable.returncode != 0:
        raise RuntimeError(f"{top} must be writable by the {OWNER} user (or set DOUGAL_CLUSTERS_DIR)")


def init(cluster: Cluster) -> None:
    """Create the cluster once: password, initdb, loopback-only configuration. Called with the lock held."""
    if _marker_valid(cluster) and (cluster.data / "PG_VERSION").exists():
        return
    if not (PG_BIN / "initdb").exists():
        sys.exit(f"PostgreSQL 15 is not installed ({PG_BIN}); run `make setup` first.")
    cluster.base.mkdir(parents=True, exist_ok=True)
    os.chmod(cluster.base, 0o700)
    if cluster.outside:
        cluster.marker.unlink(missing_ok=True)
        if cluster.home.exists():  # its .local/ was deleted: start over
            _discard(cluster)
        _prepare_clusters_dir()
        cluster.home.mkdir(mode=0o700)
        _chown(cluster.home)
        (cluster.home / "checkout").write_text(f"{cluster.base.parent}\n")  # for whoever lists /var/lib/dougal
        _chown(cluster.home / "checkout")
    else:
        _chown(cluster.base)
    if not cluster.password_file.exists():
        cluster.password_file.write_text(secrets.token_urlsafe(24) + "\n")
    os.chmod(cluster.password_file, 0o600)
    pwfile = cluster.home / "pwfile.tmp"
    pwfile.write_text(cluster.password() + "\n")
    os.chmod(pwfile, 0o600)
    _chown(pwfile)
    try:
        result = _run(
            cluster,
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
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed for {cluster.data}:\n{result.stderr}")
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
    if cluster.outside:
        cluster.marker.symlink_to(cluster.home)  # last: a start interrupted before this begins again


def _wait_until_gone(data: Path, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    left = server_processes(data)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = server_processes(data)
    return left


def _clear_leftovers(cluster: Cluster) -> None:
    """After a crash: let the dead postmaster's processes go, then clear its pid file and its shared memory."""
    if live_postmaster(cluster) is not None:
        raise RuntimeError(f"PostgreSQL still runs on {cluster.data}")
    left = server_processes(cluster.data)
    if left:
        print(f"[dougal] waiting for old PostgreSQL processes {left} to exit", file=sys.stderr, flush=True)
        left = _wait_until_gone(cluster.data, orphan_wait_seconds())
    if left:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGQUIT)
        left = _wait_until_gone(cluster.data, QUIT_WAIT_SECONDS)
    if left:
        raise RuntimeError(f"old PostgreSQL processes {left} still run in {cluster.data}; stop them and retry")
    lines = _pid_file_lines(cluster)
    if not lines:
        return
    (cluster.data / "postmaster.pid").unlink(missing_ok=True)
    if len(lines) > 6 and len(lines[6].split()) == 2:
        key, shmid = (int(x) for x in lines[6].split())
        _remove_unattached_segment(key, shmid)


def _remove_unattached_segment(key: int, shmid: int) -> None:
    """Remove the dead postmaster's System V segment, only when it is the one named and no process is attached."""
    try:
        rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return
    for row in rows:
        fields = row.split()
        if int(fields[0]) == key and int(fields[1]) == shmid and int(fields[6]) == 0:
            subprocess.run(["ipcrm", "-m", str(shmid)], check=False, capture_output=True)


def _wait_ready(cluster: Cluster, seconds: float = 120) -> bool:
    """Wait for a live postmaster to accept connections; False when it went away meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if live_postmaster(cluster) is None:
            return False
        lines = _pid_file_lines(cluster)
        if len(lines) > 7 and lines[7].strip() == "ready":
            return True
        time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL on {cluster.data} did not become ready")


def start(cluster: Cluster) -> bool:
    """Start the cluster if needed; True when this call started it."""
    with _locked(cluster):
        init(cluster)
        if live_postmaster(cluster) is not None and _wait_ready(cluster):
            return False
        _clear_leftovers(cluster)
        result = _run(
            cluster,
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
        )
        if result.returncode != 0:
            tail = cluster.log.read_text(errors="replace")[-2000:] if cluster.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start (port {cluster.port}):\n{result.stderr}\n{tail}")
        return True


def _stop(cluster: Cluster) -> None:
    if live_postmaster(cluster) is not None:
        _run(cluster, [str(PG_BIN / "pg_ctl"), "stop", "-D", str(cluster.data), "-m", "fast", "-w"], check=False)


def stop(cluster: Cluster) -> None:
    with _locked(cluster):
        _stop(cluster)


def _discard(cluster: Cluster) -> None:
    """Stop the cluster and remove its files; refuses while any of its processes still runs."""
    if not cluster.home.exists():
        return
    _stop(cluster)
    _clear_leftovers(cluster)
    remove_cluster_files(cluster)


def remove_cluster_files(cluster: Cluster) -> None:
    """Delete ``cluster.home``: never while a postmaster or any server process uses its data folder."""
    if live_postmaster(cluster) is not None or server_processes(cluster.data):
        raise RuntimeError(f"{cluster.data} is in use by a running PostgreSQL; not removed")
    if cluster.outside and cluster.home.parent != clusters_dir():
        raise RuntimeError(f"{cluster.home} is not a Dougal cluster folder; not removed")
    shutil.rmtree(cluster.home)


def destroy(cluster: Cluster) -> None:
    """Stop the cluster and delete its files and ``.local/pg`` (``make clean-data``)."""
    if not cluster.base.exists() and not cluster.home.exists():
        return
    # Without .local/pg (deleted by hand) there is nobody to take turns with, and no folder to recreate for a lock.
    with _locked(cluster) if cluster.base.exists() else contextlib.nullcontext():
        _discard(cluster)
        if cluster.base.exists():
            shutil.rmtree(cluster.base)


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
    elif command == "where":
        print(cluster.home)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
