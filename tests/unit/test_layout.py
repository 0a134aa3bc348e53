"""The layout rules the linters cannot see: SQL only under db/, no dependency shipped unused.

import-linter (``make lint``) keeps the direction of imports; these keep the other two promises of
the README's architecture section, so a newcomer finds every query in ``db/sql`` and the Lambda
package carries nothing it never imports.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
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


def test_the_sql_check_sees_sql(tmp_path):
    assert _sql_literals(PACKAGE / "services" / "health.py") == []
    probe = tmp_path / "probe.py"
    probe.write_text(
        '"""SELECT in a docstring is prose."""\n'
        'x = "SELECT 1"\n'
        'y = """\n  WITH a AS (SELECT 1) SELECT * FROM a"""\n'
        'z = "Selected lines"\n'
        "def f():\n    conn.execute('UPDATE line SET ntba = true')\n"
    )
    assert [line for line, _ in _sql_literals(probe)] == [2, 3, 7]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (lazy imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_only_db_imports_psycopg():
    """Every module of the package, new ones included (import-linter's contract lists its modules by hand)."""
    found = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules_outside_db()
        for name in sorted(_imports(path))
        if name == "psycopg" or name.startswith(("psycopg.", "psycopg_"))
    ]
    assert found == [], "only chalicelib/db/ talks to PostgreSQL:\n" + "\n".join(found)


def test_the_layering_contracts_hold():
    """import-linter's contracts (pyproject.toml), run by the suite as well as by ``make lint``."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 broken" in done.stdout


# ------------------------------------------------------------ the README's tag table

_CODE = re.compile(r"`([^`]+)`")
_LAYER_DIRS = {1: "api", 2: "services", 3: "db", 4: "models"}


def _tag_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    header = "| API tag | `api/` | `services/` | `db/` + `db/sql/` | `models/` | tests |"
    assert header in text, "the README's tag table lost its header"
    rows = []
    for line in text.split(header, 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _names(cell: str) -> list[str]:
    """The file names a cell gives, without the ones it quotes as examples (``<test>``) or as routes."""
    return [n for n in _CODE.findall(cell) if n.endswith((".py", "/")) and "<" not in n]


def _missing_in_row(row: list[str]) -> list[str]:
    missing = []
    for column, layer in _LAYER_DIRS.items():
        base = PACKAGE / layer
        packages = [base / n for n in _names(row[column]) if n.endswith("/")]
        for name in _names(row[column]):
            if name.startswith("chalicelib/"):
                candidates = [ROOT / name]
            else:
                candidates = [base / name, *(package / name for package in packages)]
            if not any(c.exists() for c in candidates):
                missing.append(f"{layer}/{name}")
            if layer == "db" and name.endswith(".py") and name != "pgcopy.py":
                if not (base / "sql" / name.replace(".py", ".sql")).exists():
                    missing.append(f"db/sql/{name.replace('.py', '.sql')}")
    folder = ROOT / "tests"
    for name in _names(row[5]):
        path = ROOT / "tests" / name if "/" in name.rstrip("/") else folder / name
        if "/" in name.rstrip("/"):
            folder = path.parent if name.endswith(".py") else path
        if not path.exists():
            missing.append(f"tests/{path.relative_to(ROOT / 'tests')}")
    return missing


def test_the_tag_table_is_true():
    rows = _tag_rows()
    missing = [f"{row[0]}: {name}" for row in rows for name in _missing_in_row(row)]
    assert missing == [], "the README's tag table names files that do not exist:\n" + "\n".join(missing)
    listed = {name for row in rows for name in _names(row[1])}
    blueprints = {
        path.name for path in (PACKAGE / "api").glob("*.py") if "Blueprint(" in path.read_text(encoding="utf-8")
    }
    assert blueprints - listed == set(), "every API blueprint needs its row in the README's tag table"


def test_the_tag_table_check_sees_a_wrong_row():
    good = [
        "`x`",
        "`health.py`",
        "`qc/`, `runner.py`",
        "`qc.py`",
        "`qc.py`",
        "`integration/api/test_qc.py`, `test_roles.py`",
    ]
    assert _missing_in_row(good) == []
    wrong = [
        "`x`",
        "`nowhere.py`",
        "`qc/`, `nothing.py`",
        "`pgcopy.py`, `nosql.py`",
        "—",
        "`integration/api/test_none.py`",
    ]
    assert _missing_in_row(wrong) == [
        "api/nowhere.py",
        "services/nothing.py",
        "db/nosql.py",
        "db/sql/nosql.sql",
        "tests/integration/api/test_none.py",
    ]


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
