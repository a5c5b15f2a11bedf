"""OpenAPI declarations for the routes' decorators.

The routes read their bodies themselves (``deps.json_body`` then a pydantic model, so that
every client mistake becomes an OpenAI-style error), which leaves FastAPI nothing to infer a
request-body schema from. These helpers put the models' JSON schemas back into the document
(``openapi_extra``) and declare the OpenAI-style error responses each route can give, so that
clients, docs and schema-driven fuzzers (Schemathesis) see the real contract.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict

JSON = "application/json"
SSE = "text/event-stream"

DESCRIPTIONS = {
    400: "Invalid request: malformed JSON, a wrong field, an unknown routing mode.",
    401: "Missing or incorrect API key.",
    403: "The model is not allowed for this API key.",
    404: "Unknown model or resource.",
    413: "Request body over SWITCHYARD_MAX_BODY_BYTES.",
    422: "A provider refused the request as unprocessable.",
    429: "Rate limited: every eligible provider, the tenant's hard cap, or a request's raters.",
    502: "Every eligible provider failed.",
    503: "No provider is configured, or a store is unavailable.",
}


# one server-sent event: ``data:`` is a chat.completion.chunk (or an error) as JSON, or [DONE]
SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {"data": {"type": "string", "minLength": 1}, "event": {"type": "string"}},
}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(title="ErrorDetail")
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    """OpenAI's error shape; some errors add fields beside ``error`` (a 503 adds ``router``)."""

    model_config = ConfigDict(extra="allow", title="ErrorResponse")
    error: ErrorDetail


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its local ``$defs`` references replaced by the definitions
    themselves (an operation's schema cannot carry ``$defs`` of its own). Recursive models are
    refused: they would need the definitions registered under ``components``."""
    defs = schema.get("$defs", {})

    def resolve(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name in seen:
                    raise ValueError(f"recursive schema through {name!r} cannot be inlined")
                target = resolve(copy.deepcopy(defs[name]), (*seen, name))
                rest = {k: resolve(v, seen) for k, v in node.items() if k != "$ref"}
                return {**target, **rest}
            return {k: resolve(v, seen) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(v, seen) for v in node]
        return node

    out: dict[str, Any] = resolve(schema, ())
    return out


def json_request(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route whose JSON body is validated with ``model``."""
    schema = inline_refs(model.model_json_schema(mode="validation"))
    return {"requestBody": {"required": True, "content": {JSON: {"schema": schema}}}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses`` entries for the given error statuses, all with the OpenAI error body."""
    return {s: {"model": ErrorResponse, "description": DESCRIPTIONS[s]} for s in statuses}


def responses(
    *statuses: int, ok: dict[str, Any] | None = None, stream: bool = False
) -> dict[int | str, dict[str, Any]]:
    """The error responses, the 200's JSON schema when given (``ok``), and for streaming routes
    the 200 as server-sent events too."""
    out = errors(*statuses)
    if ok is not None or stream:
        content: dict[str, Any] = {JSON: {"schema": ok or {"type": "object"}}}
        if stream:
            content[SSE] = {"schema": SSE_EVENT}
        description = "The completion as JSON, or as server-sent events with `stream: true`."
        out[200] = {"description": description if stream else "Successful Response", "content": content}
    return out


def _obj(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {**required, **optional}}


_STR, _NUM, _ARR, _OBJ = {"type": "string"}, {"type": "number"}, {"type": "array"}, {"type": "object"}
# the 200 bodies, as far as clients rely on them (more fields may come)
COMPLETION = _obj(
    {"id": _STR, "object": {"const": "chat.completion"}, "model": _STR, "choices": _ARR},
    usage=_OBJ,
    router=_obj({"request_id": _STR, "model": _STR, "cost_usd": _NUM}),
)
DISPATCH = _obj({"completion": COMPLETION, "decision": _obj({"model": _STR}), "router": _OBJ})
ROUTE = _obj(
    {"request_id": _STR, "decision": _obj({"model": _STR}), "overhead_ms": _NUM},
    classification={"anyOf": [_OBJ, {"type": "null"}]},
)
FEEDBACK = _obj(
    {"object": {"const": "feedback"}, "request_id": _STR, "score": _NUM, "status": {"const": "recorded"}}
)
MODEL_LIST = _obj(
    {
        "object": {"const": "list"},
        "data": {"type": "array", "items": _obj({"id": _STR, "object": {"const": "model"}})},
    }
)


# what each route can answer besides its 200
AUTHED = (401, 503)
BODY = (400, 401, 413, 503)
ROUTING = (*BODY, 403, 404)
UPSTREAM = (*ROUTING, 422, 429, 502)
