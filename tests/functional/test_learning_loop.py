"""End to end: negative feedback on the cheap model's coding answers, one run of the
scheduled handler (with the committed event), and coding prompts move up a tier while
other task types keep their models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from switchyard.catalog import load_catalog
from switchyard.stores.dynamodb import KeyStore
from switchyard.tenancy import create_key
from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.invoke import invoke
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
from tests_support import EVENTS, TEMPLATE, trusted

AUTH = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}
CODING = [
    "Write a Python function that checks whether a string is a palindrome.",
    "Write a JavaScript function that debounces another function.",
    "Fix this Python code: def add(a, b) return a + b",
    "Write a SQL query that returns the ten customers with the highest total order value.",
]
OTHERS = [
    "What is the capital of Australia?",
    "Write a short poem about the ocean at night.",
    "Rewrite this sentence to sound more formal: 'hey, can u send me the report asap?'",
]
CATALOG = load_catalog()


def models_for(client: TestClient, prompts: list[str]) -> list[str]:
    out = []
    for p in prompts:
        r = client.post("/v1/route", headers=AUTH, json={"messages": [{"role": "user", "content": p}]})
        assert r.status_code == 200, r.text
        out.append(r.json()["decision"]["model"])
    return out


@pytest.fixture
def client(provider_env: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("SWITCHYARD_MATRIX_REFRESH_SECONDS", "0")
    deps.reset()
    return TestClient(create_app())


@pytest.fixture
def operator_trusts_local_dev(api_env) -> Iterator[None]:
    """The operator's own tenant is trusted: its feedback trains the shared matrix."""
    with trusted(api_env, "local-dev"):
        yield


def test_feedback_moves_coding_up_a_tier(client: TestClient, api_env, operator_trusts_local_dev) -> None:
    before = dict(zip(CODING, models_for(client, CODING), strict=True))
    before_others = models_for(client, OTHERS)
    cheap = min(before.values(), key=lambda m: CATALOG.by_id[m].tier)
    on_cheap = [p for p, m in before.items() if m == cheap]
    assert len(on_cheap) >= 2, before
    # answer coding prompts, then rate every answer down
    ids = []
    for p in on_cheap * 4:
        r = client.post(
            "/v1/chat/completions",
            headers=AUTH,
            json={"model": "auto", "messages": [{"role": "user", "content": p}]},
        )
        assert r.status_code == 200 and r.json()["model"] == cheap
        ids.append(r.json()["router"]["request_id"])
    for rid in ids:
        r = client.post("/v1/feedback", headers=AUTH, json={"request_id": rid, "rating": "down"})
        assert r.status_code == 200, r.text
    summary = invoke(TEMPLATE, "RescoreFunction", EVENTS / "rescore-scheduled.json")
    assert summary["feedback_read"] >= len(ids)
    changed = {(c["model"], c["task_type"]) for c in summary["changed"]}
    assert (cheap, "coding") in changed

    after_coding = models_for(client, on_cheap)
    assert all(CATALOG.by_id[m].tier > CATALOG.by_id[cheap].tier for m in after_coding), after_coding
    assert models_for(client, OTHERS) == before_others
    # a second run with no new feedback changes nothing
    again = invoke(TEMPLATE, "RescoreFunction", EVENTS / "rescore-scheduled.json")
    assert again["feedback_read"] == 0 and again["changed"] == []


def test_feedback_is_tenant_scoped_and_idempotent(client: TestClient, api_env) -> None:
    r = client.post(
        "/v1/chat/completions",
        headers=AUTH,
        json={"model": "auto", "messages": [{"role": "user", "content": "What is the capital of Peru?"}]},
    )
    rid = r.json()["router"]["request_id"]
    other = create_key(KeyStore(api_env.tables["KeysTable"], api_env.client), "other-tenant")
    denied = client.post(
        "/v1/feedback",
        headers={"authorization": f"Bearer {other}"},
        json={"request_id": rid, "rating": "down"},
    )
    assert denied.status_code == 404 and denied.json()["error"]["code"] == "request_not_found"
    for score in (0.2, 0.9):
        ok = client.post("/v1/feedback", headers=AUTH, json={"request_id": rid, "score": score})
        assert ok.status_code == 200
    items = api_env.client.query(
        TableName=api_env.tables["FeedbackTable"],
        KeyConditionExpression="tenant_request = :k",
        ExpressionAttributeValues={":k": {"S": f"local-dev#{rid}"}},
    )["Items"]
    assert len(items) == 1 and float(items[0]["score"]["N"]) == 0.9
    bad = client.post("/v1/feedback", headers=AUTH, json={"request_id": rid, "score": 0.5, "rating": "up"})
    assert bad.status_code == 400


def test_a_changed_vote_replaces_the_counted_one(
    client: TestClient, api_env, operator_trusts_local_dev
) -> None:
    from switchyard.stores.dynamodb import MatrixStore

    matrices = MatrixStore(api_env.tables["MatrixTable"], api_env.client)
    saved = matrices.get()
    r = client.post(
        "/v1/chat/completions",
        headers={**AUTH, "cache-control": "no-store"},
        json={
            "model": "auto",
            "messages": [{"role": "user", "content": "Summarise: the cat sat on the mat."}],
        },
    )
    rid, model, task = r.json()["router"]["request_id"], r.json()["model"], r.json()["router"]["task_type"]
    try:
        invoke(TEMPLATE, "RescoreFunction", EVENTS / "rescore-scheduled.json")  # start from a clean window

        def cell() -> tuple[float, float]:
            c = matrices.get()["cells"][model][task]  # type: ignore[index]
            return float(c["quality"]), float(c["n"])

        assert (
            client.post("/v1/feedback", headers=AUTH, json={"request_id": rid, "rating": "down"}).status_code
            == 200
        )
        first = invoke(TEMPLATE, "RescoreFunction", EVENTS / "rescore-scheduled.json")
        assert [(c["model"], c["task_type"], c["votes"]) for c in first["changed"]] == [(model, task, 1.0)]
        q1, n1 = cell()
        # the rater changes their mind: the down vote is taken back, the up vote counted
        assert (
            client.post("/v1/feedback", headers=AUTH, json={"request_id": rid, "rating": "up"}).status_code
            == 200
        )
        second = invoke(TEMPLATE, "RescoreFunction", EVENTS / "rescore-scheduled.json")
        q2, n2 = cell()
        assert n2 == n1  # still one vote from this rater
        strength = 20.0 + n1  # scoring.PRIOR_STRENGTH + evidence
        assert q2 == pytest.approx(q1 + 1.0 / strength, abs=1e-5)
        assert second["changed"][0]["votes"] == 0.0
    finally:
        if saved:
            matrices.put(saved["cells"], str(saved["version"]), str(saved["updated_at"]))
        deps.reset()
