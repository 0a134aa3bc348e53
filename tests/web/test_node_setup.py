"""scripts/ensure-node.sh: the office page's build needs Node ^20.19 or >= 22.12 (Vite 8), Debian 12 ships 18.

The script is run with a PATH of our own: a fake ``node`` printing a chosen version, and for the install a fake
``npm`` whose ``pack`` writes the two tarballs the registry would give (a ``node`` binary and npm), so that
what the script unpacks, links and checks is seen without a network.
"""

from __future__ import annotations

import io
import os
import platform
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from scripts.local_api import ROOT

SCRIPT = ROOT / "scripts" / "ensure-node.sh"
NEEDED = "Node.js ^20.19 or >= 22.12 (Vite 8)"
TOOLS = ("bash", "env", "tar", "gzip", "mktemp", "uname", "mkdir", "cp", "rm", "mv", "ln", "dirname", "cat", "chmod")
ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def tools(tmp_path: Path) -> Path:
    """The system tools the script uses, and no node or npm."""
    box = tmp_path / "tools"
    box.mkdir()
    for name in TOOLS:
        found = shutil.which(name)
        assert found, name
        (box / name).symlink_to(found)
    return box


def run(
    tmp_path: Path, *args: str, node: str | None, npm: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "fake"
    fake.mkdir(exist_ok=True)
    if node is not None:
        executable(fake / "node", f"#!/bin/sh\necho {node}\n")
    if npm is not None:
        executable(fake / "npm", npm)
    home, links = tmp_path / "node-home", tmp_path / "node-bin"
    path = os.pathsep.join([str(links), str(fake), str(tools(tmp_path))])
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), *args],
        env={"PATH": path, "DOUGAL_NODE_HOME": str(home), "DOUGAL_NODE_BIN": str(links), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ("v18.20.4", False),  # Debian 12's nodejs
        ("v20.18.3", False),
        ("v20.19.0", True),
        ("v21.7.3", False),
        ("v22.11.0", False),
        ("v22.12.0", True),
        ("v24.1.0", True),
    ],
)
def test_the_version_check_follows_vites_range(tmp_path, version, ok):
    result = run(tmp_path, "--check", node=version)
    assert (result.returncode == 0) is ok, result.stderr
    if not ok:
        assert f"found node {version}; the office page needs {NEEDED}" in result.stderr


def test_no_node_at_all_is_named(tmp_path):
    result = run(tmp_path, "--check", node=None)
    assert result.returncode == 1 and f"found node absent; the office page needs {NEEDED}" in result.stderr


def test_a_too_old_node_is_refused_with_the_version_needed_when_installing_is_forbidden(tmp_path):
    result = run(tmp_path, node="v18.20.4", DOUGAL_NODE_INSTALL="0")
    assert result.returncode == 1
    assert f"found node v18.20.4; the office page needs {NEEDED}" in result.stderr
    assert not (tmp_path / "node-bin").exists()


def tarball(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_a_too_old_node_is_replaced_by_the_registrys_binary(tmp_path):
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / f"node-linux-{ARCH}-22.23.5.tgz").write_bytes(tarball({"bin/node": "#!/bin/sh\necho v22.23.5\n"}))
    (packs / "npm-10.9.0.tgz").write_bytes(
        tarball({"bin/npm-cli.js": "#!/bin/sh\necho 10.9.0\n", "bin/npx-cli.js": "#!/bin/sh\necho npx\n"})
    )
    calls = tmp_path / "npm-calls"
    npm = f'#!/bin/sh\necho "$@" >> {calls}\n[ "$1" = pack ] && cp {packs}/*.tgz .\nexit 0\n'
    result = run(tmp_path, node="v18.20.4", npm=npm)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().split() == ["pack", "--silent", f"node-linux-{ARCH}@22.23.5", "npm@10.9.0"]
    links = tmp_path / "node-bin"
    assert subprocess.run([links / "node", "--version"], capture_output=True, text=True).stdout == "v22.23.5\n"
    assert os.readlink(links / "npm") == str(tmp_path / "node-home/lib/node_modules/npm/bin/npm-cli.js")
    assert f"node v22.23.5 ({links / 'node'}), npm 10.9.0" in result.stdout


def test_an_unreachable_registry_is_named_with_the_version_needed(tmp_path):
    result = run(tmp_path, node="v18.20.4", npm="#!/bin/sh\nexit 1\n")
    assert result.returncode == 1
    assert (
        f"could not fetch node-linux-{ARCH}@22.23.5 from the npm registry; install {NEEDED} yourself" in result.stderr
    )
    assert not (tmp_path / "node-bin" / "node").exists()


def test_the_system_setup_runs_the_node_check():
    text = (ROOT / "scripts" / "install-system.sh").read_text()
    assert 'bash "$here/ensure-node.sh"' in text.splitlines()[-1]
