"""The QC tests Dougal knows, their defaults, and a project's overrides.

Parameters come from ``CATALOGUE``, overridden by
``configuration.qc.<test>.<parameter>``; ``configuration.qc.<test>.severity``
changes a test's severity and ``enabled: false`` turns it off. A new test is a
module of this package with a ``check(shots, parameters)`` function, an entry
here and one in ``evaluate.CHECKS``.
"""

from __future__ import annotations

import copy
from typing import Any

CATALOGUE: dict[str, dict[str, Any]] = {
    "position_error": {
        "name": "Position error against the preplot",
        "severity": "error",
        "parameters": {"max_inline": 12.5, "max_crossline": 10.0, "max_radial": 15.0},
    },
    "missing_shots": {"name": "Missing shots", "severity": "error", "parameters": {}},
    "duplicate_shots": {"name": "Duplicate shots", "severity": "warning", "parameters": {}},
    "shot_interval": {"name": "Shot interval", "severity": "warning", "parameters": {"min_s": 4.0, "max_s": 15.0}},
    "speed": {"name": "Speed over ground", "severity": "warning", "parameters": {"min_kn": 3.5, "max_kn": 5.5}},
    "source_sequence": {"name": "Source firing sequence", "severity": "error", "parameters": {"sources": None}},
    "point_order": {"name": "Point order", "severity": "warning", "parameters": {}},
    "outside_preplot": {"name": "Shots outside the preplot", "severity": "info", "parameters": {}},
}
SEVERITIES = ("error", "warning", "info")


def tests_for(configuration: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The catalogue with the project's overrides; disabled tests left out."""
    overrides = configuration.get("qc") or {}
    found = {}
    for test, spec in CATALOGUE.items():
        own = overrides.get(test) or {}
        if not isinstance(own, dict):
            own = {}
        if own.get("enabled") is False:
            continue
        merged = copy.deepcopy(spec)
        for name in merged["parameters"]:
            if name in own:
                merged["parameters"][name] = own[name]
        if own.get("severity") in SEVERITIES:
            merged["severity"] = own["severity"]
        if test == "source_sequence" and not merged["parameters"].get("sources"):
            continue  # not configured: not run
        found[test] = merged
    return found
