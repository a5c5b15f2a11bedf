"""Bad input never gives a 500, and a DynamoDB failure degrades instead of failing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from switchyard import telemetry
from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

AUTH = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}
MSG = [{"role": "user", "content": "hello there"}]


@pytest.fixture
def client(api_env: object) -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/v1/chat/completions", b"{not json", 400, "invalid_json"),
        ("/v1/chat/completions", b"", 400, "invalid_json"),
        ("/v1/chat/completions", b"[1, 2]", 400, "invalid_json"),
        ("/v1/chat/completions", {"model": "auto"}, 400, "invalid_request"),
        ("/v1/chat/completions", {"messages": []}, 400, "invalid_request"),
        ("/v1/chat/completions", {"messages": [{"role": "wizard", "content": "x"}]}, 400, "invalid_request"),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "system", "content": "only system"}]},
            400,
            "invalid_request",
        ),
        ("/v1/chat/completions", {"messages": MSG, "temperature": "hot"}, 400, "invalid_request"),
        ("/v1/chat/completions", {"messages": MSG, "max_tokens": -5}, 400, "invalid_request"),
        ("/v1/chat/completions", {"messages": MSG, "model": "gpt-9"}, 404, "model_not_found"),
        ("/v1/chat/completions", {"messages": MSG, "model": "router:fastest"}, 400, "invalid_routing_mode"),
        ("/v1/chat/completions", {"messages": MSG, "stream": "yes please"}, 400, "invalid_request"),
        ("/v1/route", {"messages": MSG, "routing_mode": "cheap"}, 400, "invalid_routing_mode"),
        ("/v1/route", {"messages": "hi"}, 400, "invalid_request"),
        ("/v1/dispatch", {"messages": MSG, "routing_mode": 7}, 400, "invalid_request"),
    ],
)
def test_bad_bodies_get_openai_style_4xx(
    client: TestClient, path: str, body: Any, status: int, code: str
) -> None:
    kw = {"content": body} if isinstance(body, bytes) else {"json": body}
    r = client.post(path, headers={**AUTH, "content-type": "application/json"}, **kw)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"] and err["type"] == "invalid_request_error"


def test_body_over_limit_is_413(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHYARD_MAX_BODY_BYTES", "2000")
    deps.reset()
    r = client.post("/v1/route", headers=AUTH, json={"messages": [{"role": "user", "content": "x" * 5000}]})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer sy-wrong"}, {"x-api-key": "nope"}, {"authorization": "Basic abc"}],
)
def test_missing_or_wrong_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post("/v1/route", headers=headers, json={"messages": MSG})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


def test_x_api_key_header_works(client: TestClient) -> None:
    r = client.post("/v1/route", headers={"x-api-key": LOCAL_TEST_KEY}, json={"messages": MSG})
    assert r.status_code == 200


def test_matrix_read_failure_degrades_to_prior(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHYARD_MATRIX_TABLE", "no-such-table")
    deps.reset()
    before = telemetry.snapshot().get("matrix_read_errors", 0)
    r = client.post(
        "/v1/route",
        headers=AUTH,
        json={"messages": [{"role": "user", "content": "Write a sorting function in Go"}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["decision"]["model"]
    assert telemetry.snapshot().get("matrix_read_errors", 0) == before + 1
