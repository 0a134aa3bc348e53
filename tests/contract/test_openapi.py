"""``GET /openapi.json`` and ``GET /docs``: the served document is valid OpenAPI 3.0, matches the routes both
ways, agrees with the contract on every operation both define, and the app's answers validate against it."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator

from app import app
from chalicelib.api import http, openapi
from tests.integration.factories import as_role
from tests.openapi_answers import check_answer, validator_for

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    from chalice.test import Client

    with Client(app, stage_name="dev") as test_client:
        response = test_client.http.get("/openapi.json")
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.body)


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_the_document_is_valid_openapi_3_0(served):
    assert served["openapi"].startswith("3.0.")
    errors = [e.message for e in OpenAPIV30SpecValidator(served).iter_errors()]
    assert errors == []


REPOSITORY = Path(__file__).resolve().parents[2]
REGENERATE = "python -m chalicelib.api.openapi > openapi.json"


def differences(kept: Any, served: Any, where: str = "") -> list[str]:
    """Where two JSON documents differ (the first few places), to name in a failure."""
    if isinstance(kept, dict) and isinstance(served, dict):
        found = [f"{where}/{k}: only in the served document" for k in served if k not in kept]
        found += [f"{where}/{k}: only in openapi.json" for k in kept if k not in served]
        for key in kept.keys() & served.keys():
            found += differences(kept[key], served[key], f"{where}/{key}")
        return found
    return [] if kept == served else [f"{where or '/'}: differs"]


def test_the_repository_keeps_the_served_document(served):
    kept = json.loads((REPOSITORY / "openapi.json").read_text(encoding="utf-8"))
    found = sorted(differences(kept, served))
    assert not found, f"openapi.json is not what /openapi.json serves ({'; '.join(found[:5])}): run {REGENERATE}"


def test_the_kept_document_is_the_regenerating_commands_output(capsys):
    assert openapi.main() == 0
    printed = capsys.readouterr().out
    assert printed == (REPOSITORY / "openapi.json").read_text(encoding="utf-8"), f"run {REGENERATE}"


def test_a_changed_route_is_found_in_the_kept_document(served):
    changed = json.loads(json.dumps(served))
    changed["paths"]["/status"]["get"]["summary"] = "another summary"
    del changed["paths"]["/capabilities"]
    assert sorted(differences(served, changed)) == [
        "/paths//capabilities: only in openapi.json",
        "/paths//status/get/summary: differs",
    ]


def test_the_validator_catches_a_broken_document(served):
    broken = json.loads(json.dumps(served))
    broken["paths"]["/project/{project}"]["get"]["parameters"] = []  # a path parameter left undeclared
    assert list(OpenAPIV30SpecValidator(broken).iter_errors())


def test_every_route_is_in_the_document_and_every_operation_is_routed(served):
    routed = {(method, openapi.document_path(path)) for path, methods in app.routes.items() for method in methods}
    assert routed == set(operations(served))
    # …and the app's routes are exactly the table the roles and the document are read from.
    assert {(m, p) for p, methods in app.routes.items() for m in methods} == {(m, p) for p, m in http.ROUTE_ROLES}


def test_nested_routes_appear_once_as_path(served):
    paths = set(served["paths"])
    assert "/project/{project}/configuration/{path}" in paths
    assert "/project/{project}/meta/{type}/{kind}/{path}" in paths
    assert not [p for p in paths if re.search(r"\{p\d+\}", p)]


def _contract_operations(spec) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_the_list_of_contract_operations_in_the_code_is_the_contracts(spec):
    expected = {}
    for key, op in _contract_operations(spec).items():
        successes = [int(code) for code in op["responses"] if code.isdigit() and 200 <= int(code) < 300]
        expected[key] = (tuple(op["tags"]), successes[0] if successes else None)
    assert expected == openapi.CONTRACT_OPERATIONS


def test_every_contract_operation_we_route_appears_with_its_path_method_and_tags(spec, served):
    ours = operations(served)
    routed = {(m, openapi.operation_key(p)) for p, methods in app.routes.items() for m in methods}
    checked = 0
    for (method, path), op in _contract_operations(spec).items():
        if (method, openapi.operation_key(path)) not in routed:
            continue
        # The contract's `…/line/` and `…/sequence/` are served without the trailing slash.
        mine = ours.get((method, path.rstrip("/")))
        assert mine is not None, f"{method} {path}"
        assert mine["tags"] == op["tags"], f"{method} {path}"
        assert "x-dougal-addition" not in mine, f"{method} {path}"
        for code in op["responses"]:
            if code.isdigit() and 200 <= int(code) < 300:
                assert code in mine["responses"], f"{method} {path}: {code}"
        checked += 1
    assert checked >= 35  # every operation but navdata's


def test_operations_beyond_the_contract_are_marked(served):
    ours = operations(served)
    contract = {(m, openapi.operation_key(p)) for m, p in openapi.CONTRACT_OPERATIONS}
    for (method, path), op in ours.items():
        assert op.get("x-dougal-addition", False) is ((method, openapi.operation_key(path)) not in contract)
    for added in [("GET", "/status"), ("GET", "/openapi.json"), ("GET", "/docs"), ("POST", "/project")]:
        assert ours[added]["x-dougal-addition"] is True


def test_roles_are_the_route_tables(served):
    ours = operations(served)
    for (path, method), role in http.ROUTE_ROLES.items():
        op = ours[(method, openapi.document_path(path))]
        assert op["x-dougal-role"] == role
        if role == http.PUBLIC:
            assert "security" not in op and "401" not in op["responses"]
        else:
            assert op["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    schemes = served["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["cookieAuth"] == {"type": "apiKey", "in": "cookie", "name": "JWT"}


def test_media_types_summaries_and_tags_come_from_the_code(served):
    ours = operations(served)
    for (path, method), types in http.MEDIA_TYPES.items():
        answer = ours[(method, openapi.document_path(path))]["responses"]["200"]
        assert list(answer["content"]) == list(types)
    for (path, method), doc in http.ROUTE_DOCS.items():
        first = (inspect.getdoc(doc.view) or "").partition("\n\n")[0]
        if first:
            assert ours[(method, openapi.document_path(path))]["summary"] == " ".join(first.split())
    assert ours[("GET", "/project/{project}/files")]["tags"] == ["files"]
    assert ours[("GET", "/status")]["tags"] == ["status"]
    assert {t["name"] for t in served["tags"]} == {t for op in ours.values() for t in op["tags"]}


def test_request_bodies_come_from_the_models(served):
    ours = operations(served)
    body = ours[("POST", "/project/{project}/event")]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EventNew"}
    fields = set(served["components"]["schemas"]["EventNew"]["properties"])
    from chalicelib.models.events import EventNew

    assert fields == {f.alias or name for name, f in EventNew.model_fields.items()}


# ------------------------------------------------------------------ answers against the served schemas


# The validator every answer of the suite's ``client`` goes through (tests/openapi_answers.py).
answer_validator = validator_for


# (URL, the document's path, role) of answers the suite's fixtures give.
SAMPLE = [
    ("/project", "/project", "guest"),
    ("/project/alpha", "/project/{project}", "guest"),
    ("/project/alpha/summary", "/project/{project}/summary", "guest"),
    ("/project/alpha/line", "/project/{project}/line", "guest"),
    ("/project/alpha/sequence", "/project/{project}/sequence", "guest"),
    ("/project/alpha/sequence/55", "/project/{project}/sequence/{sequence}", "guest"),
    ("/project/alpha/sequence/56", "/project/{project}/sequence/{sequence}", "guest"),
    ("/project/alpha/sequence/55/1020", "/project/{project}/sequence/{sequence}/{shot}", "guest"),
    ("/project/alpha/event", "/project/{project}/event", "guest"),
    ("/project/alpha/event/{id}", "/project/{project}/event/{id}", "guest"),
    ("/project/alpha/changes/2000-01-01T00:00:00Z", "/project/{project}/changes/{since}", "guest"),
    ("/project/alpha/label", "/project/{project}/label", "guest"),
    ("/project/alpha/qc/results", "/project/{project}/qc/results", "guest"),
    ("/project/alpha/qc/results/sequence/55", "/project/{project}/qc/results/sequence/{sequence}", "guest"),
    ("/project/alpha/plan", "/project/{project}/plan", "guest"),
    ("/project/alpha/forecast", "/project/{project}/forecast", "guest"),
    ("/project/alpha/files", "/project/{project}/files", "guest"),
    ("/queue/outgoing/asaqc", "/queue/outgoing/asaqc", "guest"),
    ("/capabilities", "/capabilities", "guest"),
    ("/status", "/status", "user"),
    ("/audit", "/audit", "master"),
    ("/session", "/session", "guest"),
    ("/project/alpha/gis/line", "/project/{project}/gis/line", "guest"),
    ("/project/alpha/gis/sequence", "/project/{project}/gis/sequence", "guest"),
    ("/project/alpha/gis/event", "/project/{project}/gis/event", "guest"),
    ("/project/alpha/gis/sequence/55/profile", "/project/{project}/gis/sequence/{sequence}/profile", "guest"),
]


def test_answers_of_the_fixtures_validate_against_the_served_document(served, client, survey_project):
    user = {**as_role("user"), "Content-Type": "application/json"}
    created = client.post(
        "/project/alpha/event", headers=user, body=json.dumps({"tstamp": "2021-10-08T10:00:00Z", "remarks": "Swell"})
    )
    answer_validator(served, "POST", "/project/{project}/event", created.status_code).validate(json.loads(created.body))
    event = json.loads(created.body)["id"]
    planned = client.post(
        "/project/alpha/plan", headers=user, body=json.dumps({"line": 5212, "fsp": 1001, "lsp": 1050})
    )
    answer_validator(served, "POST", "/project/{project}/plan", planned.status_code).validate(json.loads(planned.body))
    queued = client.post("/queue/outgoing/asaqc", headers=user, body=json.dumps([{"project": "alpha", "sequence": 55}]))
    answer_validator(served, "POST", "/queue/outgoing/asaqc", queued.status_code).validate(json.loads(queued.body))
    checked = 0
    for url, path, role in SAMPLE:
        response = client.get(url.replace("{id}", str(event)), headers=as_role(role))
        assert response.status_code == 200, (url, response.body)
        body = json.loads(response.body)
        assert body, url  # an empty list would prove nothing
        answer_validator(served, "GET", path, response.status_code).validate(body)
        checked += 1
    assert checked == len(SAMPLE)
    missing = client.get("/project/alpha/sequence/99", headers=as_role("guest"))
    assert missing.status_code == 404
    answer_validator(served, "GET", "/project/{project}/sequence/{sequence}", 404).validate(json.loads(missing.body))


def test_the_suites_client_checks_every_json_answer(client, monkeypatch):
    """The shared ``client`` fixture validates each JSON answer of a documented status: a view that answers
    a shape its document does not give fails the test that called it."""
    from chalicelib.services import capabilities
    from tests.openapi_answers import AnswerMismatch

    assert client.get("/capabilities").status_code == 200  # the real answer validates
    monkeypatch.setattr(capabilities, "capabilities", lambda media_types: {"version": 3, "api": "0.3.1"})
    with pytest.raises(AnswerMismatch, match=r"GET /capabilities answered 200.*'version'|required"):
        client.get("/capabilities")
    # An error answer is checked against the documented error shape too.
    with pytest.raises(AnswerMismatch, match="4XX"):
        check_answer("GET", "/project/alpha/sequence/9", 404, {"Content-Type": "application/json"}, b'{"msg": 1}')
    # Not JSON, no body, or a path with no route: nothing to check.
    check_answer("GET", "/docs", 200, {"Content-Type": "text/html"}, b"<!DOCTYPE html>")
    check_answer("DELETE", "/project/alpha/event/3", 204, {}, b"")
    check_answer("GET", "/no/such/route", 403, {"Content-Type": "application/json"}, b"[]")


def test_a_projected_shotpoint_validates_as_a_projection(served, client, survey_project):
    """``?project=…`` answers some attributes of a shotpoint: the document says so (``ShotpointProjection``),
    while the whole model's required attributes still apply without a projection."""
    answer = client.get("/project/alpha/sequence/55/1020?project=point;objref", headers=as_role("guest"))
    assert answer.status_code == 200, answer.body
    body = json.loads(answer.body)
    assert set(body) == {"point", "objref"}
    path = "/project/{project}/sequence/{sequence}/{shot}"
    answer_validator(served, "GET", path, 200).validate(body)
    schema = served["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {
        "anyOf": [{"$ref": "#/components/schemas/Shotpoint"}, {"$ref": "#/components/schemas/ShotpointProjection"}]
    }
    whole = {
        **served,
        "paths": {
            path: {
                "get": {
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Shotpoint"}}}}
                    }
                }
            }
        },
    }
    with pytest.raises(jsonschema.ValidationError):
        answer_validator(whole, "GET", path, 200).validate(body)


