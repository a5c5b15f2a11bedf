"""Reading a request's JSON body: within the size limit, finite, not too deep, valid Unicode,
an object; anything else is a clear InputError (4xx), never a 500."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Mapping
from typing import Any

from switchyard.errors import InputError, RequestTooLargeError

MAX_JSON_DEPTH = 64  # objects and arrays inside each other; OpenAI requests need a handful


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def check_json(value: Any) -> None:
    """Refuse what JSON parsers accept but nothing downstream can carry: nesting deeper than
    MAX_JSON_DEPTH (recursion in validation, logging and serialisation) and strings with lone
    UTF-16 surrogates (``"\\ud800"``: no UTF-8 encoding, so no hash, log line or upstream body)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InputError(
                    f"request body nests deeper than {MAX_JSON_DEPTH} levels", code="invalid_json"
                )
            if isinstance(node, dict):
                stack.extend((k, depth) for k in node)
                stack.extend((v, depth + 1) for v in node.values())
            else:
                stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str) and not node.isascii():
            try:
                node.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(
                    "request body has a string that is not valid Unicode", code="invalid_json"
                ) from exc


def parse_json(raw: bytes) -> dict[str, Any]:
    """A JSON object from raw bytes, or an InputError saying what is wrong."""
    if not raw.strip():
        raise InputError("request body is empty; expected a JSON object", code="invalid_json")
    try:
        body = json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError as exc:
        raise InputError(
            f"request body nests deeper than {MAX_JSON_DEPTH} levels", code="invalid_json"
        ) from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN, 1e999, a 5,000-digit integer
        raise InputError(f"request body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise InputError("request body must be a JSON object", code="invalid_json")
    check_json(body)
    return body


async def read_json(headers: Mapping[str, str], chunks: AsyncIterator[bytes], limit: int) -> dict[str, Any]:
    """The body's JSON object. The body is read in chunks and refused as soon as it passes
    ``limit``, so a chunked upload (no Content-Length) cannot make the function buffer more."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestTooLargeError(f"request body over {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise RequestTooLargeError(f"request body over {limit} bytes")
        parts.append(chunk)
    return parse_json(b"".join(parts))
