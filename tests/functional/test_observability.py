"""Metrics leave the Lambda handlers as CloudWatch EMF lines (Powertools) with the names the
template's dashboard and alarms use; the rescore job reports a significant quality drop."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from switchyard.stores.dynamodb import FeedbackStore
from switchyard_api import deps
from switchyard_tools.devtools import template
from switchyard_tools.devtools.events import event
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.invoke import invoke
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
from tests_support import EVENTS, TEMPLATE, shared_matrix_restored, trusted


def emf_lines(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{") and '"_aws"' in x]
    return lines


def metrics_in(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """metric name → the EMF documents that carry it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for doc in lines:
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for m in directive["Metrics"]:
                out.setdefault(m["Name"], []).append(doc)
    return out


def template_metric_names() -> set[str]:
    """Every Switchyard metric the dashboard or an alarm reads."""
    res = template.load(TEMPLATE)["Resources"]
    names = {
        r["Properties"]["MetricName"]
        for r in res.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Namespace") == "Switchyard"
    }
    for r in res.values():
        if r["Type"] == "AWS::CloudWatch::Alarm":
            for q in r["Properties"].get("Metrics", []):
                metric = q.get("MetricStat", {}).get("Metric", {})
                if metric.get("Namespace") == "Switchyard":
                    names.add(metric["MetricName"])
    body = res["Dashboard"]["Properties"]["DashboardBody"]
    text = body if isinstance(body, str) else json.dumps(body)
    names |= {part for part in text.replace('"', " ").split() if part[:1].isupper() and part.isalnum()} & {
        "Requests", "CacheHits", "CostUsd", "BaselineCostUsd", "SavingsUsd", "TierRequests", "OverheadMs",
        "Failovers", "ProviderErrors", "CacheErrors", "RequestLogErrors", "QualityRegressions",
    }  # fmt: skip
    return names


def test_a_completion_publishes_the_dashboards_metrics(
    provider_env: FakeUpstream, api_env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {"model": "auto", "messages": [{"role": "user", "content": "Write a limerick about a router."}]}
    path = tmp_path / "chat.json"
    headers = {"authorization": f"Bearer {LOCAL_TEST_KEY}", "cache-control": "no-store"}
    path.write_text(json.dumps(event("POST", "/v1/chat/completions", body, headers)))
    capsys.readouterr()
    out = invoke(TEMPLATE, "ApiFunction", path)
    assert out["statusCode"] == 200, out["body"][:300]
    model = json.loads(out["body"])["model"]
    published = metrics_in(emf_lines(capsys.readouterr().out))
    for name in ("Requests", "CostUsd", "BaselineCostUsd", "SavingsUsd", "OverheadMs", "Responses2xx"):
        assert name in published, sorted(published)
        assert published[name][0]["service"] == "switchyard-api"
        assert published[name][0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Switchyard"
    routed = published["RoutedRequests"][0]
    assert routed["model"] == model and routed["RoutedRequests"] == [1.0]
    api_metrics = template_metric_names() - {"QualityRegressions"}
    # what the dashboard and alarms read is published by the code (errors and failovers only
    # appear when they happen, so they are checked by name in the code's counters)
    from switchyard import telemetry

    counted = {"Failovers", "ProviderErrors", "CacheErrors", "RequestLogErrors"}
    by_status = {"Responses4xx", "Responses5xx"}  # the alarm's: published per response status class
    assert api_metrics - counted - by_status <= set(published), api_metrics - set(published)
    capsys.readouterr()
    assert invoke(TEMPLATE, "ApiFunction", EVENTS / "route-401-missing-key.json")["statusCode"] == 401
    assert "Responses4xx" in metrics_in(emf_lines(capsys.readouterr().out))
    assert {
        telemetry.metric_name(n)
        for n in ("failovers", "provider_errors", "cache_errors", "request_log_errors")
    } == counted


def test_rescore_reports_a_significant_quality_drop(api_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    store = FeedbackStore(api_env.tables["FeedbackTable"], api_env.client)
    for i in range(30):  # 4 good answers in 30 for a cell whose prior is 0.90, from two tenants
        store.put(
            {
                "tenant_id": f"obs-tenant-{i % 2}",
                "request_id": f"req_obs_{now.timestamp()}_{i}",
                "rater": "judge",
                "score": 1.0 if i < 4 else 0.0,
                "model": "claude-3.5-sonnet",
                "task_type": "extraction",
                "ts": now.isoformat(timespec="milliseconds"),
                "day": now.date().isoformat(),
            }
        )
    capsys.readouterr()
    try:
        with shared_matrix_restored(api_env), trusted(api_env, "obs-tenant-0", "obs-tenant-1"):
            summary = invoke(TEMPLATE, "RescoreFunction", EVENTS / "rescore-scheduled.json")
        published = metrics_in(emf_lines(capsys.readouterr().out))
    finally:
        deps.reset()
    found = [
        r
        for r in summary["regressions"]
        if (r["model"], r["task_type"]) == ("claude-3.5-sonnet", "extraction")
    ]
    assert found and found[0]["p_value"] < 0.01 and found[0]["votes"] == 30
    assert published["QualityRegressions"][0]["QualityRegressions"][0] >= 1.0
    assert published["QualityRegressions"][0]["service"] == "switchyard-rescore"
    scores = {(d["model"], d["task_type"]): d["QualityScore"][0] for d in published["QualityScore"]}
    from switchyard.catalog import load_catalog
    from switchyard.classifier.features import TASK_TYPES

    assert len(scores) == len(load_catalog().models) * len(TASK_TYPES)  # every cell, learned or prior
    assert scores[("claude-3.5-sonnet", "extraction")] < 0.9
