"""The layout rules the linters cannot see: SQL only under db/, no dependency shipped unused.

import-linter (``make lint``) keeps the direction of imports; these keep the other two promises of
the README's architecture section, so a newcomer finds every query in ``db/sql`` and the Lambda
package carries nothing it never imports.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|COPY|TRUNCATE)\s"
)  # as the .sql files write it
IMPORT_NAMES = {  # requirement name → the module it is imported as
    "chalice": "chalice",
    "boto3": "boto3",
    "psycopg": "psycopg",
    "pydantic": "pydantic",
    "pyjwt": "jwt",
    "argon2-cffi": "argon2",
    "aws-lambda-powertools": "aws_lambda_powertools",
    "pyproj": "pyproj",
    "numpy": "numpy",
    "fpdf2": "fpdf",
    "google-re2": "re2",
}


def _modules_outside_db() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if PACKAGE / "db" not in p.parents] + [ROOT / "app.py"]


def _sql_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and SQL.match(node.value)
    ]


def test_sql_is_written_only_under_db():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:60]!r}"
        for path in _modules_outside_db()
        for line, text in _sql_literals(path)
    ]
    assert found == [], "SQL belongs in chalicelib/db/sql/<tag>.sql, called by name:\n" + "\n".join(found)


def test_the_sql_check_sees_sql():
    sample = PACKAGE / "services" / "health.py"
    assert _sql_literals(sample) == []
    probe = ast.parse('x = "SELECT 1"\ny = """\n  WITH a AS (SELECT 1) SELECT * FROM a"""\nz = "Selected lines"')
    literals = [n.value for n in ast.walk(probe) if isinstance(n, ast.Constant) and SQL.match(n.value)]
    assert len(literals) == 2


def test_every_runtime_dependency_is_imported():
    names = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(re.split(r"[\[=<>~! ]", line, maxsplit=1)[0].lower())
    unknown = [n for n in names if n not in IMPORT_NAMES]
    assert unknown == [], f"add the import name of {unknown} to IMPORT_NAMES"
    imported: set[str] = set()
    for path in [*PACKAGE.rglob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    unused = [n for n in names if IMPORT_NAMES[n] not in imported]
    assert unused == [], f"in requirements.txt (the Lambda package) but never imported by chalicelib: {unused}"
