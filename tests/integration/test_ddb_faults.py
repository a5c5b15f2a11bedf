"""DynamoDB faults: the app on DynamoDB Local behind a fault-injecting proxy (throttling,
503s, connection resets, reads past the client's timeout), per table. Answers never fail
because a store did; each degraded path is counted in ``telemetry``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from switchyard import telemetry
from switchyard.catalog import load_catalog
from switchyard.classifier.features import TASK_TYPES
from switchyard.routing.matrix import PRIOR
from switchyard.stores.dynamodb import CacheStore, MatrixStore
from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_tools.devtools.ddb_faults import DynamoDBFaults, Fault
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

pytestmark = pytest.mark.integration
AUTH = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}
TENANT = "local-dev"  # the tenant of LOCAL_TEST_KEY (tests/conftest.py)
DDB_TIMEOUT = 0.3  # seconds, connect and read, per attempt
LEARNED = 0.987  # a predicted quality the prior never gives


@pytest.fixture(scope="module")
def proxy(stack: Any) -> Iterator[DynamoDBFaults]:
    with DynamoDBFaults(stack.ddb.endpoint, seed=7) as p:
        yield p


def fresh_deps() -> None:
    deps.reset()


@pytest.fixture
def client(
    provider_env: FakeUpstream, proxy: DynamoDBFaults, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    proxy.clear()
    proxy.forget()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    monkeypatch.setenv("SWITCHYARD_DDB_TIMEOUT_SECONDS", str(DDB_TIMEOUT))
    fresh_deps()
    yield TestClient(create_app())
    proxy.clear()
    fresh_deps()


def counted(name: str, before: dict[str, int]) -> int:
    return telemetry.snapshot().get(name, 0) - before.get(name, 0)


def ask(
    client: TestClient, prompt: str, headers: dict[str, str] | None = None, key: str = LOCAL_TEST_KEY
) -> Any:
    return client.post(
        "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}", **(headers or {})},
        json={"model": "auto", "messages": [{"role": "user", "content": prompt}]},
    )


def unique(text: str) -> str:
    return f"{text} (ref {uuid.uuid4().hex[:10]})"


def attempts_per_call() -> int:
    """Attempts botocore makes per DynamoDB call with the app's retry config."""
    config: Any = deps.get_container().dynamodb.meta.config
    return int(config.retries["total_max_attempts"])


# ---- (1) the cache table throttled or unavailable: a miss, counted


@pytest.mark.parametrize("fault", ["throttle", "unavailable"])
def test_cache_table_failing_is_a_counted_miss(
    client: TestClient, proxy: DynamoDBFaults, stack: Any, fault: Fault
) -> None:
    table = stack.tables["CacheTable"]
    proxy.set(table=table, fault=fault)
    before = telemetry.snapshot()
    prompts = [unique("What is the capital of Peru?")]
    for p in prompts:
        r = ask(client, p)
        assert r.status_code == 200, r.text
        assert r.headers["x-switchyard-cache"] == "miss" and r.json()["choices"][0]["message"]["content"]
    # per request: the read failed (BatchGetItem) and the first write failed (PutItem)
    assert counted("cache_errors", before) == 2 * len(prompts)
    stats = proxy.stats(table)
    assert stats["BatchGetItem"]["forwarded"] == 0 and stats["BatchWriteItem"]["forwarded"] == 0
    # the cache's client makes one attempt: a failing cache costs no backoff
    assert stats["BatchGetItem"][fault] == len(prompts)
    cache_config: Any = deps.get_container().dynamodb_cache.meta.config
    assert cache_config.retries["total_max_attempts"] == 1
    # nothing was stored: with the table back, the same prompt is a miss once, then a hit
    proxy.clear()
    assert ask(client, prompts[0]).headers["x-switchyard-cache"] == "miss"
    assert ask(client, prompts[0]).headers["x-switchyard-cache"] == "hit"


# ---- (2) the matrix table unavailable at container start: the prior, counted


def predicted(client: TestClient, prompt: str) -> dict[str, Any]:
    r = client.post("/v1/route", headers=AUTH, json={"messages": [{"role": "user", "content": prompt}]})
    assert r.status_code == 200, r.text
    return dict(r.json()["decision"])


