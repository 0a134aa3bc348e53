"""``make run`` for real, from a checkout in a folder the ``postgres`` user cannot enter.

The checkout's files are copied into a fresh ``mkdtemp`` folder (mode 0700, as
a clone in root's home is), and the stack runs from there exactly as ``make
run`` runs it, on free ports, with the copy's own ``.local``: a private
cluster, moto, the API and the dispatcher in one foreground process. Checks
/health, a login and its cookie, a nested configuration path and the demo over
real HTTP, keep-alive latency, a clean stop on SIGINT (no process left
behind), a second start with the data of the first, a start less than a second
after every process of the stack was killed with SIGKILL (the postmaster and
its backends included) with the data intact, and ``make clean-data`` stopping
a running stack and removing its data. A second test runs part of the suite
from such a folder, as ``make test`` would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import localdb

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "local-test-password"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(port: int, method: str, path: str, body: object = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # What the test session set for itself, not what a developer has when typing make run.
    for key in ("DOUGAL_DATABASE_URL", "DATABASE_URL", "DOUGAL_JWT_SECRET", "DOUGAL_LOCAL_DIR", "DOUGAL_COOKIE_SECURE"):
        env.pop(key, None)
    return {**env, **extra}


@pytest.fixture
def checkout() -> Iterator[Path]:
    """This checkout's files (tracked and new, not ignored) copied into a fresh 0700 folder."""
    folder = Path(tempfile.mkdtemp(prefix="dougal-home-"))
    copy = folder / "dougal"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    yield copy
    subprocess.run(
        [sys.executable, "-m", "scripts.dev_stack", "clean-data"], cwd=copy, env=clean_env(), capture_output=True
    )
    shutil.rmtree(folder, ignore_errors=True)


def postgres_can_enter(path: Path) -> bool:
    if os.geteuid() != 0:
        return True
    return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(path)], cwd="/").returncode == 0


