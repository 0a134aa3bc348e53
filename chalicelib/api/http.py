"""What every view shares: routing with its role, errors as ``{"message"}``, bodies and queries.

``route`` registers a view on a blueprint *and* records the role the route
needs, so the access rules live next to the view and the auth middleware reads
them from one table (``ROUTE_ROLES``). Chalice turns a view's exception into a
500 before middleware sees it, so ``route`` also wraps each view with
``endpoint``, which maps ``DougalError`` to its status.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import errors
from chalicelib.models.auth import Actor, Identity
from chalicelib.models.limits import INT32_MAX, INT32_MIN, MAX_JSON_DEPTH
from chalicelib.models.paging import DEFAULT_LIST_PAGE, MAX_LIST_PAGE, PageQuery
from chalicelib.observability import logger

PUBLIC = "public"
GUEST, USER, MASTER = "guest", "user", "master"
VESSEL = "vessel"  # models.auth.VESSEL: the vessel's sender, admitted only where a route says ``vessel=True``
# Deepest `{path}` the configuration and info routes accept (a/b/c/…).
MAX_PATH_DEPTH = 8

# (resource path, method) -> role needed ("public" needs no token)
ROUTE_ROLES: dict[tuple[str, str], str] = {}
# The routes an account of role ``vessel`` may use besides the public ones (it may use no other: 403).
VESSEL_ROUTES: set[tuple[str, str]] = set()
# (resource path, method) -> the media types a route answers with, the default first (routes that offer more
# than JSON declare them; ``/capabilities`` lists them).
MEDIA_TYPES: dict[tuple[str, str], tuple[str, ...]] = {}


@dataclass(frozen=True)
class RouteDoc:
    """What the served API document says of one route beyond its role and media types.

    ``body``, ``response`` and ``query`` are types pydantic can describe (a model, ``list[Model]``); ``status``
    the success statuses when they are not the usual ones for the method.
    """

    view: Callable[..., Any]
    body: Any = None
    response: Any = None
    query: Any = None
    status: tuple[int, ...] = ()
    projection: bool = False
    """The answer may hold only the attributes the query's ``project`` names (the contract's projections)."""


# (resource path, method) -> the view and the shapes of what it reads and answers (``GET /openapi.json``).
ROUTE_DOCS: dict[tuple[str, str], RouteDoc] = {}

ModelT = TypeVar("ModelT", bound=BaseModel)


def route(
    bp: Blueprint,
    path: str,
    methods: tuple[str, ...] = ("GET",),
    role: str | None = None,
    media_types: Sequence[str] = (),
    *,
    body: Any = None,
    response: Any = None,
    query: Any = None,
    status: int | tuple[int, ...] = (),
    vessel: bool = False,
    projection: bool = False,
    **kwargs: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view. Default role: ``guest`` for GET, ``user`` for writes; ``vessel``: an account of role
    ``vessel`` may use it too (the only routes it may use). ``media_types``: what the view
    negotiates (``negotiate(request, media_types)``), when it offers more than JSON. ``body``, ``response``,
    ``query``, ``status`` and ``projection`` only describe the route in the served API document (``RouteDoc``)."""
    statuses = (status,) if isinstance(status, int) else tuple(status)

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        wrapped = endpoint(func)
        for method in methods:
            needed = role or (GUEST if method == "GET" else USER)
            ROUTE_ROLES[(path, method)] = needed
            if vessel:
                VESSEL_ROUTES.add((path, method))
            if media_types:
                MEDIA_TYPES[(path, method)] = tuple(media_types)
            ROUTE_DOCS[(path, method)] = RouteDoc(func, body, response, query, statuses, projection)
        bp.route(path, methods=list(methods), **kwargs)(wrapped)
        return wrapped

    return decorator


def nested_paths(prefix: str, depth: int = MAX_PATH_DEPTH) -> list[str]:
    """``prefix/{p1}``, ``prefix/{p1}/{p2}``, … — a `{path}` with `/` inside.

    Chalice does not match greedy ``{path+}`` routes in ``chalice local`` or its
    test client, so a path of up to ``depth`` segments is routed the same way in
    all three (API Gateway included) by registering each depth.
    """
    return [prefix + "".join(f"/{{p{i}}}" for i in range(1, n + 1)) for n in range(1, depth + 1)]


