"""Every JSON answer the test suite receives, checked against the served OpenAPI document.

The shared ``client`` fixture (``tests/conftest.py``) sends each answer here: when its status is one the
document lists for the operation (exactly, or as ``4XX``) and its body is JSON, the body must validate against
the schema the document gives for that status and media type. The document is built once per test session
(``chalicelib.api.openapi.served_document``, what ``GET /openapi.json`` serves) and each schema compiled once.

A status the document does not list is not a validation error here (the fuzzer's status check covers that);
such answers are counted in ``UNDOCUMENTED`` so a run can say what it saw.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import jsonschema

METHODS = ("get", "post", "put", "patch", "delete")
# (METHOD, document path, status) of answers whose status the document does not list.
UNDOCUMENTED: Counter[tuple[str, str, int]] = Counter()
# Answers validated, by (METHOD, document path): so a run can show what it covered.
VALIDATED: Counter[tuple[str, str]] = Counter()


class AnswerMismatch(AssertionError):
    """An answer whose body does not match the schema the served document gives it."""


def json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema → draft 4 JSON Schema: nullable as a null alternative, refs into definitions."""
    if isinstance(node, list):
        return [json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": "#/definitions/" + node["$ref"].rsplit("/", 1)[1]}
    out = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: json_schema(s) for name, s in value.items()}
        elif key not in ("nullable", "discriminator", "example"):
            out[key] = json_schema(value)
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def documented_code(operation: dict[str, Any], status: int) -> str | None:
    """The key of ``operation["responses"]`` that covers ``status``: the status itself, else its class."""
    for code in (str(status), f"{str(status)[0]}XX"):
        if code in operation["responses"]:
            return code
    return None


def validator_for(served: dict[str, Any], method: str, path: str, status: int, media: str = "application/json"):
    """A draft 4 validator of the answer ``status`` of ``method path`` in ``media`` (asserts it is documented)."""
    op = served["paths"][path][method.lower()]
    code = documented_code(op, status)
    assert code is not None, f"{method} {path} answered {status}, not in the document"
    schema = op["responses"][code]["content"][media]["schema"]
    definitions = {name: json_schema(s) for name, s in served["components"]["schemas"].items()}
    return jsonschema.Draft4Validator({**json_schema(schema), "definitions": definitions})


@functools.cache
def served() -> dict[str, Any]:
    """The document ``GET /openapi.json`` serves, parsed once per session."""
    import app  # noqa: F401 - registers every route before the document is built
    from chalicelib.api import openapi

    return dict(json.loads(openapi.served_document()))


@functools.cache
def _matcher() -> Any:
    from chalice.local import RouteMatcher

    from app import app

    return RouteMatcher(list(app.routes))


@functools.cache
def _validator(method: str, path: str, code: str, media: str) -> jsonschema.Draft4Validator | None:
    document = served()
    content = document["paths"][path][method.lower()]["responses"][code].get("content", {})
    if media not in content:
        return None
    definitions = {name: json_schema(s) for name, s in document["components"]["schemas"].items()}
    return jsonschema.Draft4Validator({**json_schema(content[media]["schema"]), "definitions": definitions})


def document_operation(method: str, url: str) -> tuple[str, dict[str, Any]] | None:
    """The document's path and operation answering ``method url`` (None: no route, or not in the document)."""
    from chalicelib.api import openapi

    try:
        route = _matcher().match_route(urlsplit(url).path).route
    except ValueError:
        return None
    path = openapi.document_path(route)
    operation = served()["paths"].get(path, {}).get(method.lower())
    return (path, operation) if operation is not None else None


def check_answer(method: str, url: str, status: int, headers: dict[str, Any], body: bytes) -> None:
    """Raise ``AnswerMismatch`` when a JSON answer with a documented status does not match its schema."""
    found = document_operation(method, url)
    if found is None or not body:
        return
    path, operation = found
    media = str(headers.get("Content-Type") or headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return
    code = documented_code(operation, status)
    if code is None:
        UNDOCUMENTED[(method.upper(), path, status)] += 1
        return
    validator = _validator(method.upper(), path, code, media)
    if validator is None:
        if media == "application/json":
            raise AnswerMismatch(f"{method.upper()} {url} answered {status} in JSON, which the document does not list")
        return  # another +json media type of a route that lists its own
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise AnswerMismatch(f"{method.upper()} {url} answered {status} with a body that is not JSON") from exc
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(the body)"
        raise AnswerMismatch(
            f"{method.upper()} {url} answered {status}, which does not match the document ({path} {code}): "
            f"at {where}: {first.message[:300]}"
        )
    VALIDATED[(method.upper(), path)] += 1


class ValidatingClient:
    """The Chalice test client with every answer checked by ``check_answer``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Any:
        response = self._inner.request(method, path, headers=headers, body=body)
        check_answer(method, path, response.status_code, dict(response.headers), response.body)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Any:
        return self._inner.request("OPTIONS", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Any:
        return self._inner.request("HEAD", path, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
