"""The partner API's own OpenAPI 3.1 document, built from the msgspec wire types.

Written per operation (not generated from the handlers) so that it follows the NL API Design
Rules exactly: ``API-Version`` on every response, problem+json on every error, 400 wherever
input is taken. The contract test drives every operation listed here against the real app,
and a test checks that every partner route is listed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec

from server.lib.openapi_problems import PROBLEM_SCHEMA
from server.partners.clients import SCOPES
from server.partners.headers import API_VERSION, ROOT
from server.partners.schemas import (
    CasePage,
    CaseSummary,
    ChangePage,
    SignalIn,
    SignalOut,
    TokenResponse,
)

CONTACT = {
    "name": "Schouw beheer",
    "email": "beheer@schouw.example",
    "url": "https://schouw.example/partner-api",
}
_PROBLEM = "application/problem+json"
_ERRORS = {
    "400": "The input is not valid (`errors` names the fields where it can)",
    "401": "No valid access token (or, on the token call, client authentication failed)",
    "403": "The access token lacks the operation's scope",
    "404": "Does not exist, or the client's agency does not take part in it",
    "409": "Conflicts with an earlier request (a signal id reused for another signal)",
    "410": "The cursor belongs to an earlier state of the database (a restore): start again",
    "413": "The body is larger than this operation allows",
    "422": "Well-formed input with invalid values (`errors` names them)",
    "429": "Too many requests from this client; see `Retry-After` and `RateLimit`",
}
_SCOPE_DESCRIPTIONS = {
    "cases:read": "Read the case list and case summaries",
    "changes:read": "Read the change feed",
    "photos:read": "Download photos the summary links",
    "signals:write": "Hand signals to the team",
    "notifications": "Receive signed notifications at a registered endpoint",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _ok(description: str, content: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    headers = {"API-Version": _header("API-Version")}
    headers |= {
        "RateLimit": _header("RateLimit"),
        "RateLimit-Policy": _header("RateLimit-Policy"),
    }
    headers |= extra
    out: dict[str, Any] = {"description": description, "headers": headers}
    if content is not None:
        out["content"] = content
    return out


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(name)}}


def _errors(*codes: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in codes:
        headers = {"API-Version": _header("API-Version")}
        if code == "429":
            headers |= {
                "Retry-After": _header("Retry-After"),
                "RateLimit": _header("RateLimit"),
                "RateLimit-Policy": _header("RateLimit-Policy"),
            }
        out[code] = {
            "description": _ERRORS[code],
            "headers": headers,
            "content": {_PROBLEM: {"schema": _ref("Problem")}},
        }
    return out


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema or {"type": "string", "minLength": 1},
        "description": description,
    }


_CURSOR = _query(
    "cursor", {"type": "string", "maxLength": 500}, "Opaque cursor from the previous page"
)


def _paths() -> dict[str, Any]:
    case_status = {
        "enum": ["signal", "selected", "planned", "inspected", "reviewed", "intervention", "closed"]
    }
    return {
        "/oauth/token": {
            "post": {
                "operationId": "requestToken",
                "tags": ["authorization"],
                "summary": "Request an access token (OAuth 2.0 client credentials)",
                "description": "HTTP Basic client authentication with the client id and "
                "secret. Without `scope` the token carries every scope of the client. "
                "Tokens are valid 10 minutes; there are no refresh tokens.",
                "security": [{"clientCredentials": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": _ref("TokenRequest")}
                    },
                },
                "responses": {
                    "200": _ok(
                        "An access token",
                        _json("TokenResponse"),
                        **{"Cache-Control": _header("Cache-Control")},
                    ),
                    **_errors("400", "401", "429"),
                },
            }
        },
        "/cases": {
            "get": {
                "operationId": "listCases",
                "tags": ["cases"],
                "summary": "The cases the client's agency takes part in",
                "security": [{"oauth2": ["cases:read"]}],
                "parameters": [
                    _query("status", case_status, "Only cases with this status"),
                    _query(
                        "changedSince",
                        {"type": "string", "format": "date-time"},
                        "Only cases with a change at or after this time (with time zone)",
                    ),
                    _query("city", {"type": "string", "maxLength": 100}, "Town of the address"),
                    _query(
                        "postcode",
                        {"type": "string", "maxLength": 10, "examples": ["9711AB"]},
                        "Postcode of the address (a space is allowed)",
                    ),
                    _query(
                        "kvk",
                        {"type": "string", "maxLength": 20, "examples": ["12345678"]},
                        "KvK-nummer of the business",
                    ),
                    _CURSOR,
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                        "Page size",
                    ),
                ],
                "responses": {
                    "200": _ok("One page of cases", _json("CasePage")),
                    **_errors("400", "401", "403", "429"),
                },
            }
        },
        "/cases/{caseId}": {
            "get": {
                "operationId": "getCase",
                "tags": ["cases"],
                "summary": "The case summary",
                "security": [{"oauth2": ["cases:read"]}],
                "parameters": [_path("caseId", "The case id")],
                "responses": {
                    "200": _ok("The case summary", _json("CaseSummary")),
                    **_errors("400", "401", "403", "404", "429"),
                },
            }
        },
        "/cases/{caseId}/photos/{photoId}/{variant}": {
            "get": {
                "operationId": "getPhoto",
                "tags": ["cases"],
                "summary": "A photo of the case",
                "description": "`thumb` (320 px) and `display` are JPEG; `original` keeps its "
                "own type. Strong `ETag`; `If-None-Match` answers 304.",
                "security": [{"oauth2": ["photos:read"]}],
                "parameters": [
                    _path("caseId", "The case id"),
                    _path("photoId", "The photo id"),
                    _path(
                        "variant",
                        "Which copy",
                        {"enum": ["thumb", "display", "original"]},
                    ),
                ],
                "responses": {
                    "200": _ok(
                        "The photo's bytes",
                        {
                            mime: {"schema": {"type": "string", "format": "binary"}}
                            for mime in ("image/jpeg", "image/png", "image/webp")
                        },
                        ETag=_header("ETag"),
                    ),
                    "304": _ok("Not modified (If-None-Match matched the ETag)", None),
                    **_errors("400", "401", "403", "404", "429"),
                },
            }
        },
        "/changes": {
            "get": {
                "operationId": "listChanges",
                "tags": ["changes"],
                "summary": "The change feed: summary-level events, oldest first",
                "description": "Continue with the returned `cursor`, also when `events` is "
                "empty. 410 means the cursor is from before a restore: read again from the "
                "start (no cursor).",
                "security": [{"oauth2": ["changes:read"]}],
                "parameters": [
                    _CURSOR,
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 5000, "default": 1000},
                        "Feed rows looked at per page (events can be fewer)",
                    ),
                ],
                "responses": {
                    "200": _ok("One page of events", _json("ChangePage")),
                    **_errors("400", "401", "403", "410", "429"),
                },
            }
        },
        "/signals": {
            "post": {
                "operationId": "submitSignal",
                "tags": ["signals"],
                "summary": "Hand a signal to the team of the client's agency",
                "description": "Idempotent on `id`: the same id again answers 200 with the "
                "first signal; the same id with other content answers 409.",
                "security": [{"oauth2": ["signals:write"]}],
                "requestBody": {"required": True, "content": _json("SignalIn")},
                "responses": {
                    "200": _ok("This id was sent before: the first signal", _json("SignalOut")),
                    "201": _ok(
                        "The signal is in the team's inbox",
                        _json("SignalOut"),
                        Location=_header("Location"),
                    ),
                    **_errors("400", "401", "403", "409", "413", "422", "429"),
                },
            }
        },
    }


def _headers() -> dict[str, Any]:
    def text(description: str, **schema: Any) -> dict[str, Any]:
        return {"description": description, "schema": {"type": "string", **schema}}

    return {
        "API-Version": text(
            "The full version of the API (semantic versioning)", examples=[API_VERSION]
        ),
        "RateLimit": text(
            "Remaining quota `r` and seconds `t` until the window resets "
            "(draft-ietf-httpapi-ratelimit-headers-10)",
            examples=['"partner";r=599;t=42'],
        ),
        "RateLimit-Policy": text(
            "Quota `q` per window of `w` seconds", examples=['"partner";q=600;w=60']
        ),
        "Retry-After": {
            "description": "Seconds to wait",
            "schema": {"type": "integer", "minimum": 1},
        },
        "Cache-Control": text("Never cache a token", examples=["no-store"]),
        "ETag": text("Strong entity tag of the photo variant"),
        "Location": text("Where the new signal is described"),
    }


_TOKEN_REQUEST = {
    "type": "object",
    "description": "RFC 6749 §4.4.2 access token request",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"enum": ["client_credentials"]},
        "scope": {
            "type": "string",
            "description": "Space-separated scopes; omit for every scope of the client",
            "examples": ["cases:read changes:read"],
        },
    },
}


@cache
def document() -> dict[str, Any]:
    """The partner API's OpenAPI document (built once)."""
    _, schemas = msgspec.json.schema_components(
        [TokenResponse, CasePage, CaseSummary, ChangePage, SignalIn, SignalOut],
        ref_template="#/components/schemas/{name}",
    )
    schemas = dict(schemas)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["TokenRequest"] = _TOKEN_REQUEST
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Schouw partner API",
            "version": API_VERSION,
            "description": "Case summaries, a change feed and signals for the systems of the "
            "partner agencies of a regional intervention team, following the NL API Design "
            "Rules. Every error is application/problem+json (RFC 9457). See the partner API "
            "documentation for credentials, the change-feed loop and notifications.",
            "contact": CONTACT,
        },
        "servers": [{"url": ROOT, "description": "This server, version 1"}],
        "tags": [
            {"name": "authorization", "description": "Access tokens"},
            {"name": "cases", "description": "Case list, summaries and photos"},
            {"name": "changes", "description": "The change feed"},
            {"name": "signals", "description": "Signals to the team"},
        ],
        "paths": _paths(),
        "components": {
            "schemas": schemas,
            "headers": _headers(),
            "securitySchemes": {
                "clientCredentials": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "Client id and secret (only for the token call)",
                },
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": ROOT + "/oauth/token",
                            "scopes": {s: _SCOPE_DESCRIPTIONS[s] for s in SCOPES},
                        }
                    },
                },
            },
        },
    }


def document_bytes() -> bytes:
    """The document as JSON bytes."""
    return msgspec.json.encode(document())
