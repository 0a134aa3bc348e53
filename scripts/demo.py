"""The demo survey that ``make run`` loads (``DOUGAL_DEMO=0`` skips it).

The files are written by the survey simulator and uploaded to the local upload
bucket, exactly as the vessel's uploader would: the dispatcher then ingests
them through the same queue and handler as in AWS.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def demo_files() -> list[tuple[str, str]]:
    """(object key, content) of a small North Sea survey: a preplot and five sequences."""
    from dougal_sim import simulator as sim

    survey = sim.Survey(num_lines=8, points_per_line=300, first_point=1000, seed=7)
    start = datetime(2021, 10, 8, 19, 30, tzinfo=UTC)
    files = [(f"{DEMO_PID}/preplot/demo-preplot.sps", sim.write_sps_preplot(survey))]
    shot = [
        survey.sequence(1, 5210, start=start, run_in=5, run_out=5, missing=[1101, 1102]),
        survey.sequence(2, 5212, start=start + timedelta(hours=2), direction=-1),  # crosses midnight
        survey.sequence(3, 5214, start=start + timedelta(hours=5, minutes=30)),
        survey.sequence(4, 5210, attempt=1, start=start + timedelta(hours=8), first_point=1090, last_point=1120),
    ]
    for truth in shot:
        name = truth.line_name
        files.append((f"{DEMO_PID}/raw/{name}.p111", sim.write_p111(truth, kind="raw")))
        files.append((f"{DEMO_PID}/final/{name}.p111", sim.write_p111(truth, kind="final")))
    online = survey.sequence(5, 5216, start=start + timedelta(hours=10))
    files.append((f"{DEMO_PID}/raw/{online.line_name}.p190", sim.write_p190(online)))
    return files


def load_demo(bucket: str | None = None) -> str:
    """Create the demo project and upload its files (once: an existing demo project is left as it is)."""
    try:
        projects.create_project(
            ProjectCreate(pid=DEMO_PID, name="North Sea demo survey", groups=["demo"], configuration=DEMO_CONFIGURATION)
        )
    except errors.ConflictError:
        return f"demo project {DEMO_PID} already there"
    if bucket is None:
        return f"demo project {DEMO_PID} created"
    from chalicelib import aws

    files = demo_files()
    for key, text in files:
        aws.s3().put_object(Bucket=bucket, Key=key, Body=text.encode())
    return f"demo project {DEMO_PID} created; {len(files)} files uploaded for ingestion"
