"""The private cluster of ``make run`` and ``make test``: where its files live, and starting after a crash.

Each test makes its own cluster for a ``.local`` inside a fresh ``mkdtemp``
folder (mode 0700, which the ``postgres`` user cannot enter: what a checkout in
root's home looks like), on a free port, and removes it afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import localdb

ROOT = Path(__file__).resolve().parents[2]
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the cluster belongs to postgres only when we are root")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pg() -> Iterator[localdb.Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="dougal-localdb-"))
    made = localdb.cluster_for(folder / ".local", free_port())
    yield made
    localdb.destroy(made)
    shutil.rmtree(folder, ignore_errors=True)


def connect(cluster: localdb.Cluster):
    import psycopg

    return psycopg.connect(cluster.url("postgres"), autocommit=True, connect_timeout=10)


def alive(pid: int) -> bool:
    return localdb._process_alive(pid)


class BusyBackend:
    """A backend in a query that keeps the CPU busy for ``seconds``: it notices its postmaster's death only after."""

    def __init__(self, cluster: localdb.Cluster, seconds: float) -> None:
        self.conn = connect(cluster)
        self.pid = self.conn.info.backend_pid
        self.thread = threading.Thread(target=self._run, args=(seconds,), daemon=True)
        self.thread.start()
        time.sleep(0.3)  # the query is running

    def _run(self, seconds: float) -> None:
        import psycopg

        try:
            self.conn.execute(
                "CREATE OR REPLACE FUNCTION pg_temp.busy(seconds float8) RETURNS void LANGUAGE plpgsql AS "
                "$$ BEGIN WHILE clock_timestamp() < now() + make_interval(secs => seconds) LOOP END LOOP; END $$"
            )
            self.conn.execute("SELECT pg_temp.busy(%s)", (seconds,))
        except psycopg.Error:
            pass  # the server went away under it
        finally:
            self.conn.close()


def kill_postmaster(cluster: localdb.Cluster) -> int:
    pid = localdb.live_postmaster(cluster)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:  # SIGKILL is not instantaneous
        time.sleep(0.005)
    return pid


def write_row(cluster: localdb.Cluster, value: int) -> None:
    with connect(cluster) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (value int)")
        conn.execute("INSERT INTO kept VALUES (%s)", (value,))


def rows(cluster: localdb.Cluster) -> list[int]:
    with connect(cluster) as conn:
        return [r[0] for r in conn.execute("SELECT value FROM kept ORDER BY value")]