def test_the_served_schemas_reject_a_wrong_answer(served):
    validator = answer_validator(served, "GET", "/project/{project}/sequence/{sequence}", 200)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"sequence": "fifty-five"})


# ------------------------------------------------------------------ /docs


def _offline(page: str) -> None:
    """No script, style, font or image from another host."""
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"@import|url\(", page)


def test_docs_is_swagger_ui_from_the_package_and_nothing_from_elsewhere(client):
    from importlib.resources import files

    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert page.startswith("<!DOCTYPE html>")
    assert 'url: "openapi.json"' in page and 'href="openapi.json"' in page
    assert "validatorUrl: null" in page  # the badge would ask a public server
    _offline(page)
    loaded = re.findall(r'(?:src|href)="(docs\?file=[^"]+)"', page)
    assert sorted(loaded) == ["docs?file=swagger-ui-bundle.js", "docs?file=swagger-ui.css"]
    # Each file is the package's own, with its media type.
    folder = files("swagger_ui_bundle")
    shipped = {p.name: p for p in folder.joinpath("vendor").iterdir() if p.name.startswith("swagger-ui-")}
    (distribution,) = shipped.values()
    for address, media in (
        ("docs?file=swagger-ui-bundle.js", "application/javascript"),
        ("docs?file=swagger-ui.css", "text/css"),
    ):
        answer = client.get("/" + address)
        assert answer.status_code == 200, address
        assert answer.headers["Content-Type"].startswith(media)
        body = answer.body if isinstance(answer.body, bytes) else answer.body.encode()
        assert body == distribution.joinpath(address.split("=")[1]).read_bytes()
    assert b"SwaggerUIBundle" in client.get("/docs?file=swagger-ui-bundle.js").body
    missing = client.get("/docs?file=index.html")
    assert missing.status_code == 404 and "swagger-ui.css" in json.loads(missing.body)["message"]


