"""Role x route matrix: every route, every caller, own project and a project outside the account's list.

The table is the access contract. A route added to the app without a row here
fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import json
import re

import pytest

from app import app
from chalicelib.api.http import MAX_PATH_DEPTH
from tests.integration.factories import as_role, make_project

NESTED = "{path}"  # a route family registered at every depth 1..MAX_PATH_DEPTH

# (method, path, role needed, status when allowed, body)
# role "public": no token needed.
MATRIX: list[tuple[str, str, str, int, object]] = [
    ("GET", "/health", "public", 200, None),
    ("GET", "/capabilities", "public", 200, None),
    ("GET", "/openapi.json", "public", 200, None),
    ("GET", "/docs", "public", 200, None),
    ("GET", "/status", "user", 200, None),
    ("GET", "/audit", "master", 200, None),
    ("POST", "/login", "public", 401, {"user": "nobody", "password": "wrong-password"}),
    ("GET", "/logout", "public", 204, None),
    ("POST", "/logout", "public", 204, None),
    ("GET", "/session", "guest", 200, None),
    ("GET", "/project", "guest", 200, None),
    ("POST", "/project", "master", 201, {"pid": "gamma", "name": "New survey"}),
    ("GET", "/project/{project}", "guest", 200, None),
    ("DELETE", "/project/{project}", "master", 204, None),
    ("GET", "/project/{project}/summary", "guest", 200, None),
    ("GET", "/project/{project}/configuration", "guest", 200, None),
    ("PUT", "/project/{project}/configuration", "master", 204, {"grid": {"epsg": 32631}}),
    ("GET", "/project/{project}/configuration/" + NESTED, "guest", 200, None),
    ("GET", "/project/{project}/info/" + NESTED, "guest", 200, None),
    ("PUT", "/project/{project}/info/{p1}", "user", 204, {"any": "value"}),
    ("DELETE", "/project/{project}/info/{p1}", "user", 204, None),
    ("GET", "/project/{project}/meta/{type}/{kind}/" + NESTED, "guest", 400, None),
    ("PUT", "/project/{project}/meta", "user", 404, {"line": 5210, "value": {"a": 1}}),
    ("GET", "/project/{project}/files", "guest", 200, None),
    ("GET", "/project/{project}/receiver", "guest", 200, None),
    ("GET", "/project/{project}/line", "guest", 200, None),
    ("PATCH", "/project/{project}/line/{line}", "user", 404, {"remarks": "no such line yet"}),
    ("GET", "/project/{project}/sequence", "guest", 200, None),
    ("GET", "/project/{project}/sequence/{sequence}", "guest", 404, None),
    ("PATCH", "/project/{project}/sequence/{sequence}", "user", 404, {"remarks": "no such sequence"}),
    ("GET", "/project/{project}/sequence/{sequence}/{shot}", "guest", 404, None),
    ("GET", "/project/{project}/plan", "guest", 200, None),
    ("POST", "/project/{project}/plan", "user", 400, {"line": 5210, "fsp": 1000, "lsp": 1010}),
    ("PUT", "/project/{project}/plan", "user", 404, {"sequence": 55, "fsp": 1000, "lsp": 1010}),
    ("PATCH", "/project/{project}/plan/{sequence}", "user", 404, {"remarks": "no such planned sequence"}),
    ("DELETE", "/project/{project}/plan/{sequence}", "user", 204, None),
    ("POST", "/project/{project}/plan/infill", "user", 200, None),
    ("GET", "/project/{project}/forecast", "guest", 200, None),
    ("GET", "/project/{project}/gis/line", "guest", 200, None),
    ("GET", "/project/{project}/gis/sequence", "guest", 200, None),
    ("GET", "/project/{project}/gis/event", "guest", 200, None),
    ("GET", "/project/{project}/gis/sequence/{sequence}/profile", "guest", 404, None),
    ("GET", "/project/{project}/event", "guest", 200, None),
    ("POST", "/project/{project}/event", "user", 201, {"tstamp": "2021-10-08T10:00:00Z", "remarks": "Weather"}),
    ("GET", "/project/{project}/event/{id}", "guest", 404, None),
    ("PUT", "/project/{project}/event/{id}", "user", 404, {"tstamp": "2021-10-08T10:00:00Z", "remarks": "x"}),
    ("PATCH", "/project/{project}/event/{id}", "user", 404, {"remarks": "x"}),
    ("DELETE", "/project/{project}/event/{id}", "user", 404, None),
    ("GET", "/project/{project}/changes/{since}", "guest", 200, None),
    ("GET", "/project/{project}/label", "guest", 200, None),
    ("GET", "/project/{project}/qc/results", "guest", 200, None),
    ("DELETE", "/project/{project}/qc/results", "user", 204, None),
    ("GET", "/project/{project}/qc/results/sequence/{sequence}", "guest", 404, None),
    ("DELETE", "/project/{project}/qc/results/sequence/{sequence}", "user", 404, None),
    ("POST", "/project/{project}/qc/results/accept", "user", 400, [99999]),
    ("POST", "/project/{project}/qc/results/unaccept", "user", 400, [99999]),
    ("GET", "/navdata", "guest", 200, None),
    ("POST", "/navdata", "user", 201, [{"tstamp": "2021-10-08T10:37:57Z", "lat": 59.18, "lon": 2.48}]),
    ("GET", "/navdata/latest", "guest", 404, None),
    ("GET", "/navdata/gis/point", "guest", 200, None),
    ("GET", "/navdata/gis/line", "guest", 200, None),
    ("GET", "/queue/outgoing/asaqc", "guest", 200, None),
    ("POST", "/queue/outgoing/asaqc", "user", 202, [{"project": "alpha", "sequence": 55}]),
    ("DELETE", "/queue/outgoing/asaqc/{id}", "user", 404, None),
]

# The only routes an account of role "vessel" may use besides the public ones; every other route is 403 for it.
VESSEL_ROUTES = {("POST", "/navdata")}

CALLERS = ["none", "guest", "user", "master", "vessel"]
RANK = {"public": 0, "guest": 1, "user": 2, "master": 3}


def _expand(path: str) -> list[str]:
    if not path.endswith(NESTED):
        return [path]
    prefix = path[: -len(NESTED)]
    return [prefix + "/".join(f"{{p{i}}}" for i in range(1, n + 1)) for n in range(1, MAX_PATH_DEPTH + 1)]


CASES = [
    (method, concrete, needed, ok, body) for method, path, needed, ok, body in MATRIX for concrete in _expand(path)
]


def _nested(depth: int) -> dict:
    value: object = "deep"
    for i in range(depth, 0, -1):
        value = {f"k{i}": value}
    assert isinstance(value, dict)
    return value


def _url(path: str, pid: str) -> str:
    url = path.replace("{project}", pid).replace("{line}", "5210").replace("{sequence}", "55")
    url = (
        url.replace("{type}", "lines")
        .replace("{kind}", "preplot")
        .replace("{shot}", "2576")
        .replace("{id}", "99999")
        .replace("{since}", "2021-01-01T00:00:00Z")
    )
    return re.sub(r"\{p(\d+)\}", lambda m: f"k{m.group(1)}", url)


def _expected(method: str, path: str, needed: str, ok: int, caller: str, scope: str, has_project: bool) -> int:
    if needed == "public":
        return ok
    if caller == "none":
        return 401
    if caller == "vessel":
        return ok if (method, path) in VESSEL_ROUTES else 403
    if RANK[caller] < RANK[needed]:
        return 401
    if scope == "other" and has_project:
        return 404
    return ok


def test_every_route_is_in_the_matrix():
    listed = {(method, path) for method, path, *_ in CASES}
    routed = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert routed - listed == set(), "routes without an access rule in the matrix"
    assert listed - routed == set(), "matrix rows for routes that do not exist"


@pytest.mark.parametrize("scope", ["own", "other"])
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path", "needed", "ok", "body"), CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_route_access(request, client, method, path, needed, ok, body, caller, scope):
    if path in ("/health", "/status") or "/qc/" in path or path.startswith("/queue/"):
        # health and status look at the queues; QC deletions send regeneration messages; transfers send wake-ups
        request.getfixturevalue("aws")
    nested = _nested(MAX_PATH_DEPTH)
    make_project("alpha", configuration=nested)
    make_project("beta", configuration=nested)
    from chalicelib.db import projects as db_projects

    for pid in ("alpha", "beta"):
        db_projects.put_info(pid, "k1", nested["k1"])
    # Callers are limited to project "alpha"; "other" addresses "beta".
    headers = {} if caller == "none" else as_role(caller, projects=["alpha"])
    headers["Content-Type"] = "application/json"
    pid = "alpha" if scope == "own" else "beta"
    raw = json.dumps(body).encode() if body is not None else b""
    response = client.request(method, _url(path, pid), headers=headers, body=raw)
    expected = _expected(method, path, needed, ok, caller, scope, "{project}" in path)
    assert response.status_code == expected, response.body
    if response.status_code >= 400:
        assert "message" in json.loads(response.body)
    if expected == 401 and needed != "public" and caller != "none":
        assert needed in json.loads(response.body)["message"]
    if expected == 403 and caller == "vessel":
        assert "vessel" in json.loads(response.body)["message"]


def test_the_vessel_routes_are_the_apps():
    from chalicelib.api import http

    assert http.VESSEL_ROUTES == {(path, method) for method, path in VESSEL_ROUTES}


def test_limited_account_sees_only_its_projects_in_the_list(client):
    make_project("alpha")
    make_project("beta")
    listed = json.loads(client.get("/project", headers=as_role("user", projects=["alpha"])).body)
    assert [p["pid"] for p in listed] == ["alpha"]
    everything = json.loads(client.get("/project", headers=as_role("user")).body)
    assert [p["pid"] for p in everything] == ["alpha", "beta"]
