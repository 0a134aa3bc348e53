"""Compiled modules in the Lambda package, so that a cold start does not compile them again.

Lambda unpacks the package on a read-only file system: Python cannot write ``__pycache__`` there, so every
module without bytecode in the zip is compiled from source at every cold start (for our own 40-odd modules
about 60 ms, a third of ``import app``). This adds, next to each ``.py`` of a cold start (``COMPILED``),
its bytecode as the running interpreter writes it (``__pycache__/<name>.cpython-311.pyc``), in the
unchecked-hash form: the zip's
timestamps are not kept exactly when Lambda unpacks it, and a package's sources never change once built, so
the bytecode is used without comparing it with the source. The deploy machine's Python must be the Lambda
runtime's (3.11): other bytecode would be named for another version and ignored, so it is not added.
"""

from __future__ import annotations

import importlib.util
import py_compile
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

#: The Lambda runtime's Python (``.chalice/config.json`` and the functions' ``Runtime``).
LAMBDA_PYTHON = (3, 11)

#: What a cold start and its first request import: the application, its framework, models, logging, tokens
#: and the database driver. The rest (numpy, pyproj, fpdf2 and its fonts library…) is compiled when first
#: used, as before: bytecode for all of it would take the zip over Lambda's 50 MB.
COMPILED = (
    "app.py",
    "chalicelib/",
    "chalice/",
    "pydantic/",
    "pydantic_core/",
    "aws_lambda_powertools/",
    "typing_extensions.py",
    "annotated_types/",
    "typing_inspection/",
    "jwt/",
    "psycopg/",
)


def add_bytecode(package: Path) -> int:
    """Add the bytecode of the ``COMPILED`` modules of the zip ``package`` that have none; how many were compiled."""
    if sys.version_info[:2] != LAMBDA_PYTHON:
        return 0
    compiled = 0
    with tempfile.TemporaryDirectory(prefix="dougal-bytecode-") as work:
        tree = Path(work) / "tree"
        with zipfile.ZipFile(package) as archive:
            archive.extractall(tree)
            names = set(archive.namelist())
        rebuilt = Path(work) / package.name
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as out:
            for name in sorted(names):
                source = tree / name
                if source.is_dir():
                    continue
                out.write(source, name)
                if not name.endswith(".py") or not name.startswith(COMPILED):
                    continue
                cached = Path(importlib.util.cache_from_source(name)).as_posix()
                if cached in names:
                    continue
                target = Path(work) / "pyc" / cached
                try:
                    py_compile.compile(
                        str(source),
                        cfile=str(target),
                        dfile=name,
                        doraise=True,
                        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                    )
                except py_compile.PyCompileError:
                    continue  # a file that is not Python 3.11 (a template, a test fixture): left as it is
                out.write(target, cached)
                compiled += 1
        shutil.move(str(rebuilt), str(package))
    return compiled