def test_docs_without_the_swagger_ui_package_is_the_page_of_our_own(client, monkeypatch):
    """The Lambda package does not carry Swagger UI: /docs is then the inline page, and the files are 404."""
    from chalicelib.api import docs_page

    monkeypatch.setattr(docs_page, "SWAGGER_UI_PACKAGE", "no_such_package_here")
    docs_page.swagger_ui_folder.cache_clear()
    docs_page.asset.cache_clear()
    try:
        page = client.get("/docs").body.decode()
        assert page == docs_page.PAGE
        assert 'fetch("openapi.json"' in page and 'href="openapi.json"' in page
        _offline(page)
        answer = client.get("/docs?file=swagger-ui.css")
        assert answer.status_code == 404 and "not installed here" in json.loads(answer.body)["message"]
    finally:
        docs_page.swagger_ui_folder.cache_clear()
        docs_page.asset.cache_clear()


def test_pydantic_schemas_become_openapi_3_0():
    convert = openapi._openapi30
    assert convert({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == {"type": "integer", "nullable": True}
    assert convert({"anyOf": [{"$ref": "#/components/schemas/Grid"}, {"type": "null"}]}) == {
        "allOf": [{"$ref": "#/components/schemas/Grid"}],
        "nullable": True,
    }
    assert convert({"const": "raw"}) == {"enum": ["raw"]}
    assert convert({"type": "number", "exclusiveMinimum": 0}) == {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
    }
    assert convert({"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}]}) == {
        "type": "array",
        "minItems": 2,
        "maxItems": 2,
        "items": {"type": "number"},
    }
    # A nullable enum lists null; a null default is left to `nullable` (OpenAPI 3.0 checks both without it).
    assert convert({"anyOf": [{"enum": ["raw", "final"], "type": "string"}, {"type": "null"}], "default": None}) == {
        "enum": ["raw", "final", None],
        "type": "string",
        "nullable": True,
    }
    # A property whose name is a keyword stays a property.
    assert convert({"properties": {"const": {"type": "string"}}}) == {"properties": {"const": {"type": "string"}}}


def test_the_document_is_built_without_reading_any_file(monkeypatch):
    """The Lambda package carries no copy of the contract: the generator reads nothing from disk."""
    import builtins
    import io
    import pathlib

    def refuse(*args, **kwargs):
        raise AssertionError(f"the document read a file: {args[:1]}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(pathlib.Path, "read_text", refuse)
    monkeypatch.setattr(pathlib.Path, "open", refuse)
    document = openapi.build_document()
    assert len(operations(document)) == len({(m, openapi.document_path(p)) for p, m in http.ROUTE_ROLES})


# ------------------------------------------------------------------ what a view reads is documented

_READS_BODY = re.compile(r"\b(json_body|parse_body|raw_body)\b")
_READS_QUERY = re.compile(r"\b(query_params|page_query)\b")
# The navigation feed documents its own routes (its hints come with that work).
UNDOCUMENTED_READS = {
    ("POST", "/navdata"): "body",
    ("GET", "/navdata"): "query",
    ("GET", "/navdata/gis/point"): "query",
    ("GET", "/navdata/gis/line"): "query",
}


def _source_with_helpers(func: Any, seen: set[Any]) -> str:
    """A view's source and that of the functions of its own module it calls, recursively."""
    func = inspect.unwrap(func)
    if func in seen:
        return ""
    seen.add(func)
    source = inspect.getsource(func)
    module = inspect.getmodule(func)
    for name in sorted(set(re.findall(r"\b([A-Za-z_]\w*)\(", source))):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and module is not None and helper.__module__ == module.__name__:
            source += _source_with_helpers(helper, seen)
    return source


def undocumented_reads(
    routes: dict[str, dict[str, Any]], docs: dict[tuple[str, str], Any]
) -> dict[tuple[str, str], str]:
    missing = {}
    for path, methods in routes.items():
        for method, entry in methods.items():
            doc = docs.get((path, method))
            source = _source_with_helpers(entry.view_function, set())
            if _READS_BODY.search(source) and (doc is None or doc.body is None):
                missing[(method, path)] = "body"
            if _READS_QUERY.search(source) and (doc is None or doc.query is None):
                missing[(method, path)] = "query"
    return missing


def test_every_view_that_reads_a_body_or_a_query_string_says_what_it_reads():
    """A view (or a helper of its module) that reads the body must name it in ``route(…, body=…)``, one that
    reads the query string in ``route(…, query=…)``: so the served document lists every parameter and body."""
    assert undocumented_reads(app.routes, http.ROUTE_DOCS) == UNDOCUMENTED_READS


def test_the_check_finds_a_view_without_its_hints():
    """The check itself: views that read a body and a query string, one through a helper, without hints."""
    from dataclasses import replace

    def _helper(request: Any) -> Any:
        return http.json_body(request)

    def reads_body_through_a_helper() -> Any:
        return _helper(None)

    def reads_query() -> Any:
        return http.query_params(None)

    globals()["_helper"] = _helper
    try:
        routes = {
            "/a": {"POST": type("Entry", (), {"view_function": staticmethod(reads_body_through_a_helper)})},
            "/b": {"GET": type("Entry", (), {"view_function": staticmethod(reads_query)})},
        }
        bare = http.RouteDoc(view=reads_query)
        assert undocumented_reads(routes, {("/b", "GET"): bare}) == {("POST", "/a"): "body", ("GET", "/b"): "query"}
        documented = {("/a", "POST"): replace(bare, body=dict), ("/b", "GET"): replace(bare, query=dict)}
        assert undocumented_reads(routes, documented) == {}
    finally:
        del globals()["_helper"]


def test_query_parameters_of_the_event_list_and_the_transfer_queue(served):
    ours = operations(served)

    def names(method: str, path: str) -> set[str]:
        return {p["name"] for p in ours[(method, path)].get("parameters", []) if p["in"] == "query"}

    assert {"sequence", "date0", "date1", "label", "limit", "offset", "delimiter", "fields", "header", "raw"} <= names(
        "GET", "/project/{project}/event"
    )
    assert names("GET", "/queue/outgoing/asaqc") == {"status", "order", "dir", "limit", "offset"}
    assert names("GET", "/audit") == {"project", "since", "actor", "limit", "offset"}
    for method, path in [
        ("PUT", "/project/{project}/configuration"),
        ("PUT", "/project/{project}/info/{path}"),
        ("PATCH", "/project/{project}/event/{id}"),
    ]:
        assert "requestBody" in ours[(method, path)], (method, path)
