"""``GET /openapi.json`` and ``GET /docs`` (public): the API as this code serves it.

The document is built from the route table, never written by hand, so it cannot drift from the code: every
route registered through ``http.route`` (its role, media types, and the ``body``/``response``/``query`` types
it declares), the view's docstring as its summary, and the pydantic models' own JSON Schema turned into
OpenAPI 3.0. Operations of the Dougal API 0.3.1 keep the contract's tags and statuses (``CONTRACT_OPERATIONS``,
checked against the contract by a test); every other route is marked ``x-dougal-addition``. ``/docs`` is a
page of plain HTML and script that reads ``openapi.json`` next to it: nothing is fetched from elsewhere.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.api import http
from chalicelib.api.http import PUBLIC, route

if TYPE_CHECKING:
    from chalicelib.models.docs import DocsQuery
else:
    (DocsQuery,) = http.lazy_models("chalicelib.models.docs", "DocsQuery")

bp = Blueprint(__name__)

API_VERSION = "0.3.1"

# Every operation of the Dougal API 0.3.1 as (METHOD, path as the contract spells it): its tags and the status
# of success. The API's own routes drop the trailing slash of ``…/line/`` and ``…/sequence/``.
CONTRACT_OPERATIONS: dict[tuple[str, str], tuple[tuple[str, ...], int | None]] = {
    ("GET", "/project"): (("project",), 200),
    ("GET", "/project/{project}"): (("project",), 200),
    ("GET", "/project/{project}/line/"): (("preplot",), 200),
    ("PATCH", "/project/{project}/line/{line}"): (("preplot",), 204),
    ("GET", "/project/{project}/sequence/"): (("sequences",), 200),
    ("GET", "/project/{project}/sequence/{sequence}"): (("sequences",), 200),
    ("PATCH", "/project/{project}/sequence/{sequence}"): (("sequences",), 204),
    ("GET", "/project/{project}/sequence/{sequence}/{shot}"): (("sequences",), 200),
    ("GET", "/project/{project}/plan"): (("planner",), 200),
    ("POST", "/project/{project}/plan"): (("planner",), 201),
    ("PUT", "/project/{project}/plan"): (("planner",), 201),
    ("PATCH", "/project/{project}/plan/{sequence}"): (("planner",), 201),
    ("DELETE", "/project/{project}/plan/{sequence}"): (("planner",), 204),
    ("GET", "/project/{project}/event"): (("log",), 200),
    ("POST", "/project/{project}/event"): (("log",), 201),
    ("GET", "/project/{project}/event/{id}"): (("log",), 200),
    ("PUT", "/project/{project}/event/{id}"): (("log",), 201),
    ("PATCH", "/project/{project}/event/{id}"): (("log",), 201),
    ("DELETE", "/project/{project}/event/{id}"): (("log",), 204),
    ("GET", "/project/{project}/changes/{since}"): (("log",), 200),
    ("GET", "/project/{project}/label"): (("project",), 200),
    ("GET", "/project/{project}/qc/results"): (("qc",), 200),
    ("DELETE", "/project/{project}/qc/results"): (("qc",), 204),
    ("POST", "/project/{project}/qc/results/accept"): (("qc",), 204),
    ("POST", "/project/{project}/qc/results/unaccept"): (("qc",), 204),
    ("GET", "/project/{project}/qc/results/sequence/{sequence}"): (("qc",), 200),
    ("DELETE", "/project/{project}/qc/results/sequence/{sequence}"): (("qc",), 204),
    ("GET", "/project/{project}/configuration/{path}"): (("project",), 200),
    ("GET", "/project/{project}/info/{path}"): (("project",), 200),
    ("GET", "/project/{project}/meta/{type}/{kind}/{path}"): (("project", "metadata"), 200),
    ("PUT", "/project/{project}/meta"): (("project", "metadata"), 201),
    ("GET", "/navdata"): (("navdata",), 200),
    ("GET", "/navdata/gis/point"): (("navdata",), 200),
    ("GET", "/navdata/gis/line"): (("navdata",), 200),
    ("GET", "/queue/outgoing/asaqc"): (("asaqc",), 200),
    ("POST", "/queue/outgoing/asaqc"): (("asaqc",), 202),
    ("DELETE", "/queue/outgoing/asaqc/{id}"): (("asaqc",), 204),
    ("POST", "/login"): (("login",), 204),
    ("GET", "/logout"): (("login",), None),
    ("POST", "/logout"): (("login",), None),
}

# The tag of a route outside the contract: the api module it lives in.
MODULE_TAGS = {
    "asaqc": "asaqc",
    "auth": "login",
    "capabilities": "capabilities",
    "events": "log",
    "files": "files",
    "gis": "gis",
    "health": "health",
    "metadata": "metadata",
    "openapi": "documentation",
    "planner": "planner",
    "preplots": "preplot",
    "projects": "project",
    "qc": "qc",
    "receivers": "receivers",
    "sequences": "sequences",
    "status": "status",
}

TAG_DESCRIPTIONS = {
    "project": "Projects (surveys): their summary, configuration, free information and labels.",
    "preplot": "Preplot lines and their production figures.",
    "sequences": "Acquired sequences and their shotpoints.",
    "planner": "Sequences planned ahead, infill proposals and the completion forecast.",
    "log": "The event log: entries by people and by the system, their history and changes.",
    "qc": "Quality-control findings and their acceptance.",
    "metadata": "Metadata attached to sequences, points and lines.",
    "asaqc": "Line logs queued for the client's ASAQC service.",
    "login": "Signing in and out.",
    "files": "Navigation and preplot files uploaded to the project.",
    "receivers": "Receiver positions read from uploaded files.",
    "status": "The state of the system for whoever runs it.",
    "capabilities": "What this installation reads, serves and checks.",
    "gis": "Map views of a project for the office page: lines by state, sequence tracks, events by position.",
    "health": "A cheap liveness answer for load balancers.",
    "documentation": "This document and a page to browse it.",
}

_NESTED = re.compile(r"(/\{p1\})(/\{p\d+\})*$")
_PARAMETER = re.compile(r"\{([^}]+)\}")
# Path parameters the views read as integers (``http.int_param``).
_INTEGER_PARAMETERS = {"line", "sequence", "shot", "id"}
_HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_BINARY_MEDIA = {"application/pdf"}
_TEXT_MEDIA = {"text/csv", "text/html", "text/css", "application/javascript"}
_JSON = "application/json"


def document_path(path: str) -> str:
    """The path of a route in the document: a family of ``{p1}``…``{pN}`` routes is one ``{path}``."""
    return _NESTED.sub("/{path}", path)


def operation_key(path: str) -> str:
    """A path with its parameters unnamed and no trailing slash, to compare the contract's and ours."""
    return _PARAMETER.sub("{}", document_path(path).rstrip("/") or "/")


