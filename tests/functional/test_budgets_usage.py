"""Budgets and usage through the app on DynamoDB Local: a tenant near its budget is routed
to cheaper models, one over its hard cap is refused with a 429, another tenant is not
affected; GET /v1/usage reports the caller's own usage only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from switchyard.catalog import load_catalog
from switchyard.stores.dynamodb import KeyStore, UsageStore
from switchyard.tenancy import create_key
from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_tools.devtools.fake_upstream import FakeUpstream

CATALOG = load_catalog()
PROMPTS = [
    "Refactor this Python class to use dataclasses and add type hints throughout.",
    "Write a function that parses an ISO 8601 duration string into seconds.",
    "Prove that the square root of 2 is irrational.",
    "Explain the difference between optimistic and pessimistic locking in databases, with examples.",
    "Write a haiku about autumn rain in a quiet city.",
    "What is the capital of Australia?",
]
NO_STORE = {"cache-control": "no-store"}


@pytest.fixture
def client(provider_env: FakeUpstream) -> TestClient:
    deps.reset()
    return TestClient(create_app())


def new_tenant(stack, name: str, monthly: float | None = None, cap: float | None = None, spent: float = 0.0):
    key = create_key(KeyStore(stack.tables["KeysTable"], stack.client), name)
    usage = UsageStore(stack.tables["UsageTable"], stack.client)
    if monthly is not None or cap is not None:
        usage.put_budget(name, {"monthly_usd": monthly, "hard_cap_usd": cap})
    if spent:
        today = datetime.now(UTC).date().isoformat()
        usage.add(name, today, "gpt-4o", {"requests": 1, "cost_usd": spent, "baseline_cost_usd": spent})
    return {"authorization": f"Bearer {key}", **NO_STORE}


def tiers(client: TestClient, headers: dict[str, str], model: str = "auto") -> list[int]:
    out = []
    for p in PROMPTS:
        r = client.post(
            "/v1/chat/completions",
            headers=headers,
            json={"model": model, "messages": [{"role": "user", "content": p}]},
        )
        assert r.status_code == 200, r.text
        out.append(CATALOG.by_id[r.json()["model"]].tier)
    return out


def test_budget_shifts_routing_then_caps_without_touching_other_tenants(client: TestClient, api_env) -> None:
    tag = datetime.now(UTC).strftime("%H%M%S%f")
    free = new_tenant(api_env, f"free-{tag}")
    near = new_tenant(api_env, f"near-{tag}", monthly=10.0, cap=20.0, spent=10.5)
    over = new_tenant(api_env, f"over-{tag}", monthly=10.0, cap=12.0, spent=12.5)

    free_auto = tiers(client, free)
    free_cost = tiers(client, free, "router:cost")
    assert free_cost != free_auto, "the prompts must include some that cost mode routes cheaper"
    near_auto = tiers(client, near)
    assert near_auto == free_cost  # past 100% of its budget: routed as cost mode would
    assert sum(near_auto) < sum(free_auto)

    r = client.post(
        "/v1/chat/completions",
        headers=over,
        json={"model": "auto", "messages": [{"role": "user", "content": PROMPTS[0]}]},
    )
    assert r.status_code == 429, r.text
    assert (
        r.json()["error"]["code"] == "budget_exceeded" and r.json()["error"]["type"] == "insufficient_quota"
    )
    # the capped tenant's neighbours are untouched
    assert tiers(client, free) == free_auto
    usage = client.get("/v1/usage", headers=near).json()
    assert usage["budget"]["thrift"] == 1.0 and not usage["budget"]["over_cap"]
    assert client.get("/v1/usage", headers=over).json()["budget"]["over_cap"] is True


def test_usage_reports_own_requests_cache_hits_and_savings(client: TestClient, api_env) -> None:
    tag = datetime.now(UTC).strftime("%H%M%S%f")
    mine = new_tenant(api_env, f"usage-{tag}")
    mine.pop("cache-control")
    theirs = new_tenant(api_env, f"other-{tag}")
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": f"What is the capital of Peru? ({tag})"}],
    }
    first = client.post("/v1/chat/completions", headers=mine, json=body)
    again = client.post("/v1/chat/completions", headers=mine, json=body)
    assert again.headers["x-switchyard-cache"] == "hit", again.headers
    hard = {"model": "auto", "messages": [{"role": "user", "content": PROMPTS[2]}]}
    assert client.post("/v1/chat/completions", headers={**mine, **NO_STORE}, json=hard).status_code == 200

    u = client.get("/v1/usage", headers=mine)
    assert u.status_code == 200, u.text
    report = u.json()
    assert report["tenant_id"] == f"usage-{tag}"
    t = report["totals"]
    assert t["requests"] == 3 and t["cache_hits"] == 1
    assert t["cost_usd"] > 0 and t["baseline_cost_usd"] >= t["cost_usd"]
    assert t["savings_usd"] == pytest.approx(t["baseline_cost_usd"] - t["cost_usd"], abs=1e-6)
    assert report["by_day"][0]["date"] == datetime.now(UTC).date().isoformat()
    assert first.json()["model"] in {m["model"] for m in report["by_model"]}

    other = client.get("/v1/usage", headers=theirs).json()
    assert other["tenant_id"] == f"other-{tag}" and other["totals"]["requests"] == 0
    bad = client.get("/v1/usage", headers=mine, params={"start": "2026-11-20", "end": "2026-11-01"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "end"
