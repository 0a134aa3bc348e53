"""Spec tag "sequences": sequences and shotpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.models.events import point_geometry
from chalicelib.models.projects import Duration


class SequenceUpdate(BaseModel):
    """PATCH body: every property optional; final properties apply only once a final file exists."""

    model_config = ConfigDict(extra="forbid", strict=True)

    remarks: str | None = None
    remarks_final: str | None = None
    meta: dict[str, Any] | None = None
    meta_final: dict[str, Any] | None = None
    ntbp: bool | None = None


def sequence_status(row: dict[str, Any]) -> str:
    if row["ntbp"]:
        return "ntbp"
    if row["final_upload_id"] is not None:
        return "final"
    return "raw"


def _seconds(ts0: Any, ts1: Any) -> float | None:
    if ts0 is None or ts1 is None:
        return None
    return float((ts1 - ts0).total_seconds())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def sequence_body(row: dict[str, Any]) -> dict[str, Any]:
    """The spec's Sequence from a stored row: a sequence's shots are its final ones once processed."""
    final = row["final_upload_id"] is not None
    # A sequence processed before (or without) its raw file: its first and last shots are the final ones.
    raw = row["raw_upload_id"] is not None
    has_both_final = row["fsp_final"] is not None and row["lsp_final"] is not None
    duration = Duration.from_seconds(
        _seconds(row["ts0"], row["ts1"]) if raw else _seconds(row["ts0_final"], row["ts1_final"])
    )
    duration_final = Duration.from_seconds(_seconds(row["ts0_final"], row["ts1_final"]))
    return {
        "sequence": row["sequence"],
        "line": row["line"],
        "fsp": row["fsp"] if raw else row["fsp_final"],
        "lsp": row["lsp"] if raw else row["lsp_final"],
        "fsp_final": row["fsp_final"],
        "lsp_final": row["lsp_final"],
        "ts0": _iso(row["ts0"] if raw else row["ts0_final"]),
        "ts1": _iso(row["ts1"] if raw else row["ts1_final"]),
        "ts0_final": row["ts0_final"].isoformat() if row["ts0_final"] else None,
        "ts1_final": row["ts1_final"].isoformat() if row["ts1_final"] else None,
        "duration": duration.model_dump() if duration else None,
        "duration_final": duration_final.model_dump() if duration_final else None,
        "num_points": row["num_points_final"] if final else row["num_points_raw"],
        "num_preplots": row["num_preplots_final"] if final else row["num_preplots_raw"],
        "missing_shots": row["missing_final"] if final else row["missing_raw"],
        "length": row["length_final"] if has_both_final else row["length_raw"],
        "azimuth": row["azimuth_final"] if has_both_final else row["azimuth_raw"],
        "remarks": row["remarks"],
        "remarks_final": row["remarks_final"] if final else None,
        "meta": row["meta"],
        "meta_final": row["meta_final"] if final else None,
        "status": sequence_status(row),
        "attempt": row["attempt"],
        "line_name": row["line_name"],
    }


def shotpoint_body(row: dict[str, Any]) -> dict[str, Any]:
    geometry = point_geometry(row["lon"], row["lat"])
    return {
        "sequence": row["sequence"],
        "line": row["line"],
        "point": row["point"],
        "objref": row["objref"],
        "tstamp": row["tstamp"].isoformat(),
        "hash": row["hash"],
        "geometry": geometry,
        "meta": row["meta"] or {},
    }
