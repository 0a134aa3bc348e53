"""The app against the Dougal API 0.3.1 contract (../shared/spec/dougal-api.yaml).

Every operation of the tags built so far is routed, and answers validate against
the contract's schemas (OpenAPI 3.0 ``nullable`` read as JSON Schema null).
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from app import app

SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "spec" / "dougal-api.yaml"
BUILT_TAGS = {"project", "preplot", "sequences", "login", "log", "qc", "metadata", "planner", "asaqc", "navdata"}
# Tags whose issues are still open: their operations are not routed yet.
PENDING_TAGS: set[str] = set()
# Operations tagged "project" that belong to those later capabilities (labels come with the event log).
PENDING_OPERATIONS: set[str] = set()


@pytest.fixture(scope="module")
def spec():
    # A missing contract is a failure, never a skip: a contract test that cannot run must not pass.
    if not SPEC_PATH.exists():
        pytest.fail(
            f"The API contract dougal-api.yaml should be at {SPEC_PATH} (../shared/spec/dougal-api.yaml beside "
            "this checkout); without it the app cannot be checked against the contract."
        )
    return yaml.safe_load(SPEC_PATH.read_text())


def _normalise(path: str) -> str:
    path = path.rstrip("/") or "/"
    path = re.sub(r"(/\{p1\})(/\{p\d+\})*$", "/{path}", path)
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_operation_of_the_built_tags_is_routed(spec):
    routed = {(_normalise(path), method) for path, methods in app.routes.items() for method in methods}
    missing = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            tags = set(operation.get("tags", []))
            assert tags & (BUILT_TAGS | PENDING_TAGS), f"{method} {path} has an unknown tag"
            if f"{method.upper()} {path}" in PENDING_OPERATIONS or tags & PENDING_TAGS:
                continue
            if tags & BUILT_TAGS and (_normalise(path), method.upper()) not in routed:
                # /configuration/{path} and /info/{path} are routed per depth: {path} covers them.
                missing.append(f"{method.upper()} {path}")
    assert missing == []


def _jsonschema(node, components):
    """OpenAPI 3.0 schema → JSON Schema: nullable → null allowed, $refs inlined."""
    if isinstance(node, list):
        return [_jsonschema(n, components) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _jsonschema(copy.deepcopy(components[node["$ref"].rsplit("/", 1)[1]]), components)
    out = {k: _jsonschema(v, components) for k, v in node.items() if k not in ("nullable", "example", "name", "in")}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    if "allOf" in out and any(isinstance(x, dict) and set(x) == {"description"} for x in out["allOf"]):
        out["allOf"] = [x for x in out["allOf"] if set(x) != {"description"}]
    return out


def validator(spec, name):
    schemas = spec["components"]["schemas"]
    return jsonschema.Draft7Validator(_jsonschema(schemas[name], schemas))


@pytest.fixture
def survey_project(aws):
    from chalicelib import aws as clients
    from dougal_sim import simulator as sim
    from tests.integration.factories import make_project
    from tests.integration.ingest_support import CONFIGURATION, upload

    make_project("alpha", configuration=CONFIGURATION)
    srv = sim.Survey(num_lines=2, points_per_line=60)
    upload(clients, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, start=datetime(2021, 10, 8, 23, 50, tzinfo=UTC), missing=[1010])
    upload(clients, "alpha/raw/s.p111", sim.write_p111(truth, kind="raw"), deliver=False)
    upload(clients, "alpha/final/s.p111", sim.write_p111(truth))
    # A sequence with raw data only: its final properties are empty, never null.
    raw_only = srv.sequence(56, 5212, start=datetime(2021, 10, 9, 2, 0, tzinfo=UTC))
    upload(clients, "alpha/raw/s56.p111", sim.write_p111(raw_only, kind="raw"))
    return "alpha"


def _get(client, path, **headers):
    from tests.integration.factories import as_role

    response = client.get(path, headers={**as_role("guest"), **headers})
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_answers_validate_against_the_contract(spec, client, survey_project):
    validator(spec, "ProjectSummary").validate(_get(client, "/project/alpha"))
    for line in _get(client, "/project/alpha/line"):
        validator(spec, "PreplotLine").validate(line)
    for sequence in _get(client, "/project/alpha/sequence"):
        validator(spec, "Sequence").validate(sequence)
    validator(spec, "Sequence").validate(_get(client, "/project/alpha/sequence/55"))
    validator(spec, "Shotpoint").validate(_get(client, "/project/alpha/sequence/55/1020"))
    validator(spec, "GeoJSONFeature").validate(
        _get(client, "/project/alpha/sequence/55/1020", Accept="application/geo+json")
    )
    _validate_plan(spec, client)
    listing = spec["paths"]["/project"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.Draft7Validator(_jsonschema(listing, spec["components"]["schemas"])).validate(_get(client, "/project"))


# ------------------------------------------------------------ strings are strings

# Every answer the contract tests fetch: (URL, the spec's path, the media type asked for).
ANSWERS = [
    ("/project", "/project", "application/json"),
    ("/project/alpha", "/project/{project}", "application/json"),
    ("/project/alpha/line", "/project/{project}/line/", "application/json"),
    ("/project/alpha/sequence", "/project/{project}/sequence/", "application/json"),
    ("/project/alpha/sequence/55", "/project/{project}/sequence/{sequence}", "application/json"),
    ("/project/alpha/sequence/56", "/project/{project}/sequence/{sequence}", "application/json"),
    ("/project/alpha/sequence/55", "/project/{project}/sequence/{sequence}", "application/vnd.seis+json"),
    ("/project/alpha/sequence/55/1020", "/project/{project}/sequence/{sequence}/{shot}", "application/json"),
    ("/project/alpha/sequence/55/1020", "/project/{project}/sequence/{sequence}/{shot}", "application/geo+json"),
    ("/project/alpha/sequence/56/1020", "/project/{project}/sequence/{sequence}/{shot}", "application/json"),
    ("/project/alpha/event", "/project/{project}/event", "application/json"),
    ("/project/alpha/event", "/project/{project}/event", "application/vnd.seis+json"),
    ("/project/alpha/event/{id}", "/project/{project}/event/{id}", "application/json"),
    ("/project/alpha/changes/2000-01-01T00:00:00Z", "/project/{project}/changes/{since}", "application/json"),
    ("/project/alpha/label", "/project/{project}/label", "application/json"),
]


def _resolve(node, components):
    while isinstance(node, dict) and "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[1]]
    return node


def null_strings(schema, value, components, where="$"):
    """Where ``value`` holds null although the spec's ``schema`` says string (and not nullable)."""
    schema = _resolve(schema, components)
    if not isinstance(schema, dict):
        return []
    found = []
    for part in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        found += [w for w in null_strings(part, value, components, where) if w not in found]
    if value is None:
        if schema.get("type") == "string" and not schema.get("nullable"):
            found.append(where)
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            if key in schema.get("properties", {}):
                found += null_strings(schema["properties"][key], item, components, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += null_strings(schema["items"], item, components, f"{where}[{i}]")
    return found


def test_the_walk_finds_a_null_where_the_spec_says_string(spec):
    components = spec["components"]["schemas"]
    sequence = {"$ref": "#/components/schemas/Sequence"}
    assert null_strings(sequence, {"remarks_final": None, "ts1": None}, components) == ["$.remarks_final"]
    changes = {"type": "array", "items": {"$ref": "#/components/schemas/EventChanges"}}
    assert null_strings(changes, [[{"id": 1, "remarks": None}]], components) == ["$[0][0].remarks"]


def test_no_answer_holds_null_where_the_spec_says_string(spec, client, survey_project):
    event = _get(client, "/project/alpha/event")[0]["id"]
    components = spec["components"]["schemas"]
    nulls = {}
    for url, path, media in ANSWERS:
        answer = _get(client, url.replace("{id}", str(event)), Accept=media)
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"][media]["schema"]
        found = null_strings(schema, answer, components)
        if found:
            nulls[f"{url} ({media})"] = found[:5]
    assert nulls == {}
    # What the spec calls remarks_final of a sequence without a final file is an empty string.
    assert _get(client, "/project/alpha/sequence/56")["remarks_final"] == ""


def _validate_plan(spec, client):
    """Planned sequences (a straight and a reversed one, an estimated and a given time) and infill proposals."""
    from tests.integration.factories import as_role

    user = {**as_role("user"), "Content-Type": "application/json"}
    bodies = [
        {"line": 5212, "fsp": 1001, "lsp": 1050, "remarks": "next"},
        # Leaves the point sequence 55 missed (1010) unplanned: infill proposes it.
        {"line": 5210, "fsp": 1059, "lsp": 1030, "ts0": "2030-01-01T00:00:00Z", "meta": {"a": 1}},
    ]
    for body in bodies:
        response = client.post("/project/alpha/plan", headers=user, body=json.dumps(body).encode())
        assert response.status_code == 201, response.body
        validator(spec, "PlannedSequence").validate(json.loads(response.body))
    listed = _get(client, "/project/alpha/plan")
    assert len(listed) == 2
    listing = spec["paths"]["/project/{project}/plan"]["get"]["responses"]["200"]["content"]["application/json"]
    jsonschema.Draft7Validator(_jsonschema(listing["schema"], spec["components"]["schemas"])).validate(listed)
    proposals = client.post("/project/alpha/plan/infill", headers=user)
    assert proposals.status_code == 200, proposals.body
    assert json.loads(proposals.body)
    for proposal in json.loads(proposals.body):
        validator(spec, "PlannedSequence").validate(proposal)


def queue_item_validator(spec):
    """QueueItem with the contract's known slip settled: ``results`` is an array, one element per file
    sent (every example shows it so), each element the object the schema declares. ``parent_id`` is
    null for a first request, as every example shows (the schema forgot ``nullable``)."""
    schemas = copy.deepcopy(spec["components"]["schemas"])
    properties = schemas["QueueItem"]["properties"]
    properties["results"] = {"type": "array", "items": properties["results"]}
    properties["parent_id"] = {**properties["parent_id"], "nullable": True}
    return jsonschema.Draft7Validator(_jsonschema(schemas["QueueItem"], schemas))


def test_queue_answers_validate_against_the_contract(spec, client, aws):
    from tests.integration.factories import as_role, make_project

    make_project("alpha")
    headers = {**as_role("user"), "Content-Type": "application/json"}
    body = json.dumps([{"project": "alpha", "sequence": 55}, {"project": "alpha", "sequence": 56}])
    created = client.post("/queue/outgoing/asaqc", headers=headers, body=body)
    assert created.status_code == 202, created.body
    for item in json.loads(created.body):
        queue_item_validator(spec).validate(item)
    # One sent, one failed (and its retry queued): results of both kinds, parent_id of both kinds.
    from chalicelib.clients import asaqc as remote
    from chalicelib.db import queue as db_queue
    from chalicelib.services.queue import sender
    from scripts.fake_vessel_track import FakeVesselTrack

    remote.forget_tokens()
    fake = FakeVesselTrack()
    fake.inject("refused")
    credentials = remote.Credentials(
        "http://vt.test/oauth2/token", fake.client_id, fake.client_secret, "", "http://vt.test"
    )
    client_ = remote.VesselTrackClient(credentials, transport=fake.transport())

    def files(pid, n, suffix):
        return [sender.OutgoingFile(f"{n}{suffix}.json", b"{}"), sender.OutgoingFile(f"{n}.pdf", b"%")]

    report = sender.process_due(client=client_, render=files)
    assert len(report.sent) == 1 and len(report.failed) == 1 and len(report.retries) == 1
    remote.forget_tokens()
    db_queue.close_journal()
    listed = _get(client, "/queue/outgoing/asaqc")
    assert sorted(i["status"] for i in listed) == ["failed", "queued", "sent"]
    for item in listed:
        queue_item_validator(spec).validate(item)


def test_the_queue_item_check_sees_a_wrong_shape(spec):
    item = {"item_id": 1, "status": "sent", "payload": {"project": "a", "sequence": 1, "mimetype": "x"}}
    queue_item_validator(spec).validate({**item, "results": [{"digest": {"sha256": {"hex": "ab"}}, "response": {}}]})
    with pytest.raises(jsonschema.ValidationError):
        queue_item_validator(spec).validate({**item, "results": {"digest": {"sha256": {"hex": "ab"}}}})
    with pytest.raises(jsonschema.ValidationError):
        queue_item_validator(spec).validate({**item, "status": "done", "results": []})


def test_navdata_answers_validate_against_the_contract(spec, client):
    from tests.integration.factories import as_role, make_project
    from tests.integration.ingest_support import CONFIGURATION

    make_project("alpha", configuration=CONFIGURATION)
    headers = [
        {"tstamp": f"2021-10-08T10:37:5{n}Z", "lat": 59.18 + n * 1e-5, "lon": 2.48, "lineName": line, "point": 1000 + n}
        for n, line in enumerate(["NS21-1052100055S00000", "NS21-1052100055S00000", "TRANSIT"])
    ]
    posted = client.post(
        "/navdata", headers={**as_role("user"), "Content-Type": "application/json"}, body=json.dumps(headers).encode()
    )
    assert posted.status_code == 201, posted.body
    components = spec["components"]["schemas"]
    items = _get(client, "/navdata")
    assert [item["_online"] for item in items] == [False, True, True]
    for path, url, media in (
        ("/navdata", "/navdata", "application/json"),
        ("/navdata", "/navdata?fields=_online,_sequence,lat", "application/json"),
        ("/navdata/gis/point", "/navdata/gis/point", "application/geo+json"),
        ("/navdata/gis/line", "/navdata/gis/line", "application/geo+json"),
    ):
        answer = _get(client, url, Accept=media)
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"][media]["schema"]
        jsonschema.Draft7Validator(_jsonschema(schema, components)).validate(answer)
        assert null_strings(schema, answer, components) == []
    validator(spec, "NavData").validate(_get(client, "/navdata/latest"))
    # The check sees a wrong shape.
    with pytest.raises(jsonschema.ValidationError):
        validator(spec, "NavData").validate({**items[0], "_sequence": [55]})
