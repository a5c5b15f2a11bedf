"""Checking an API Gateway HTTP API (payload 2.0) event before it reaches the ASGI adapter:
a malformed event gets a 400 OpenAI-style JSON response that says what is wrong, never an
exception out of the handler (which API Gateway turns into an opaque 500)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from switchyard_api.errors import error_body


def _text_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8, so no header bytes
        return False
    return True


def problem(event: Any) -> str | None:
    """What is wrong with the event, or None when the adapter can take it."""
    if not isinstance(event, Mapping):
        return "the event is not a JSON object"
    if event.get("version") != "2.0":
        return "the event is not an HTTP API payload 2.0 event (version '2.0')"
    ctx = event.get("requestContext")
    http = ctx.get("http") if isinstance(ctx, Mapping) else None
    if not isinstance(http, Mapping):
        return "requestContext.http is missing"
    if not isinstance(http.get("method"), str) or not http.get("method"):
        return "requestContext.http.method is missing"
    if not isinstance(event.get("rawPath", http.get("path")), str):
        return "rawPath is missing"
    if "rawQueryString" in event and not isinstance(event["rawQueryString"], str):
        return "rawQueryString must be a string"
    headers = event.get("headers", {})
    if not isinstance(headers, Mapping):
        return "headers must be an object of strings"
    for k, v in headers.items():
        if not isinstance(k, str) or not isinstance(v, str) or not _text_ok(k) or not _text_ok(v):
            return "headers must be an object of strings (valid Unicode)"
    cookies = event.get("cookies", [])
    if not isinstance(cookies, list) or not all(isinstance(c, str) and _text_ok(c) for c in cookies):
        return "cookies must be a list of strings"
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        return "body must be a string"
    encoded = event.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        return "isBase64Encoded must be a boolean"
    if encoded and body:
        try:
            base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return "body is not valid base64 although isBase64Encoded is true"
    elif isinstance(body, str) and not _text_ok(body):
        return "body is not valid Unicode"
    return None


def bad_event_response(reason: str) -> dict[str, Any]:
    """The 400 the handler returns for an event it cannot take (payload 2.0 response shape)."""
    return {
        "statusCode": 400,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            error_body(f"malformed request event: {reason}", "invalid_request_error", "bad_event")
        ),
        "isBase64Encoded": False,
    }
