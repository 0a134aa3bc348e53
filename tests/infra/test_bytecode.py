"""The package ships its modules compiled, and Python uses that bytecode without the source's timestamps."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from infra import bytecode


@pytest.mark.skipif(sys.version_info[:2] != bytecode.LAMBDA_PYTHON, reason="bytecode is built for Lambda's Python")
def test_every_module_gets_bytecode_that_a_read_only_unpacked_package_uses(tmp_path):
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("chalicelib/__init__.py", "")
        archive.writestr("chalicelib/figures.py", "ANSWER = 'from the package'\n")
        archive.writestr("chalicelib/template.py", "def {{ name }}(:\n")
        archive.writestr("chalicelib/data.json", "{}")
    assert bytecode.add_bytecode(package) == 2
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "task")
    assert "chalicelib/__pycache__/figures.cpython-311.pyc" in names
    assert "chalicelib/data.json" in names and "chalicelib/template.py" in names
    assert not any("template.cpython" in n for n in names)

    # Unpacked with other timestamps and another source: the unchecked bytecode is what runs.
    (tmp_path / "task" / "chalicelib" / "figures.py").write_text("ANSWER = 'recompiled from source'\n")
    probe = "import chalicelib.figures as f; print(f.ANSWER)"
    result = subprocess.run(
        [sys.executable, "-B", "-c", probe], cwd=tmp_path / "task", capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "from the package"
    assert bytecode.add_bytecode(package) == 0  # already there: nothing added twice
