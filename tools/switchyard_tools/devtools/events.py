"""API Gateway HTTP API (payload format 2.0) events, as API Gateway hands them to Lambda."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode


def event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw: str | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    h = {
        "host": "abc123.execute-api.us-east-1.amazonaws.com",
        "user-agent": "OpenAI/Python 1.0",
        "accept": "application/json",
    }
    if body is not None or raw is not None:
        h["content-type"] = "application/json"
    h.update(headers or {})
    text = raw if raw is not None else (json.dumps(body) if body is not None else None)
    return {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": h,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "OpenAI/Python 1.0",
            },
            "requestId": "evt-" + path.strip("/").replace("/", "-"),
            "routeKey": "ANY /{proxy+}",
            "stage": "$default",
            "time": "30/Nov/2026:09:00:00 +0000",
            "timeEpoch": 1796029200000,
        },
        "pathParameters": {"proxy": path.lstrip("/")},
        **({"queryStringParameters": dict(query)} if query else {}),
        "isBase64Encoded": False,
        **({"body": text} if text is not None else {}),
    }