def path_segments(parts: dict[str, str]) -> list[str]:
    """The decoded segments of a nested path, in order, empty ones dropped."""
    ordered = [parts[f"p{i}"] for i in range(1, len(parts) + 1)]
    return [unquote(p) for p in ordered if p]


def endpoint(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
        except errors.DougalError as exc:
            return error_response(exc)
        except Exception:  # noqa: BLE001 - the client gets a plain 500 message, the log gets the trace
            logger().exception("unhandled error in view")
            return error_response(errors.DougalError())
        return result

    return wrapper


def error_response(exc: errors.DougalError) -> Response:
    return json_response({"message": exc.message}, status=exc.status)


def jsonable(body: Any) -> Any:
    """A response body as JSON values: pydantic models (alone or in a list) dumped by their aliases."""
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", by_alias=True)
    if isinstance(body, list):
        return [jsonable(item) for item in body]
    return body


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = jsonable(body)
    return Response(
        body=json.dumps(body, separators=(",", ":"), default=str),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def binary_response(body: bytes, content_type: str, status: int = 200) -> Response:
    """Bytes as they are (the media type must be one of ``app.api.binary_types``)."""
    return Response(body=body, status_code=status, headers={"Content-Type": content_type})


def empty_response(status: int = 204, headers: dict[str, str | list[str]] | None = None) -> Response:
    return Response(body="", status_code=status, headers=dict(headers or {}))


def json_depth_at_most(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when no array or object of the JSON text is nested deeper than ``limit``.

    Counted on the text (brackets outside strings) before parsing: a body of 100,000 ``[`` would
    otherwise reach the parser's recursion limit (a 500) or PostgreSQL's stack limit.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def json_body(request: Any) -> Any:
    """The request body as JSON; 400 when it is missing, malformed or nested too deep."""
    raw = request.raw_body
    if not raw:
        raise errors.BadRequestError("A JSON body is required")
    if not json_depth_at_most(raw):
        raise errors.BadRequestError(f"The body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise errors.BadRequestError("The body is not valid JSON") from exc


def parse_body(request: Any, model: type[ModelT]) -> ModelT:
    """Validate the JSON body with a pydantic model; 400 naming the field."""
    return parse_body_data(json_body(request), model)


def parse_body_data(data: Any, model: type[ModelT]) -> ModelT:
    if not isinstance(data, dict):
        raise errors.BadRequestError("The body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.BadRequestError(describe_validation_error(exc)) from exc


def describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"{where}: {first.get('msg', 'invalid value')}"


def query_params(request: Any) -> dict[str, str]:
    return dict(request.query_params or {})


def identity(request: Any) -> Identity:
    """The caller, as the auth middleware established it."""
    found = getattr(request, "dougal_identity", None)
    if not isinstance(found, Identity):
        raise errors.UnauthorizedError()
    return found


def source_address(request: Any) -> str | None:
    """The address the request came from (API Gateway's ``sourceIp``; the local gateway sets it too)."""
    found = (request.context or {}).get("identity", {}).get("sourceIp")
    return str(found) if found is not None else None


def actor(request: Any) -> Actor:
    """Who makes this write, for the audit trail: the caller's name and role, its address and the route."""
    caller = identity(request)
    path = (request.context or {}).get("resourcePath", "")
    return Actor(name=caller.name, role=caller.role, source=source_address(request), route=f"{request.method} {path}")


_INTEGER = re.compile(r"-?[0-9]{1,20}")


def int_param(
    value: str | None,
    name: str,
    default: int | None = None,
    minimum: int | None = INT32_MIN,
    maximum: int | None = INT32_MAX,
) -> int:
    """An integer from a path or query parameter; 400 naming it otherwise.

    ASCII digits only (Python's ``int`` also reads ``١٢``, ``1_000`` and blanks), and within the range of
    the database column it ends in: a 32-bit ``integer`` unless the caller says otherwise, so that no
    value reaches the database to fail there.
    """
    if value is None or value == "":
        if default is None:
            raise errors.BadRequestError(f"{name} is required")
        return default
    if not _INTEGER.fullmatch(value):
        raise errors.BadRequestError(f"{name} must be an integer, not {value[:40]!r}")
    number = int(value)
    if minimum is not None and number < minimum:
        raise errors.BadRequestError(f"{name} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise errors.BadRequestError(f"{name} must be at most {maximum}")
    return number


def page_query(request: Any, default: int = DEFAULT_LIST_PAGE, maximum: int = MAX_LIST_PAGE) -> PageQuery:
    """``limit`` (1..maximum) and ``offset`` (≥ 0) of a paged list; 400 naming the bad one."""
    query = query_params(request)
    return PageQuery(
        limit=int_param(query.get("limit"), "limit", default=default, minimum=1, maximum=maximum),
        offset=int_param(query.get("offset"), "offset", default=0, minimum=0),
    )


def total_header(total: int) -> dict[str, str]:
    return {"X-Total-Count": str(total)}


def negotiate(request: Any, supported: Sequence[str]) -> str:
    """The representation to answer with, from ``Accept``; 406 when none of ``supported`` fits.

    Each offer takes the quality of the most specific range that matches it (``text/html`` over
    ``text/*`` over ``*/*``; ``q=0`` refuses it); the best quality wins, then the more specific range,
    then the client's order, then ours. The first supported type is the default (no header, ``*/*``).
    """
    header = (request.headers or {}).get("accept")
    if not header:
        return supported[0]
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = min(max(float(param[2:]), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))

    def score(server_index: int, offer: str) -> tuple[float, int, int, int]:
        best: tuple[int, int, float] | None = None  # (specificity, client index, quality)
        for client_index, (media, quality) in enumerate(ranges):
            if media == offer:
                specificity = 2
            elif media.endswith("/*") and media != "*/*" and offer.startswith(media[:-1]):
                specificity = 1
            elif media == "*/*":
                specificity = 0
            else:
                continue
            if best is None or specificity > best[0]:
                best = (specificity, client_index, quality)
        if best is None:
            return (0.0, 0, 0, 0)
        return (best[2], best[0], -best[1], -server_index)

    quality, *_, chosen = max((*score(i, offer), offer) for i, offer in enumerate(supported))
    if quality <= 0:
        raise errors.NotAcceptableError(f"Cannot answer with {header}; available: {', '.join(supported)}")
    return chosen


def lazy_service(name: str) -> Any:
    """The services module ``name``, imported when a view first uses it, not when the API is loaded.

    A cold Lambda imports every ``api/`` module to route its first request, but serves that one request:
    each API module names its services through this (with the real import under ``TYPE_CHECKING`` so the
    types stay checked), so a request loads only the services of its own route.
    """
    return _LazyModule(name)


class _LazyModule:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attribute)


def lazy_models(module: str, *names: str) -> Any:
    """The model classes ``names`` of the models module ``module``, each imported when first used.

    Building some hundred model classes is the largest part of loading every ``api/`` module; a request
    needs the models of its own route only. Each name stands for its class (attributes, calls,
    ``list[...]`` hints in ``route``); ``resolve_hint`` gives the class itself. As with services, the
    real import sits under ``TYPE_CHECKING`` so the types stay checked.
    """
    return tuple(_LazyModel(module, name) for name in names)


class _LazyModel:
    __slots__ = ("_module", "_name")

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name

    def resolve(self) -> Any:
        import importlib

        return getattr(importlib.import_module(self._module), self._name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.resolve(), attribute)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __or__(self, other: Any) -> _LazyUnion:
        return _LazyUnion((self, other))

    def __repr__(self) -> str:
        return f"<model {self._module}.{self._name}, not yet loaded>"


@dataclass(frozen=True)
class _LazyUnion:
    """``A | B`` of lazy models, in a ``route`` hint."""

    members: tuple[Any, ...]

    def __or__(self, other: Any) -> _LazyUnion:
        return _LazyUnion((*self.members, other))


def resolve_hint(hint: Any) -> Any:
    """A ``route`` hint with every lazy model in it replaced by its class (``list[Model]`` included)."""
    import typing

    if isinstance(hint, _LazyModel):
        return hint.resolve()
    if isinstance(hint, _LazyUnion):
        import functools
        import operator

        return functools.reduce(operator.or_, (resolve_hint(m) for m in hint.members))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is not None and args and any(isinstance(a, (_LazyModel, _LazyUnion)) for a in args):
        return origin[tuple(resolve_hint(a) for a in args)] if len(args) > 1 else origin[resolve_hint(args[0])]
    return hint
