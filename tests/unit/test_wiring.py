"""The API's wiring: settings and catalog contracts fail at start with a ConfigError that says
what is wrong; authentication on an injected clock; the status of each InputError subclass;
routes take their parts through FastAPI dependencies, so overrides reach them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import Headers

from switchyard.errors import (
    AuthError,
    ConfigError,
    InputError,
    ModelNotAllowedError,
    ModelNotFoundError,
    RequestTooLargeError,
    StoreError,
)
from switchyard.settings import Settings, get_settings, load_settings
from switchyard.tenancy import ApiKeyRecord, hash_key
from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_api.auth import Authenticator, presented_key
from switchyard_api.container import build_container
from switchyard_api.errors import to_api_error


@pytest.fixture
def clean_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    deps.reset()
    yield monkeypatch
    deps.reset()


def test_an_unknown_default_mode_fails_at_start(clean_settings: pytest.MonkeyPatch) -> None:
    clean_settings.setenv("SWITCHYARD_DEFAULT_MODE", "fastest")
    with pytest.raises(ConfigError, match=r"SWITCHYARD_DEFAULT_MODE: Input should be 'auto', 'cost'"):
        load_settings()
    # under a server the app does not start (lifespan), instead of answering every request 400
    with pytest.raises(ConfigError), TestClient(create_app()):
        pass


def test_a_baseline_model_outside_the_catalog_fails_at_start(clean_settings: pytest.MonkeyPatch) -> None:
    clean_settings.setenv("SWITCHYARD_BASELINE_MODEL", "gpt-5-ultra")
    with pytest.raises(ConfigError, match=r"'gpt-5-ultra' is not in the catalog; use one of llama-3\.1-8b"):
        build_container(get_settings())


def test_valid_settings_build_a_container(clean_settings: pytest.MonkeyPatch) -> None:
    clean_settings.setenv("SWITCHYARD_DEFAULT_MODE", "cost")
    c = build_container(load_settings())
    try:
        assert c.settings.default_mode == "cost"
        assert c.service.cache.store is not None and c.service.recorder.request_log is c.request_log
        assert c.dynamodb_cache is not c.dynamodb
    finally:
        c.close()


def record(key: str, tenant: str) -> ApiKeyRecord:
    return ApiKeyRecord(key_hash=hash_key(key), tenant_id=tenant, key_id=key[:6], created_at="2026-12-01")


class Keys:
    def __init__(self, record: ApiKeyRecord | None) -> None:
        self.record, self.reads, self.down = record, 0, False

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        self.reads += 1
        if self.down:
            raise StoreError("DynamoDB get key failed")
        return self.record if self.record and self.record.key_hash == key_hash else None


def test_authentication_remembers_a_key_for_its_ttl_on_the_injected_clock() -> None:
    now = [100.0]
    keys = Keys(record("sy-abc", "acme"))
    auth = Authenticator(keys, ttl_seconds=60.0, clock=lambda: now[0])
    assert auth.authenticate("sy-abc").tenant_id == "acme" and keys.reads == 1
    now[0] += 59.9
    assert auth.authenticate("sy-abc").tenant_id == "acme" and keys.reads == 1
    now[0] += 0.2
    assert auth.authenticate("sy-abc").tenant_id == "acme" and keys.reads == 2
    # the store is down: a key verified lately still works, an unknown one is a StoreError
    keys.down = True
    now[0] += 120
    assert auth.authenticate("sy-abc").tenant_id == "acme"
    with pytest.raises(StoreError):
        auth.authenticate("sy-other")
    # ... but not for ever: past the stale bound (5 min after its last verification) it is a 503 too
    now[0] += 300 - 120
    with pytest.raises(StoreError):
        auth.authenticate("sy-abc")
    keys.down = False
    with pytest.raises(AuthError, match="Incorrect API key"):
        auth.authenticate("sy-other")
    with pytest.raises(AuthError, match="Missing API key"):
        auth.authenticate(None)


def _headers(*pairs: tuple[str, str]) -> Headers:
    return Headers(raw=[(k.encode(), v.encode()) for k, v in pairs])


def test_presented_key_from_bearer_or_x_api_key() -> None:
    assert presented_key(_headers(("authorization", "Bearer  sy-1 "))) == "sy-1"
    assert presented_key(_headers(("x-api-key", "sy-2"))) == "sy-2"
    assert presented_key(_headers(("authorization", "Bearer sy-3"), ("x-api-key", "sy-3"))) == "sy-3"
    assert presented_key(_headers()) is None


@pytest.mark.parametrize(
    "pairs",
    [
        (("authorization", "Basic dXNlcjpwYXNz"), ("x-api-key", "sy-valid")),
        (("authorization", "Bearer sy-a"), ("x-api-key", "sy-b")),
        (("authorization", "Bearer sy-a"), ("authorization", "Bearer sy-b")),
        (("authorization", "Bearer sy-a,Bearer sy-b"),),  # API Gateway's join of repeated headers
        (("x-api-key", "sy-a"), ("x-api-key", "sy-b")),
    ],
    ids=["basic+x-api-key", "bearer-a+x-api-key-b", "two-authorization", "joined", "two-x-api-key"],
)
def test_ambiguous_credentials_are_refused(pairs: tuple[tuple[str, str], ...]) -> None:
    with pytest.raises(AuthError, match="Ambiguous credentials"):
        presented_key(_headers(*pairs))


def test_another_authorization_scheme_alone_is_refused() -> None:
    with pytest.raises(AuthError, match="Unsupported Authorization"):
        presented_key(_headers(("authorization", "Basic dXNlcjpwYXNz")))


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InputError("bad"), 400, "invalid_request"),
        (ModelNotFoundError("no such model", param="model"), 404, "model_not_found"),
        (ModelNotAllowedError("not for this key", param="model"), 403, "model_not_allowed"),
        (RequestTooLargeError("too big"), 413, "request_too_large"),
        # a code string alone does not choose the status
        (InputError("odd", code="model_not_found"), 400, "model_not_found"),
    ],
)
def test_the_status_follows_the_input_error_subclass(error: InputError, status: int, code: str) -> None:
    api = to_api_error(error)
    assert (api.status, api.code) == (status, code)


def test_routes_take_the_container_through_dependency_overrides(clean_settings: pytest.MonkeyPatch) -> None:
    """An override of the container reaches every route: here one whose key store knows one key."""
    c = build_container(Settings())
    c.auth = Authenticator(Keys(record("sy-x", "t")))
    app = create_app()
    app.dependency_overrides[deps.container] = lambda: c
    try:
        client = TestClient(app)
        models = client.get("/v1/models", headers={"authorization": "Bearer sy-x"})
        assert models.status_code == 200 and "gpt-4o" in {m["id"] for m in models.json()["data"]}
        assert client.get("/v1/models", headers={"authorization": "Bearer sy-y"}).status_code == 401
    finally:
        c.close()