@as_root
def test_a_checkout_postgres_cannot_enter_keeps_its_cluster_where_postgres_owns_the_path(pg):
    folder = pg.base.parent.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    cannot_enter = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(folder)], cwd="/")
    assert cannot_enter.returncode != 0  # the trap is real

    assert localdb.start(pg) is True
    write_row(pg, 1)
    assert rows(pg) == [1]

    assert pg.home.parent == localdb.clusters_dir()
    for path in (localdb.clusters_dir(), pg.home, pg.data):
        info = path.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (pwd.getpwnam("postgres").pw_uid, 0o700), path
    assert os.readlink(pg.marker) == str(pg.home)
    assert stat.S_IMODE(pg.password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # permissions above the checkout untouched


def test_a_start_right_after_the_postmaster_is_killed_waits_for_its_busy_backend(pg):
    localdb.start(pg)
    write_row(pg, 42)
    busy = BusyBackend(pg, seconds=2.5)
    old_segment = (pg.data / "postmaster.pid").read_text().splitlines()[6].split()[1]
    kill_postmaster(pg)
    assert alive(busy.pid)

    assert localdb.start(pg) is True  # PostgreSQL alone refuses: its shared memory is still in use
    assert not alive(busy.pid)
    assert rows(pg) == [42]
    segments = [row.split()[1] for row in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
    assert old_segment not in segments  # the dead postmaster's shared memory did not leak
    busy.thread.join(timeout=10)


def test_old_backends_that_outlive_the_wait_are_quit(pg, monkeypatch):
    monkeypatch.setenv("DOUGAL_PG_ORPHAN_WAIT", "0.5")
    localdb.start(pg)
    write_row(pg, 7)
    busy = BusyBackend(pg, seconds=120)
    kill_postmaster(pg)

    started = time.monotonic()
    assert localdb.start(pg) is True
    assert time.monotonic() - started < 10
    assert not alive(busy.pid)
    assert rows(pg) == [7]
    busy.thread.join(timeout=10)


def test_by_default_old_backends_are_waited_for_five_seconds_at_most(pg, monkeypatch):
    monkeypatch.delenv("DOUGAL_PG_ORPHAN_WAIT", raising=False)
    localdb.start(pg)
    write_row(pg, 5)
    busy = BusyBackend(pg, seconds=120)
    kill_postmaster(pg)
    spent: list[float] = []
    clear = localdb._clear_leftovers

    def timed(cluster: localdb.Cluster) -> None:
        started = time.monotonic()
        clear(cluster)
        spent.append(time.monotonic() - started)

    monkeypatch.setattr(localdb, "_clear_leftovers", timed)
    assert localdb.start(pg) is True
    assert not alive(busy.pid)
    assert rows(pg) == [5]
    [waited] = spent
    assert 3.0 <= waited <= 5.0, waited  # the backend had its chance to finish, and the wait is bounded
    busy.thread.join(timeout=10)


def test_a_pid_file_naming_another_live_process_is_cleared(pg):
    """After a power cut the dead postmaster's pid may belong to another program; PostgreSQL would refuse."""
    localdb.start(pg)
    write_row(pg, 3)
    localdb.stop(pg)
    # Run by the cluster's owner: PostgreSQL takes a process of another user for a stale pid, not this one.
    other = subprocess.Popen(["sleep", "60"], user="postgres" if os.geteuid() == 0 else None)
    try:
        (pg.data / "postmaster.pid").write_text(f"{other.pid}\n{pg.data}\n1700000000\n{pg.port}\n\n")
        assert localdb.start(pg) is True
        assert rows(pg) == [3]
        assert other.poll() is None  # left alone
    finally:
        other.kill()
        other.wait()


def test_a_running_cluster_is_reused(pg):
    assert localdb.start(pg) is True
    pid = localdb.live_postmaster(pg)
    assert localdb.start(pg) is False
    assert localdb.live_postmaster(pg) == pid


def test_a_data_folder_in_use_is_never_removed(pg):
    localdb.start(pg)
    write_row(pg, 5)
    with pytest.raises(RuntimeError, match="in use"):
        localdb.remove_cluster_files(pg)
    assert rows(pg) == [5]

    busy = BusyBackend(pg, seconds=2)
    kill_postmaster(pg)  # the postmaster is gone but one of its backends still works in the folder
    with pytest.raises(RuntimeError, match="in use"):
        localdb.remove_cluster_files(pg)
    assert (pg.data / "PG_VERSION").exists()
    localdb.start(pg)
    assert rows(pg) == [5]
    busy.thread.join(timeout=10)


def test_deleting_local_starts_over_with_a_fresh_cluster(pg):
    localdb.start(pg)
    write_row(pg, 9)
    old = localdb.live_postmaster(pg)
    assert old is not None

    shutil.rmtree(pg.base.parent)  # the user deletes .local/ while the pg still runs
    assert localdb.start(pg) is True
    assert old is not None and not alive(old)
    with connect(pg) as conn:
        assert conn.execute("SELECT to_regclass('kept')").fetchone() == (None,)
    assert pg.password_file.exists()


def test_clean_data_stops_the_cluster_and_removes_its_files(pg):
    localdb.start(pg)
    pid = localdb.live_postmaster(pg)
    assert pid is not None
    env = {
        **os.environ,
        "DOUGAL_LOCAL_DIR": str(pg.base.parent),
        "DOUGAL_PG_PORT": str(pg.port),
    }
    result = subprocess.run(
        [sys.executable, "-m", "scripts.dev_stack", "clean-data"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not alive(pid)
    assert not pg.base.parent.exists()
    assert not pg.home.exists()
    assert localdb.server_processes(pg.data) == []