def _contract_by_key() -> dict[tuple[str, str], tuple[tuple[str, ...], int | None]]:
    return {(method, operation_key(path)): found for (method, path), found in CONTRACT_OPERATIONS.items()}


def _summary(view: Any) -> tuple[str, str]:
    doc = inspect.getdoc(view) or ""
    if not doc:
        return view.__name__.replace("_", " ").capitalize(), ""
    first, _, rest = doc.partition("\n\n")
    return " ".join(first.split()), rest.strip()


def _openapi30(node: Any) -> Any:
    """Pydantic's JSON Schema (2020-12) as an OpenAPI 3.0 schema object."""
    if isinstance(node, list):
        return [_openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$defs", "examples", "propertyNames", "patternProperties", "dependentRequired"):
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "exclusiveMinimum" and not isinstance(value, bool):
            out["minimum"], out["exclusiveMinimum"] = value, True
        elif key == "exclusiveMaximum" and not isinstance(value, bool):
            out["maximum"], out["exclusiveMaximum"] = value, True
        elif key == "prefixItems":
            out.setdefault("minItems", len(value))
            out.setdefault("maxItems", len(value))
        elif key in ("properties",):
            out[key] = {name: _openapi30(schema) for name, schema in value.items()}
        elif key == "discriminator" and isinstance(value, dict):
            out[key] = value
        else:
            out[key] = _openapi30(value)
    if "prefixItems" in node and "items" not in out:
        items = [_openapi30(item) for item in node["prefixItems"]]
        out["items"] = items[0] if len({json.dumps(i, sort_keys=True) for i in items}) == 1 else {"anyOf": items}
    if isinstance(out.get("type"), list):
        types = [t for t in out["type"] if t != "null"]
        if len(types) < len(out["type"]):
            out["nullable"] = True
        if len(types) == 1:
            out["type"] = types[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": t} for t in types]
    for combiner in ("anyOf", "oneOf"):
        options = out.get(combiner)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del out[combiner]
            if len(rest) == 1 and "$ref" not in rest[0]:
                out = {**out, **rest[0]}
            elif len(rest) == 1:
                out["allOf"] = rest
            else:
                out[combiner] = rest
            out["nullable"] = True
    if out.get("nullable"):
        # OpenAPI 3.0 checks a default and an enum against the schema without its `nullable`: a null default
        # says no more than `nullable` does, and a nullable enum lists null among its values.
        if "default" in out and out["default"] is None:
            del out["default"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


class _Schemas:
    """The JSON Schemas of every type the routes declare, their models gathered under components."""

    def __init__(self, wanted: list[tuple[str, str, Any]]) -> None:
        from pydantic import TypeAdapter

        inputs = [(key, mode, TypeAdapter(tp)) for key, mode, tp in wanted]
        found, defs = TypeAdapter.json_schemas(inputs, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
        self.components = {name: _openapi30(schema) for name, schema in defs.get("$defs", {}).items()}
        self.by_key = {key: _openapi30(schema) for (key, _), schema in found.items()}

    def get(self, key: str) -> dict[str, Any] | None:
        return self.by_key.get(key)


def _parameters(path: str, query: dict[str, Any] | None, components: dict[str, Any]) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name in _PARAMETER.findall(path):
        schema: dict[str, Any] = {"type": "integer"} if name in _INTEGER_PARAMETERS else {"type": "string"}
        parameter = {"name": name, "in": "path", "required": True, "schema": schema}
        if name == "path":
            parameter["description"] = "A path into the stored JSON: keys and array indexes separated by `/`."
        parameters.append(parameter)
    if query:
        while "$ref" in query:
            query = components[query["$ref"].rsplit("/", 1)[1]]
        for name, schema in query.get("properties", {}).items():
            # Every query parameter has a default on the wire, whatever the model requires once parsed. A query
            # string holds no null: an absent parameter is the model's None, so neither is said.
            schema = {k: v for k, v in schema.items() if k != "nullable" and not (k == "default" and v is None)}
            parameters.append({"name": name, "in": "query", "required": False, "schema": schema})
    return parameters


def _content_schema(media: str, json_schema: dict[str, Any] | None) -> dict[str, Any]:
    if media in _BINARY_MEDIA:
        return {"type": "string", "format": "binary"}
    if media in _TEXT_MEDIA:
        return {"type": "string"}
    if media == _JSON and json_schema is not None:
        return json_schema
    return {}


def _success_statuses(method: str, declared: tuple[int, ...], contract: int | None | bool) -> tuple[int, ...]:
    if declared:
        return declared
    if isinstance(contract, int) and not isinstance(contract, bool):
        return (contract,)
    return {"GET": (200,), "POST": (201,), "DELETE": (204,)}.get(method, (204,))


def build_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document of every route in ``http.ROUTE_ROLES``."""
    wanted: list[tuple[str, str, Any]] = []
    for (path, method), doc in sorted(http.ROUTE_DOCS.items()):
        for kind, mode, tp in (
            ("body", "validation", http.resolve_hint(doc.body)),
            ("response", "serialization", http.resolve_hint(doc.response)),
            ("query", "validation", http.resolve_hint(doc.query)),
        ):
            if tp is not None:
                wanted.append((f"{kind} {method} {path}", mode, tp))
    schemas = _Schemas(wanted)
    components: dict[str, Any] = dict(schemas.components)
    components["Error"] = {
        "type": "object",
        "required": ["message"],
        "properties": {"message": {"type": "string", "description": "What was wrong, in words."}},
    }
    contract = _contract_by_key()
    paths: dict[str, dict[str, Any]] = {}
    used_tags: set[str] = set()
    for (path, method), role in sorted(http.ROUTE_ROLES.items()):
        doc = http.ROUTE_DOCS[(path, method)]
        shown = document_path(path)
        if method.lower() in paths.get(shown, {}):
            continue  # another depth of a nested family
        key = (method, operation_key(path))
        summary, description = _summary(doc.view)
        module = doc.view.__module__.rsplit(".", 1)[-1]
        tags, contract_status = contract.get(key, ((MODULE_TAGS.get(module, module),), None))
        operation: dict[str, Any] = {
            "operationId": doc.view.__name__,
            "summary": summary,
            "tags": list(tags),
            "x-dougal-role": role,
        }
        if (path, method) in http.VESSEL_ROUTES:
            operation["x-dougal-vessel"] = True  # an account of role vessel may use it (and nothing else)
        used_tags.update(tags)
        if description:
            operation["description"] = description
        if key not in contract:
            operation["x-dougal-addition"] = True
        parameters = _parameters(shown, schemas.get(f"query {method} {path}"), components)
        if parameters:
            operation["parameters"] = parameters
        body = schemas.get(f"body {method} {path}")
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {_JSON: {"schema": body}}}
        media_types = http.MEDIA_TYPES.get((path, method), (_JSON,))
        response = schemas.get(f"response {method} {path}")
        if doc.projection and response is not None and "$ref" in response:
            response = _with_projection(response, components)
        responses: dict[str, Any] = {}
        for status in _success_statuses(method, doc.status, contract_status if key in contract else False):
            answer: dict[str, Any] = {"description": "Success" if status < 400 else "Failure"}
            if status != 204:
                answer["content"] = {m: {"schema": _content_schema(m, response)} for m in media_types}
            responses[str(status)] = answer
        error = {"content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
        responses["4XX"] = {"description": "Bad request, not allowed, not found or not acceptable", **error}
        if role != PUBLIC:
            responses["401"] = {"description": f"No valid token, or a role below {role}", **error}
            responses["503"] = {"description": "The database is busy or out of reach: try again later", **error}
            operation["security"] = [{"bearerAuth": []}, {"cookieAuth": []}]
        operation["responses"] = responses
        paths.setdefault(shown, {})[method.lower()] = operation
    _unique_operation_ids(paths)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Dougal",
            "version": API_VERSION,
            "description": (
                "The seismic production system's HTTP API as this installation serves it. Operations marked "
                "`x-dougal-addition` go beyond the Dougal API 0.3.1; `x-dougal-role` is the least role a caller "
                "needs (guest reads, user writes, master administers)."
            ),
        },
        "tags": [{"name": t, "description": TAG_DESCRIPTIONS.get(t, t)} for t in sorted(used_tags)],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "JWT"},
            },
        },
    }


def _with_projection(response: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The answer of a route with the contract's projections: the whole model, or some of its attributes."""
    name = response["$ref"].rsplit("/", 1)[1]
    partial = {k: v for k, v in components[name].items() if k not in ("required", "title")}
    partial["description"] = f"Some attributes of {name}: those named in the query's `project`."
    components[f"{name}Projection"] = partial
    return {"anyOf": [response, {"$ref": f"#/components/schemas/{name}Projection"}]}


def _unique_operation_ids(paths: dict[str, dict[str, Any]]) -> None:
    """One view serving several methods (``write_info``: PUT and DELETE) gets one id per method."""
    operations = [(method, op) for item in paths.values() for method, op in item.items()]
    counts: dict[str, int] = {}
    for _, op in operations:
        counts[op["operationId"]] = counts.get(op["operationId"], 0) + 1
    for method, op in operations:
        if counts[op["operationId"]] > 1:
            op["operationId"] = f"{op['operationId']}_{method}"


@functools.cache
def served_document() -> str:
    """The document as JSON text, built once per container (the route table is fixed once the app is loaded)."""
    return json.dumps(build_document(), separators=(",", ":"))


@route(bp, "/openapi.json", role=PUBLIC)
def get_openapi_document() -> Any:
    """The OpenAPI 3.0 document of this API, generated from its routes and models."""
    return Response(body=served_document(), status_code=200, headers={"Content-Type": _JSON})


@route(
    bp,
    "/docs",
    role=PUBLIC,
    media_types=("text/html", "text/css", "application/javascript"),
    query=DocsQuery,
)
def get_docs_page() -> Any:
    """A page to browse the API document (Swagger UI where installed), readable offline.

    With ``file=swagger-ui.css`` or ``file=swagger-ui-bundle.js``: that file of Swagger UI, which the page
    loads (where the Swagger UI package is installed; else 404)."""
    from chalicelib import errors
    from chalicelib.api import docs_page

    name = http.query_params(bp.current_request).get("file")
    if name is None:
        return Response(body=docs_page.page(), status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
    text = docs_page.asset(name)
    if text is None:
        if name in docs_page.ASSETS:
            raise errors.NotFoundError(f"{name} is not installed here: /docs shows its own page instead")
        raise errors.NotFoundError(f"No file {name[:60]!r}: /docs loads {', '.join(docs_page.ASSETS)}")
    headers: dict[str, str | list[str]] = {
        "Content-Type": docs_page.ASSETS[name],
        "Cache-Control": "public, max-age=86400",
    }
    return Response(body=text, status_code=200, headers=headers)


def document_text() -> str:
    """The document as the repository keeps it (``openapi.json``): indented, keys in the built order."""
    return json.dumps(build_document(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """``python -m chalicelib.api.openapi > openapi.json``: the document of every route of the app."""
    import sys

    import app  # noqa: F401 - registers every route

    sys.stdout.write(document_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
