"""Spec tag "sequences": sequences and shotpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from chalicelib.models import Model
from chalicelib.models.geojson import point as point_geometry
from chalicelib.models.limits import Meta, Text
from chalicelib.models.projects import Duration


class SequenceUpdate(Model):
    """PATCH body: every property optional; final properties apply only once a final file exists."""

    model_config = ConfigDict(extra="forbid", strict=True)

    remarks: Text | None = None
    remarks_final: Text | None = None
    meta: Meta | None = None
    meta_final: Meta | None = None
    ntbp: bool | None = None


def sequence_status(row: dict[str, Any]) -> str:
    if row.get("online"):
        return "online"
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


class ShotpointParameters(Model):
    """The query string of ``GET …/sequence/{sequence}/{shot}``."""

    kind: Literal["raw", "final"] | None = Field(default=None, description="Which shots (default raw)")
    project: str | None = Field(default=None, description="Attributes to answer with, separated by blanks or `,;:`")


class Sequence(Model):
    """The spec's Sequence. A sequence's shots are its final ones once processed; one processed before
    (or without) its raw file shows its final first and last shots."""

    sequence: int
    line: int | None
    fsp: int | None
    lsp: int | None
    fsp_final: int | None
    lsp_final: int | None
    ts0: str
    """A string in the spec (a sequence always has shots; "" would mean none)."""
    ts1: str | None
    ts0_final: str | None
    ts1_final: str | None
    duration: Duration | None
    duration_final: Duration | None
    num_points: int | None
    num_preplots: int | None
    missing_shots: int | None
    length: float | None
    azimuth: float | None
    remarks: str
    remarks_final: str
    """"" until a final file is imported (the spec's strings are never null)."""
    meta: dict[str, Any] | None
    meta_final: dict[str, Any] | None
    status: str
    attempt: int | None
    line_name: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Sequence:
        final = row["final_upload_id"] is not None
        # A sequence seen only in the navigation feed so far: its figures are the feed's, in the raw columns.
        raw = row["raw_upload_id"] is not None or bool(row.get("online"))
        has_both_final = row["fsp_final"] is not None and row["lsp_final"] is not None
        return cls(
            sequence=row["sequence"],
            line=row["line"],
            fsp=row["fsp"] if raw else row["fsp_final"],
            lsp=row["lsp"] if raw else row["lsp_final"],
            fsp_final=row["fsp_final"],
            lsp_final=row["lsp_final"],
            ts0=_iso(row["ts0"] if raw else row["ts0_final"]) or "",
            ts1=_iso(row["ts1"] if raw else row["ts1_final"]),
            ts0_final=_iso(row["ts0_final"]),
            ts1_final=_iso(row["ts1_final"]),
            duration=Duration.from_seconds(
                _seconds(row["ts0"], row["ts1"]) if raw else _seconds(row["ts0_final"], row["ts1_final"])
            ),
            duration_final=Duration.from_seconds(_seconds(row["ts0_final"], row["ts1_final"])),
            num_points=row["num_points_final"] if final else row["num_points_raw"],
            num_preplots=row["num_preplots_final"] if final else row["num_preplots_raw"],
            missing_shots=row["missing_final"] if final else row["missing_raw"],
            length=row["length_final"] if has_both_final else row["length_raw"],
            azimuth=row["azimuth_final"] if has_both_final else row["azimuth_raw"],
            remarks=row["remarks"] or "",
            remarks_final=(row["remarks_final"] or "") if final else "",
            meta=row["meta"],
            meta_final=row["meta_final"] if final else None,
            status=sequence_status(row),
            attempt=row["attempt"],
            line_name=row["line_name"],
        )


class Shotpoint(Model):
    """The spec's Shotpoint: one shot, at its WGS 84 position."""

    sequence: int
    line: int
    point: int
    objref: int | None
    """The source that fired; null when the file does not say (P1/90 column 18 blank or a letter its header
    does not list: the letter is in ``meta.source_id``)."""
    tstamp: str
    hash: str
    """The SHA-256 of the file the shot came from ("" when unknown)."""
    geometry: dict[str, Any] | None
    meta: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Shotpoint:
        return cls(
            sequence=row["sequence"],
            line=row["line"],
            point=row["point"],
            objref=row["objref"],
            tstamp=row["tstamp"].isoformat(),
            hash=row["hash"] or "",
            geometry=point_geometry(row["lon"], row["lat"]),
            meta=row["meta"] or {},
        )