class Stack:
    """``make run`` in ``checkout``: ``$(PY) -m scripts.dev_stack`` with the checkout as working directory."""

    def __init__(self, checkout: Path) -> None:
        self.checkout = checkout
        self.port, self.aws_port, self.pg_port = free_port(), free_port(), free_port()
        self.vessel_track_port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = checkout.parent / "run.log"
        self.cluster = localdb.cluster_for(checkout / ".local", self.pg_port)

    def launch(self) -> None:
        env = clean_env(
            DOUGAL_PORT=str(self.port),
            DOUGAL_AWS_PORT=str(self.aws_port),
            DOUGAL_PG_PORT=str(self.pg_port),
            DOUGAL_VESSEL_TRACK_PORT=str(self.vessel_track_port),
            DOUGAL_LOCAL_PASSWORD=PASSWORD,
            DOUGAL_DEMO="1",
        )
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scripts.dev_stack"],
                cwd=self.checkout,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if request(self.port, "GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("make run did not become healthy:\n" + self.log.read_text()[-3000:])

    def start(self) -> None:
        self.launch()
        self.wait_healthy()

    def processes(self) -> list[int]:
        """Every live process working in the checkout or in the cluster's folder (the stack, PostgreSQL's)."""
        places = (str(self.checkout), os.path.realpath(self.cluster.home))
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if cwd.startswith(places) and localdb._process_alive(int(entry.name)):
                found.append(int(entry.name))
        return found

    def login(self) -> dict[str, str]:
        status, headers, _ = request(self.port, "POST", "/login", {"user": "user", "password": PASSWORD})
        assert status == 204
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "Secure" not in cookie  # make run turns Secure off for plain HTTP
        return {"Cookie": cookie.split(";")[0]}

    def note(self, cookie: dict[str, str]) -> object:
        return json.loads(request(self.port, "GET", "/project/demo/info/note", headers=cookie)[2])


def keep_alive_ms(port: int, path: str, cookie: dict[str, str], count: int = 50) -> list[float]:
    from scripts.bench_http import KeepAliveClient

    client = KeepAliveClient(port)
    timings = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            status, _ = client.get(path, cookie)
            timings.append((time.perf_counter() - started) * 1000)
            assert status == 200
    finally:
        client.close()
    return timings


def test_make_run_from_a_folder_postgres_cannot_enter(checkout):
    assert stat.S_IMODE(checkout.parent.stat().st_mode) == 0o700
    assert not postgres_can_enter(checkout) or os.geteuid() != 0
    stack = Stack(checkout)
    stack.start()
    try:
        cookie = stack.login()
        status, _, body = request(
            stack.port, "GET", "/project/demo/configuration/online/line/pattern/captures/1", headers=cookie
        )
        assert (status, json.loads(body)) == (200, "line")
        assert request(stack.port, "PUT", "/project/demo/info/note", {"kept": True}, headers=cookie)[0] == 204
        # The demo survey arrives through the local bucket, queue and dispatcher.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            summary = json.loads(request(stack.port, "GET", "/project/demo", headers=cookie)[2])
            if summary["seq_final"] == 4 and summary["seq_raw"] == 5:
                break
            time.sleep(0.5)
        assert (summary["lines"], summary["total"], summary["seq_final"], summary["seq_raw"]) == (8, 2400, 4, 5)
        files = json.loads(request(stack.port, "GET", "/project/demo/files", headers=cookie)[2])
        assert len(files) == 10 and {f["status"] for f in files} == {"imported"}
        # Requests on one connection cost what their handler costs: no 40 ms delayed-ACK stalls.
        assert statistics.median(keep_alive_ms(stack.port, "/project/demo", cookie)) < 30
        assert statistics.median(keep_alive_ms(stack.port, "/health", {})) < 30
        # A line log queued for the client arrives at the fake Vessel Track API, on its own port.
        sequences = json.loads(request(stack.port, "GET", "/project/demo/sequence", headers=cookie)[2])
        number = next(s["sequence"] for s in sequences if s["status"] == "final")
        queued = request(stack.port, "POST", "/queue/outgoing/asaqc", [{"project": "demo", "sequence": number}], cookie)
        assert queued[0] == 202, queued
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            receipts = json.loads(request(stack.vessel_track_port, "GET", "/fake/receipts")[2])
            if len(receipts) == 2:
                break
            time.sleep(0.5)
        assert [r["fileName"].rsplit(".", 1)[1] for r in receipts] == ["json", "pdf"]
        listed = json.loads(request(stack.port, "GET", "/queue/outgoing/asaqc", headers=cookie)[2])
        assert [i["status"] for i in listed] == ["sent"]
        assert [r["digest"]["sha256"]["hex"] for r in listed[0]["results"]] == [r["sha256"] for r in receipts]

        # Ctrl-C: everything it started stops, nothing is left running.
        stack.process.send_signal(signal.SIGINT)
        assert stack.process.wait(timeout=60) == 0
        time.sleep(0.5)
        assert stack.processes() == []

        # Second run: the data of the first is still there.
        stack.start()
        cookie = stack.login()
        assert stack.note(cookie) == {"kept": True}

        # Power cut: every process of the stack killed at once, the postmaster and its backends included,
        # and make run again less than a second later.
        victims = [stack.process.pid, *stack.processes()]
        assert localdb.live_postmaster(stack.cluster) in victims
        assert len(localdb.server_processes(stack.cluster.data)) > 3  # the postmaster is not alone
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        killed = time.monotonic()
        stack.process.wait(timeout=30)
        stack.launch()
        assert time.monotonic() - killed < 1.0
        stack.wait_healthy()
        cookie = stack.login()
        assert stack.note(cookie) == {"kept": True}

        # make clean-data: stops the running stack and removes the cluster's files and .local/.
        running = stack.process
        result = subprocess.run(
            [sys.executable, "-m", "scripts.dev_stack", "clean-data"],
            cwd=checkout,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert running.wait(timeout=30) == 0
        time.sleep(0.5)
        assert stack.processes() == []
        assert not (checkout / ".local").exists()
        assert not stack.cluster.home.exists()
        assert stat.S_IMODE(checkout.parent.stat().st_mode) == 0o700
    finally:
        if stack.process and stack.process.poll() is None:
            stack.process.kill()
        for pid in stack.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_the_suite_runs_from_a_folder_postgres_cannot_enter(checkout):
    """What ``make test`` runs, from the copy: the session cluster is made and used there."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-o",
            "addopts=",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/integration/test_cli.py",
        ],
        cwd=checkout,
        env=clean_env(DOUGAL_PG_PORT=str(free_port())),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\b3 passed\b", summary) and "error" not in summary and "failed" not in summary, summary
    assert (checkout / ".local" / "pg" / "password").exists()
