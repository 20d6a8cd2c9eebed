"""Document the real error responses (problem+json) of every ``/api/v1`` operation.

Litestar documents a 400 in the shape of its own ``ValidationException`` as
``application/json``; Schouw answers every error as RFC 9457 ``application/problem+json``
(``server.lib.errors``). This render plugin rewrites the served OpenAPI document once, so each
operation lists the problem responses it can give: 400 when it takes input, 401 always (a
public login answers 401 to a wrong password), 403 when a guard checks the role, 404 when the
path names an object, 413 and 422 when it takes a body, and 409/429 for login. A problem
response a handler documents itself as problem+json is left as it is.

Handlers that read a raw body (strict per-op decoding, tus bytes, multipart streams) can still
document it: ``opt={"request_body": (media_type, schema)}``, where ``schema`` is a JSON Schema
dict or a msgspec type (its definitions land in ``components/schemas``). Handlers that answer
with bytes they encoded themselves document their success response the same way:
``opt={"response_body": (status, media_type, schema)}``; ``schema`` None means no body.
Headers a handler reads itself are documented with ``opt={"headers": [(name, required,
schema, description), …]}``.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin

from server.lib.rawjson import DEFINITIONS

PROBLEM_MEDIA_TYPE = "application/problem+json"
_REF = {"$ref": "#/components/schemas/Problem"}
_DONE = "x-schouw-problems"
_METHODS = ("get", "post", "put", "patch", "delete", "head")
# Route-specific problems the generic rules cannot see.
_EXTRA = {
    "/api/v1/auth/login": {"409", "422", "429"},
    "/api/v1/auth/refresh": {"422"},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `detail` is Dutch and says what to do.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/validation-failed"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the request path"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_DESCRIPTIONS = {
    "400": "Not JSON, or wrong types or missing fields (`errors` names them)",
    "401": "Not logged in, or the token or password is wrong; `/problems/device-revoked` "
    "means: wipe local data",
    "409": "Conflicts with the current state (login: the device belongs to another user)",
    "403": "The caller's role does not allow this",
    "404": "Does not exist, or the caller may not see it",
    "413": "Body larger than this route allows",
    "422": "Well-formed input with invalid values (`errors` names them)",
    "429": "Too many attempts; see `Retry-After`",
}


class RouteFacts(msgspec.Struct):
    """What the OpenAPI generator cannot see about one operation."""

    guarded: bool
    request_body: tuple[str, Any] | None
    response_body: tuple[int, str, Any] | None = None
    headers: tuple[tuple[str, bool, dict[str, Any], str], ...] = ()


def _facts(request: Request[Any, Any, Any]) -> dict[tuple[str, str], RouteFacts]:
    """(method, path) → what the OpenAPI generator cannot see, for every route handler."""
    facts: dict[tuple[str, str], RouteFacts] = {}
    for route in request.app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            fact = RouteFacts(
                bool(handler.resolve_guards()),
                handler.opt.get("request_body"),
                handler.opt.get("response_body"),
                tuple(handler.opt.get("headers", ())),
            )
            for method in handler.http_methods:
                facts[(method.lower(), route.path_format)] = fact
    return facts


def _schema_of(spec: Any, components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(spec, dict):
        return spec
    (schema,), defs = msgspec.json.schema_components(
        [spec], ref_template="#/components/schemas/{name}"
    )
    for name, definition in defs.items():
        # msgspec's definition keeps every constraint of the struct (patterns on list items,
        # tags); it replaces Litestar's of the same struct. The problem schema stays as written.
        if name != "Problem":
            components[name] = definition
    return dict(schema)


def _document_success(
    op: dict[str, Any], response: tuple[int, str, Any], components: dict[str, Any]
) -> None:
    """Replace the generated success response by the one the handler really sends."""
    status, media_type, body = response
    responses = op.setdefault("responses", {})
    for code in [c for c in responses if c.startswith("2")]:
        del responses[code]
    documented: dict[str, Any] = {"description": op.get("summary") or "Success"}
    if body is not None:
        documented["content"] = {media_type: {"schema": _schema_of(body, components)}}
    responses[str(status)] = documented


def document_problems(schema: dict[str, Any], facts: dict[tuple[str, str], RouteFacts]) -> None:
    """Rewrite the error responses of every ``/api/v1`` operation in ``schema`` in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name, definition in DEFINITIONS.items():
        components.setdefault(name, definition)
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method not in _METHODS:
                continue
            fact = facts.get((method, path), RouteFacts(False, None))
            if fact.response_body is not None:
                _document_success(op, fact.response_body, components)
            if not path.startswith("/api/v1"):
                continue
            named = {(p.get("in"), p.get("name")) for p in op.get("parameters", [])}
            for name, required, header_schema, description in fact.headers:
                if ("header", name) not in named:
                    op.setdefault("parameters", []).append(
                        {
                            "name": name,
                            "in": "header",
                            "required": required,
                            "schema": header_schema,
                            "description": description,
                        }
                    )
            if fact.request_body is not None:  # replaces what Litestar generated
                media_type, body = fact.request_body
                op["requestBody"] = {
                    "required": True,
                    "content": {media_type: {"schema": _schema_of(body, components)}},
                }
            has_body = "requestBody" in op
            codes = set()
            if has_body or op.get("parameters"):
                codes.add("400")
            codes.add("401")  # public routes too: a wrong password or refresh token
            if fact.guarded:
                codes.add("403")
            if re.search(r"\{[^}]+\}", path):
                codes.add("404")
            if has_body:
                codes |= {"413", "422"}
            codes |= _EXTRA.get(path, set())
            responses = op.setdefault("responses", {})
            for code in sorted(codes):
                documented = (responses.get(code) or {}).get("content") or {}
                if PROBLEM_MEDIA_TYPE in documented:
                    continue  # the handler documents this problem itself
                responses[code] = {
                    "description": _DESCRIPTIONS[code],
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": _REF}},
                }
    schema[_DONE] = True


class ProblemJsonRenderPlugin(JsonRenderPlugin):
    """Serves ``openapi.json`` with the problem+json error responses documented."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """Rewrite the (cached) document once, then render it as JSON."""
        if not openapi_schema.get(_DONE):
            document_problems(openapi_schema, _facts(request))
        return self.render_json(request, openapi_schema)
