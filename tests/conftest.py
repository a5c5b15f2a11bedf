"""Shared fixtures: DynamoDB Local (real, on loopback), tables from template.yaml, the fake
OpenAI-compatible upstream, and an environment switch for the API's settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchyard.stores.dynamodb import KeyStore
from switchyard.tenancy import create_key
from switchyard_tools.devtools.dynamodb_local import DynamoDBLocal, create_tables, local_environment
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
from tests_support import ROOT, TEMPLATE, provider_env_names

PROVIDER_ENV = provider_env_names()
LOCAL_STACK_FIXTURES = frozenset({"stack", "upstream", "served"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts DynamoDB Local (Java) or a loopback server, directly or
    through a fixture: ``pytest -m "not ddb"`` (``make unit``) is the fast, Java-free run."""
    for item in items:
        if LOCAL_STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.ddb)


class Stack:
    def __init__(self, ddb: DynamoDBLocal, tables: dict[str, str]) -> None:
        self.ddb = ddb
        self.tables = tables
        self.client = ddb.client()
        self.env = local_environment(TEMPLATE, "ApiFunction", tables, ddb.endpoint)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    ddb = DynamoDBLocal(ROOT).start()
    try:
        tables = create_tables(ddb.client(), TEMPLATE)
        create_key(KeyStore(tables["KeysTable"], ddb.client()), "local-dev", key=LOCAL_TEST_KEY)
        yield Stack(ddb, tables)
    finally:
        ddb.stop()


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as up:
        yield up


@pytest.fixture
def api_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The API function's environment (as template.yaml sets it) on DynamoDB Local, no providers."""
    from switchyard_api import deps

    for k in PROVIDER_ENV:
        monkeypatch.delenv(k, raising=False)
    for k, v in stack.env.items():
        monkeypatch.setenv(k, v)
    deps.reset()
    yield stack
    deps.reset()


@pytest.fixture
def provider_env(
    api_env: Stack, upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeUpstream]:
    """Providers (OpenAI and Groq) pointed at the fake upstream."""
    from switchyard_api import deps

    monkeypatch.setenv("OPENAI_BASE_URL", upstream.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-upstream")
    monkeypatch.setenv("GROQ_BASE_URL", upstream.base_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", upstream.root_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-upstream")
    monkeypatch.setenv("BEDROCK_REGION", "us-east-1")
    monkeypatch.setenv("BEDROCK_ENDPOINT_URL", upstream.root_url)
    upstream.reset()
    deps.reset()
    yield upstream
    upstream.reset()
    deps.reset()