def test_matrix_table_unavailable_routes_with_the_prior(
    client: TestClient, proxy: DynamoDBFaults, stack: Any
) -> None:
    catalog = load_catalog()
    store = MatrixStore(stack.tables["MatrixTable"], stack.client)  # direct, not via the proxy
    cells = {m.id: {t: {"quality": LEARNED, "n": 50} for t in TASK_TYPES} for m in catalog.models}
    store.put(cells, "test-learned", "2025-01-01T00:00:00Z")
    try:
        proxy.set(table=stack.tables["MatrixTable"], fault="unavailable")
        before = telemetry.snapshot()
        prompt = "Write a Python function that merges two sorted lists."
        for _ in range(3):
            d = predicted(client, prompt)
            tier = catalog.by_id[str(d["model"])].tier
            assert d["predicted_quality"] == round(
                PRIOR.quality(str(d["model"]), tier, str(d["task_type"])), 3
            )
            assert d["predicted_quality"] != LEARNED
        assert ask(client, unique(prompt), {"cache-control": "no-store"}).status_code == 200
        # read once at container start, then not again until the refresh interval: the shared
        # matrix and this tenant's own cells, one GetItem each
        assert counted("matrix_read_errors", before) == 1
        assert counted("tenant_matrix_read_errors", before) == 1
        assert proxy.stats(stack.tables["MatrixTable"])["GetItem"]["unavailable"] == 2 * attempts_per_call()
        # control: with the table readable, a fresh container routes with the stored matrix
        proxy.clear()
        fresh_deps()
        assert predicted(client, prompt)["predicted_quality"] == LEARNED
    finally:
        stack.client.delete_item(TableName=stack.tables["MatrixTable"], Key={"name": {"S": MatrixStore.NAME}})


# ---- (3) the request-log table throttled half the time: what DynamoDB accepted is there


def test_request_log_throttled_half_the_time(client: TestClient, proxy: DynamoDBFaults, stack: Any) -> None:
    table = stack.tables["RequestLogTable"]
    proxy.set(op="PutItem", table=table, fault="throttle", rate=0.5, seed=12)
    before = telemetry.snapshot()
    ids = []
    for i in range(10):
        r = ask(
            client,
            unique(f"Classify the sentiment of review {i}: great value"),
            {"cache-control": "no-store"},
        )
        assert r.status_code == 200, r.text
        ids.append(r.headers["x-switchyard-request-id"])
    events = proxy.recorded("PutItem", table)
    accepted = {
        e.body["Item"]["request_id"]["S"] for e in events if e.outcome == "forwarded" and e.status == 200
    }
    attempted = {e.body["Item"]["request_id"]["S"] for e in events}
    assert attempted == set(ids)
    resp = stack.client.query(
        TableName=table,
        KeyConditionExpression="tenant_id = :t AND request_id >= :first",
        ExpressionAttributeValues={":t": {"S": TENANT}, ":first": {"S": min(ids)}},
    )
    stored = {item["request_id"]["S"] for item in resp["Items"]} & set(ids)
    lost = set(ids) - accepted
    assert stored == accepted
    assert counted("request_log_errors", before) == len(lost)
    # the seeded rule throttles some attempts and loses some requests, but not all
    assert proxy.stats(table)["PutItem"]["throttle"] > 0
    assert 0 < len(lost) < len(ids), (len(lost), proxy.stats())


# ---- (4) the keys table unavailable: verified keys keep working, unknown keys get a clear 503


