"""Spec tag "project": list, create, archive, summary, configuration and info paths."""

from __future__ import annotations

import json

import pytest

from tests.integration.factories import as_role, make_project

CONFIG = {
    "grid": {"epsg": 32631},
    "online": {"line": {"pattern": {"flags": "i", "regex": "^(10|20)$", "captures": ["direction"]}}},
    "nothing": None,
    "list": [{"name": "first"}, {"name": "second"}],
    "flag": False,
}


def get(client, path, role="guest"):
    return client.get(path, headers=as_role(role))


def send(client, method, path, body, role="master"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.request(method, path, headers={**as_role(role), "Content-Type": "application/json"}, body=raw)


def test_create_list_and_summary(client):
    response = send(client, "POST", "/project", {"pid": "eq21205", "name": "Johan Castberg 4D", "groups": ["jc"]})
    assert response.status_code == 201
    assert response.headers["Location"] == "/project/eq21205"
    listed = json.loads(get(client, "/project").body)
    assert listed == [
        {"pid": "eq21205", "name": "Johan Castberg 4D", "schema": listed[0]["schema"], "groups": ["jc"], "meta": {}}
    ]
    assert listed[0]["schema"].startswith("survey_")
    for path in ("/project/eq21205", "/project/eq21205/summary"):
        summary = json.loads(get(client, path).body)
        assert summary["pid"] == "eq21205" and summary["name"] == "Johan Castberg 4D"
        assert summary["schema"] == listed[0]["schema"]
        for key in ("lines", "total", "virgin", "prime", "other", "ntba", "remaining", "seq_raw", "seq_final"):
            assert summary[key] == 0
        assert summary["fsp"] is None and summary["lsp"] is None and summary["prod_duration"] is None


def test_duplicate_project_is_409(client):
    make_project("alpha")
    response = send(client, "POST", "/project", {"pid": "alpha", "name": "Again"})
    assert response.status_code == 409
    assert "alpha" in json.loads(response.body)["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pid": "has space", "name": "x"}, "pid"),
        ({"pid": "x" * 33, "name": "x"}, "pid"),
        ({"pid": "ok", "name": ""}, "name"),
        ({"pid": "ok"}, "name"),
        ({"pid": "ok", "name": "x", "groups": "notalist"}, "groups"),
        ({"pid": "ok", "name": "x", "configuration": [1]}, "configuration"),
        ({"pid": "ok", "name": "x", "surprise": 1}, "surprise"),
        (b"[1, 2]", "object"),
        (b"{broken", "JSON"),
    ],
)
def test_bad_project_input_is_400_naming_the_field(client, body, field):
    response = send(client, "POST", "/project", body)
    assert response.status_code == 400
    assert field in json.loads(response.body)["message"]
    assert json.loads(get(client, "/project").body) == []


def test_unknown_project_is_404(client):
    for path in ("/project/nope", "/project/nope/summary", "/project/nope/configuration", "/project/nope/info/a"):
        response = get(client, path)
        assert response.status_code == 404, path
        assert "nope" in json.loads(response.body)["message"]


def test_archived_project_leaves_the_list_but_stays_readable(client):
    make_project("alpha")
    assert send(client, "DELETE", "/project/alpha", None).status_code == 204
    assert json.loads(get(client, "/project").body) == []
    assert get(client, "/project/alpha").status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "value"),
    [
        ("", 200, CONFIG),
        ("/grid", 200, {"epsg": 32631}),
        ("/grid/epsg", 200, 32631),
        ("/online/line/pattern/regex", 200, "^(10|20)$"),
        ("/online/line/pattern/captures/0", 200, "direction"),
        ("/list/1/name", 200, "second"),
        ("/nothing", 200, None),
        ("/flag", 200, False),
        ("/grid/zone", 404, None),
        ("/nothing/below", 404, None),
        ("/list/7", 404, None),
        ("/online/line/pattern/regex/deeper", 404, None),
    ],
)
def test_configuration_paths_through_the_router(client, path, status, value):
    make_project("alpha", configuration=CONFIG)
    response = get(client, f"/project/alpha/configuration{path}")
    assert response.status_code == status
    if status == 200:
        assert json.loads(response.body) == value
    else:
        assert "message" in json.loads(response.body)


def test_configuration_replaced_whole(client):
    make_project("alpha", configuration=CONFIG)
    assert send(client, "PUT", "/project/alpha/configuration", {"grid": {"epsg": 23031}}).status_code == 204
    assert json.loads(get(client, "/project/alpha/configuration").body) == {"grid": {"epsg": 23031}}
    assert get(client, "/project/alpha/configuration/online").status_code == 404


@pytest.mark.parametrize("body", [[1, 2], "text", 3, b"{oops"])
def test_configuration_must_be_an_object(client, body):
    make_project("alpha", configuration=CONFIG)
    response = send(client, "PUT", "/project/alpha/configuration", body)
    assert response.status_code == 400
    assert json.loads(get(client, "/project/alpha/configuration").body) == CONFIG


def test_info_store_paths_and_absence(client):
    make_project("alpha")
    qc = {"summary": {"fail": 3, "tests": ["speed", "gaps"]}, "none": None}
    assert send(client, "PUT", "/project/alpha/info/qc", qc, role="user").status_code == 204
    assert json.loads(get(client, "/project/alpha/info/qc").body) == qc
    assert json.loads(get(client, "/project/alpha/info/qc/summary/fail").body) == 3
    assert json.loads(get(client, "/project/alpha/info/qc/summary/tests/1").body) == "gaps"
    assert json.loads(get(client, "/project/alpha/info/qc/none").body) is None
    for missing in ("/project/alpha/info/other", "/project/alpha/info/qc/summary/pass", "/project/alpha/info/qc/x/y/z"):
        response = get(client, missing)
        assert response.status_code == 200 and response.body == b"", missing
    assert send(client, "DELETE", "/project/alpha/info/qc", None, role="user").status_code == 204
    assert get(client, "/project/alpha/info/qc").body == b""
    assert send(client, "DELETE", "/project/alpha/info/qc", None, role="user").status_code == 204  # idempotent


def test_info_write_needs_valid_json(client):
    make_project("alpha")
    response = send(client, "PUT", "/project/alpha/info/qc", b"{nope", role="user")
    assert response.status_code == 400
    assert get(client, "/project/alpha/info/qc").body == b""


def test_trailing_slash_answers_the_same(client):
    make_project("alpha", configuration=CONFIG)
    assert json.loads(get(client, "/project/alpha/configuration/grid/").body) == {"epsg": 32631}
