"""What a cold Lambda imports: the app and its workers load nothing heavy before a request needs it.

The API Lambda imports ``app``; psycopg, boto3, pyproj, argon2 and numpy each cost tens of
milliseconds and most requests need none of them before their first query (or never, for
``/health``'s cached queues, a 401, a 404 of a route). Each check runs in a fresh interpreter, as a
new container would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "psycopg",
    "boto3",
    "botocore",
    "pyproj",
    "argon2",
    "numpy",
    "pydantic_settings",
    "moto",
    "dougal_sim",
    "fpdf",
    "PIL",
    "fontTools",
    "re2",
)


def loaded_after(statement: str) -> set[str]:
    probe = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return {name.split(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}


@pytest.mark.parametrize(
    "statement",
    [
        "import app",
        "import chalicelib.handlers.ingest",
        "import chalicelib.handlers.qc",
        "import chalicelib.handlers.migrate",
        "import chalicelib.handlers.queue",
    ],
)
def test_nothing_heavy_is_imported_at_start(statement):
    assert sorted(loaded_after(statement) & set(HEAVY)) == []


def test_the_probe_sees_a_heavy_import():
    assert "psycopg" in loaded_after("import app\nfrom chalicelib import db\ndb.jsonb({})")


def test_every_model_builds_its_validator_on_first_use():
    """A model class that builds its validator at import makes every cold start pay for it (see models/__init__)."""
    import importlib
    import pkgutil

    from pydantic import BaseModel

    import chalicelib.models as models

    eager = []
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"chalicelib.models.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
                and not value.model_config.get("defer_build")
            ):
                eager.append(f"{module.__name__}.{value.__name__}")
    assert eager == [], "derive from chalicelib.models.Model (or set defer_build) so the class builds when used"


def test_the_api_loads_no_tag_models_before_a_request():
    """Each route's models load with its first request (``http.lazy_models``); only what every request
    reads (the identity, the limits, paging) loads with the app."""
    probe = "import sys, json\nimport app\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = {name for name in json.loads(result.stdout.splitlines()[-1]) if name.startswith("chalicelib.models.")}
    assert loaded <= {"chalicelib.models.auth", "chalicelib.models.limits", "chalicelib.models.paging"}


def test_a_lazy_model_stands_for_its_class_in_hints_and_calls():
    from chalicelib.api import http
    from chalicelib.models.events import EventChanged, EventDeleted, Label

    lazy_label, lazy_changed, lazy_deleted = http.lazy_models(
        "chalicelib.models.events", "Label", "EventChanged", "EventDeleted"
    )
    assert http.resolve_hint(lazy_label) is Label
    assert http.resolve_hint(list[lazy_label]) == list[Label]
    assert http.resolve_hint(list[lazy_changed | lazy_deleted]) == list[EventChanged | EventDeleted]
    assert lazy_label.model_validate({"name": "x", "data": {}}) == Label(name="x", data={})