def test_verified_key_works_while_keys_table_unavailable(
    client: TestClient, proxy: DynamoDBFaults, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps.get_container().auth.ttl_seconds = 0.0  # every request reads its key
    assert ask(client, unique("What is 2 + 2?"), {"cache-control": "no-store"}).status_code == 200
    proxy.set(table=stack.tables["KeysTable"], fault="unavailable")
    before = telemetry.snapshot()
    r = ask(client, unique("What is 3 + 3?"), {"cache-control": "no-store"})
    assert r.status_code == 200, r.text
    assert counted("auth_store_errors", before) == 1
    assert proxy.stats(stack.tables["KeysTable"])["GetItem"]["unavailable"] == attempts_per_call()


def test_unknown_key_while_keys_table_unavailable_is_a_503(
    client: TestClient, proxy: DynamoDBFaults, stack: Any
) -> None:
    proxy.set(table=stack.tables["KeysTable"], fault="unavailable")
    r = ask(client, "What is 2 + 2?", key="sy-never-seen-before")
    assert r.status_code == 503, r.text
    err = r.json()["error"]
    assert err["type"] == "server_error" and err["code"] == "store_unavailable"


# ---- (5) connection resets and reads past the timeout on the cache table


@pytest.mark.parametrize("fault", ["reset", "delay"])
def test_cache_table_reset_or_slow_answers_within_the_ddb_budget(
    client: TestClient, proxy: DynamoDBFaults, stack: Any, fault: Fault
) -> None:
    proxy.set(table=stack.tables["CacheTable"], fault=fault, seconds=1.0)  # delay: past the 0.3 s timeout
    ask(client, unique("warm up"), {"cache-control": "no-store"})  # connections, classifier
    before = telemetry.snapshot()
    started = time.monotonic()
    r = ask(client, unique("Translate to French: good morning"))
    elapsed = time.monotonic() - started
    assert r.status_code == 200, r.text
    assert r.headers["x-switchyard-cache"] == "miss"
    assert counted("cache_errors", before) == 2  # the read and the first write
    # budget: two failing calls (read, write), each every attempt timing out, plus botocore's
    # standard-mode backoff between attempts (up to 1 s, then 2 s), plus the answer itself
    n = attempts_per_call()
    budget = 2 * (n * 2 * DDB_TIMEOUT + sum(2**k for k in range(n - 1))) + 1.0
    assert elapsed < budget, (elapsed, budget)


# ---- (6) the usage table unavailable: answered, usage and budget reads counted


def test_usage_table_unavailable_is_counted(client: TestClient, proxy: DynamoDBFaults, stack: Any) -> None:
    proxy.set(table=stack.tables["UsageTable"], fault="unavailable")
    before = telemetry.snapshot()
    r = ask(client, unique("Extract the date: we met on 3 May"), {"cache-control": "no-store"})
    assert r.status_code == 200, r.text
    assert counted("usage_errors", before) == 1  # the UpdateItem of the day's counters
    assert counted("budget_read_errors", before) >= 1  # the tenant's budget, read before routing


def test_budget_read_failure_is_retried_after_the_interval_not_per_request(
    client: TestClient, proxy: DynamoDBFaults, stack: Any
) -> None:
    proxy.set(table=stack.tables["UsageTable"], fault="unavailable")
    before = telemetry.snapshot()
    for _ in range(2):
        predicted(client, "What are your business hours?")
    assert counted("budget_read_errors", before) == 1


# ---- test support


def test_reset_forgets_the_cache_store(
    provider_env: FakeUpstream, proxy: DynamoDBFaults, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps.get_container()  # built on the session's DynamoDB Local
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    deps.reset()
    try:
        store = deps.get_container().service.cache.store
        assert isinstance(store, CacheStore) and store.client.meta.endpoint_url == proxy.endpoint
    finally:
        fresh_deps()


def test_a_repeat_in_the_same_container_is_served_from_memory(
    client: TestClient, proxy: DynamoDBFaults, stack: Any
) -> None:
    prompt = unique("What is the tallest mountain in Africa?")
    assert ask(client, prompt).headers["x-switchyard-cache"] == "miss"
    reads = proxy.stats(stack.tables["CacheTable"])["BatchGetItem"]["forwarded"]
    r = ask(client, prompt)
    assert r.headers["x-switchyard-cache"] == "hit"
    assert proxy.stats(stack.tables["CacheTable"])["BatchGetItem"]["forwarded"] == reads  # no table read
    # a new container (no memory) reads the table and finds the same entry
    fresh_deps()
    assert ask(client, prompt).headers["x-switchyard-cache"] == "hit"
    assert proxy.stats(stack.tables["CacheTable"])["BatchGetItem"]["forwarded"] == reads + 1
