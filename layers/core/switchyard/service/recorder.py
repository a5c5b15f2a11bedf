"""Recording an answered request: metrics, the tenant's usage counters (and this
container's budget tally), and the request log item. A failed write never fails an answer:
it is counted and logged."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from switchyard import telemetry
from switchyard.catalog import Catalog
from switchyard.classifier.text import prompt_from_messages
from switchyard.service.budgets import BudgetTracker
from switchyard.service.requests import ChatRequest
from switchyard.service.results import CompletionResult

log = logging.getLogger(__name__)
PROMPT_CHARS = 4000  # what the log keeps of a prompt, when prompts are logged at all


class LogSink(Protocol):
    def put(self, item: Mapping[str, Any]) -> None: ...


class UsageSink(Protocol):
    def add(self, tenant_id: str, day: str, model: str, counters: Mapping[str, float]) -> None: ...


class RequestRecorder:
    def __init__(
        self,
        catalog: Catalog,
        request_log: LogSink | None,
        usage: UsageSink | None = None,
        budgets: BudgetTracker | None = None,
        *,
        log_prompts: bool = False,
        retention_days: int = 90,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.request_log = request_log
        self.usage = usage
        self.budgets = budgets
        self.log_prompts = log_prompts
        self.retention_days = retention_days
        self.clock = clock

    def record(self, req: ChatRequest, result: CompletionResult) -> None:
        now = self.clock()
        self.metrics(result)
        self.add_usage(req, result, now)
        if self.request_log is not None:
            self._write_log(self.log_item(req, result, now))

    def log_item(self, req: ChatRequest, result: CompletionResult, now: float) -> dict[str, Any]:
        d, resp = result.route.decision, result.usage
        item: dict[str, Any] = {
            "tenant_id": req.tenant.tenant_id,
            "request_id": result.route.request_id,
            "ts": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            "task_type": d.task_type,
            "complexity": round(d.complexity, 4),
            "mode": d.mode,
            "model": result.model,
            "tried": result.tried,
            "input_tokens": resp.input_tokens,
            "output_tokens": resp.output_tokens,
            "cost_usd": round(result.cost_usd, 10),
            "baseline_model": d.baseline_model,
            "baseline_cost_usd": round(result.baseline_cost_usd, 10),
            "latency_ms": round(result.latency_ms, 2),
            "overhead_ms": round(result.route.overhead_ms, 3),
            "cache_hit": result.cache == "hit",
            "key_id": req.tenant.key_id,
            "expires_at": int(now + self.retention_days * 86400),
        }
        if self.log_prompts:
            item["prompt"] = prompt_from_messages(req.messages)[:PROMPT_CHARS]
        return item

    def _write_log(self, item: Mapping[str, Any]) -> None:
        assert self.request_log is not None
        try:
            with telemetry.span("request_log"):
                self.request_log.put(item)
        except Exception as exc:  # a log failure must not fail an answered request
            telemetry.count("request_log_errors")
            log.warning("request log write failed: %s", type(exc).__name__)

    def metrics(self, result: CompletionResult) -> None:
        spec = self.catalog.get(result.model)
        hit = result.cache == "hit"
        telemetry.measure("Requests", 1)
        telemetry.measure("RoutedRequests", 1, "Count", model=result.model)
        telemetry.measure("CacheHits" if hit else "CacheMisses", 1)
        telemetry.measure("CostUsd", result.cost_usd, "None")
        telemetry.measure("BaselineCostUsd", result.baseline_cost_usd, "None")
        telemetry.measure("SavingsUsd", result.savings_usd, "None")
        if not hit:
            telemetry.measure("LatencyMs", result.latency_ms, "Milliseconds")
            telemetry.measure("TierRequests", 1, "Count", tier=str(spec.tier if spec else 0))

    def add_usage(self, req: ChatRequest, result: CompletionResult, now: float) -> None:
        tenant_id, resp = req.tenant.tenant_id, result.usage
        if self.budgets is not None:
            self.budgets.add(tenant_id, result.cost_usd)
        if self.usage is None:
            return
        counters = {
            "requests": 1,
            "cache_hits": 1 if result.cache == "hit" else 0,
            "cost_usd": round(result.cost_usd, 10),
            "baseline_cost_usd": round(result.baseline_cost_usd, 10),
            "input_tokens": resp.input_tokens,
            "output_tokens": resp.output_tokens,
        }
        day = datetime.fromtimestamp(now, UTC).date().isoformat()
        try:
            with telemetry.span("usage"):
                self.usage.add(tenant_id, day, result.model, counters)
        except Exception as exc:  # like the request log: never fail an answered request
            telemetry.count("usage_errors")
            log.warning("usage write failed: %s", type(exc).__name__)
