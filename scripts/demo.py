"""The demo survey that ``make run`` loads (``DOUGAL_DEMO=0`` skips it)."""

from __future__ import annotations

from chalicelib import errors
from chalicelib.models.projects import ProjectCreate
from chalicelib.services import projects

DEMO_PID = "demo"
DEMO_CONFIGURATION = {
    "grid": {"epsg": 32631},
    "online": {
        "line": {
            "pattern": {
                "flags": "i",
                "regex": "^.*(10|20)([0-9]{4})([0-9])([0-9]{3})S00000$",
                "captures": ["direction", "line", "attempt", "sequence"],
            }
        }
    },
}


def load_demo() -> str:
    try:
        projects.create_project(
            ProjectCreate(pid=DEMO_PID, name="North Sea demo survey", groups=["demo"], configuration=DEMO_CONFIGURATION)
        )
    except errors.ConflictError:
        return f"demo project {DEMO_PID} already there"
    return f"demo project {DEMO_PID} created"
