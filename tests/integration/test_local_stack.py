"""``make run`` for real: a private cluster, moto, the API and the dispatcher in one foreground process.

Brought up on free ports with its own .local directory, so it never touches the
developer's own stack. Checks /health, a login, a nested configuration path over
real HTTP, a clean stop on SIGINT (no process left behind), a second start with
the data of the first still there, and a clean start after a power cut (every
process killed with SIGKILL).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

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


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


class Stack:
    def __init__(self, local_dir: Path) -> None:
        self.local_dir = local_dir
        self.port, self.aws_port, self.pg_port = free_port(), free_port(), free_port()
        self.process: subprocess.Popen | None = None
        self.log = local_dir / "run.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "DOUGAL_PORT": str(self.port),
            "DOUGAL_AWS_PORT": str(self.aws_port),
            "DOUGAL_PG_PORT": str(self.pg_port),
            "DOUGAL_LOCAL_DIR": str(self.local_dir),
            "DOUGAL_LOCAL_PASSWORD": PASSWORD,
            "DOUGAL_DEMO": "1",
        }
        for key in ("DOUGAL_DATABASE_URL", "DATABASE_URL", "DOUGAL_JWT_SECRET"):
            env.pop(key, None)
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scripts.dev_stack"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if request(self.port, "GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError("make run did not become healthy:\n" + self.log.read_text()[-3000:])

    def login(self) -> dict[str, str]:
        status, headers, _ = request(self.port, "POST", "/login", {"user": "user", "password": PASSWORD})
        assert status == 204
        return {"Cookie": headers["Set-Cookie"].split(";")[0]}


@pytest.fixture
def local_dir():
    # Under the checkout's .local/: the cluster's owner (postgres) must be able to reach it,
    # which a private temporary directory does not allow.
    import shutil
    import uuid

    path = ROOT / ".local" / "stack-tests" / uuid.uuid4().hex[:8]
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_make_run_lifecycle(local_dir):
    stack = Stack(local_dir)
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

        # Ctrl-C: everything it started stops, nothing is left running.
        stack.process.send_signal(signal.SIGINT)
        assert stack.process.wait(timeout=60) == 0
        time.sleep(0.5)
        assert processes_mentioning(str(stack.local_dir)) == []

        # Second run: the data of the first is still there.
        stack.start()
        cookie = stack.login()
        assert json.loads(request(stack.port, "GET", "/project/demo/info/note", headers=cookie)[2]) == {"kept": True}

        # Power cut: every process killed at once, PostgreSQL included.
        for pid in [*processes_mentioning(str(stack.local_dir)), stack.process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stack.process.wait(timeout=30)
        time.sleep(0.5)
        stack.start()
        cookie = stack.login()
        assert json.loads(request(stack.port, "GET", "/project/demo/info/note", headers=cookie)[2]) == {"kept": True}
        stack.process.send_signal(signal.SIGTERM)
        assert stack.process.wait(timeout=60) == 0
        time.sleep(0.5)
        assert processes_mentioning(str(stack.local_dir)) == []
    finally:
        if stack.process and stack.process.poll() is None:
            stack.process.kill()
        for pid in processes_mentioning(str(stack.local_dir)):
            os.kill(pid, signal.SIGKILL)
