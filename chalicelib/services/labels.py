"""Event labels: Dougal's catalogue merged with the project's ``configuration.labels``.

``model.user: false`` labels are set by the system only; ``model.multiple: false``
labels mark one event per sequence (applying one elsewhere in the sequence moves it).
The Seis+JSON mapping says which line-log entry each label becomes.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from chalicelib import errors
from chalicelib.models.events import Label


def _label(colour: str, description: str, user: bool, multiple: bool) -> dict[str, Any]:
    return {"view": {"colour": colour, "description": description}, "model": {"user": user, "multiple": multiple}}


DEFAULT_LABELS: dict[str, dict[str, Any]] = {
    "FSP": _label("#2E7D32", "First shotpoint of the sequence", False, False),
    "LSP": _label("#C62828", "Last shotpoint of the sequence", False, False),
    "FDSP": _label("#546E7A", "First shotpoint of a UTC day", False, True),
    "LDSP": _label("#546E7A", "Last shotpoint of a UTC day (midnight)", False, True),
    "FGSP": _label("#66BB6A", "First good shotpoint", True, False),
    "FCSP": _label("#9CCC65", "First charged shotpoint", True, False),
    "LCSP": _label("#FFA726", "Last charged shotpoint", True, False),
    "LGSP": _label("#EF5350", "Last good shotpoint", True, False),
    "LGFFSP": _label("#AB47BC", "Last good full-fold shotpoint", True, False),
    "LCFFSP": _label("#7E57C2", "Last charged full-fold shotpoint", True, False),
    "FNTBP": _label("#8D6E63", "Start of a not-to-be-processed range", True, True),
    "LNTBP": _label("#8D6E63", "End of a not-to-be-processed range", True, True),
    "Nav": _label("#EF9A9A", "Navigation events", True, True),
    "Gun": _label("#FFCC80", "Source events", True, True),
    "Streamer": _label("#80CBC4", "Streamer events", True, True),
    "Weather": _label("#90CAF9", "Weather", True, True),
    "Downtime": _label("#B0BEC5", "Downtime", True, True),
    "Comment": _label("#E0E0E0", "Comments", True, True),
    "QC": _label("#FFEB3B", "Quality control findings", False, True),
}

# Label → (Seis+JSON EntryTypeId, EntryType)
SEIS_ENTRIES: dict[str, tuple[int, str]] = {
    "FSP": (3000, "Start of line recording"),
    "FGSP": (3001, "Start good"),
    "FCSP": (3002, "Start charged"),
    "LDSP": (3003, "Midnight"),
    "LCSP": (3005, "End charged"),
    "LGSP": (3006, "End good"),
    "LSP": (3007, "End of line recording"),
    "LGFFSP": (3008, "Last good Full Fold"),
    "LCFFSP": (3009, "Last charged Full Fold"),
    "FNTBP": (3019, "Start NTBP"),
    "LNTBP": (3020, "End NTBP"),
}


def catalogue(configuration: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Defaults, then the project's labels (a {name: data} object or a [{name, data}] list) on top."""
    labels = copy.deepcopy(DEFAULT_LABELS)
    extra = configuration.get("labels") or {}
    items = extra.items() if isinstance(extra, dict) else ((i.get("name"), i.get("data")) for i in extra)
    for name, data in items:
        if not isinstance(name, str) or not isinstance(data, dict):
            continue
        merged = labels.get(name, {"view": {}, "model": {"user": True, "multiple": True}})
        for part in ("view", "model"):
            if isinstance(data.get(part), dict):
                merged[part] = {**merged.get(part, {}), **data[part]}
        labels[name] = merged
    return labels


def as_list(labels: dict[str, dict[str, Any]]) -> list[Label]:
    return [Label(name=name, data=data) for name, data in labels.items()]


def check_user_labels(labels: list[str], known: dict[str, dict[str, Any]], previous: Sequence[str] = ()) -> None:
    """400 for an unknown label, or a system label a user tries to add."""
    for name in labels:
        data = known.get(name)
        if data is None:
            raise errors.BadRequestError(f"labels: unknown label {name!r}")
        if not data.get("model", {}).get("user", True) and name not in previous:
            raise errors.BadRequestError(f"labels: {name!r} is set by the system, not by users")


def single_per_sequence(labels: list[str], known: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name in labels if known.get(name, {}).get("model", {}).get("multiple", True) is False]
