"""The router service: everything between an authenticated request and its answer.

I/O is injected (classifier, matrix, providers, request log, clock), so the API wires real
parts and tests wire local ones.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from switchyard import telemetry
from switchyard.budget import BudgetState
from switchyard.cache import policy as cache_policy
from switchyard.cache import semantic
from switchyard.cache.normalize import normalized_key_in
from switchyard.catalog import Catalog
from switchyard.classifier import Classification
from switchyard.classifier.text import prompt_from_messages
from switchyard.errors import BudgetExceededError, InputError, StoreError
from switchyard.providers.base import ChatProvider, ProviderResponse
from switchyard.routing import Decision, RouteInput, RoutingMode, decide
from switchyard.routing.matrix import ConfidenceMatrix
from switchyard.service.budgets import BudgetTracker
from switchyard.service.failover import Failover, FailoverConfig
from switchyard.service.requests import estimate_tokens, needs
from switchyard.tenancy import Tenant

log = logging.getLogger(__name__)


class LogSink(Protocol):
    def put(self, item: Mapping[str, Any]) -> None: ...


class UsageSink(Protocol):
    def add(self, tenant_id: str, day: str, model: str, counters: Mapping[str, float]) -> None: ...


class Cache(Protocol):
    def get_first(self, keys: list[str], now: float) -> tuple[str, dict[str, Any]] | None: ...
    def put_many(self, entries: Mapping[str, Mapping[str, Any]]) -> None: ...


@dataclass(frozen=True)
class CacheConfig:
    max_temperature: float = 1.0
    ttl_seconds: int = 86_400
    ttl_by_task: Mapping[str, int] = field(default_factory=dict)


@dataclass
class RouteResult:
    request_id: str
    classification: Classification | None  # None for answers served from the cache
    decision: Decision
    overhead_ms: float


@dataclass
class CompletionResult:
    route: RouteResult
    body: dict[str, Any]
    model: str
    tried: list[str] = field(default_factory=list)
    cost_usd: float = 0.0
    baseline_cost_usd: float = 0.0
    latency_ms: float = 0.0
    cache: str = "miss"  # hit | miss | bypass | off
    cache_level: str | None = None  # exact | normalized | semantic, for hits
    cache_similarity: float | None = None  # embedding cosine, for semantic hits

    @property
    def savings_usd(self) -> float:
        return max(self.baseline_cost_usd - self.cost_usd, 0.0)

    def router_info(self) -> dict[str, Any]:
        d = self.route.decision
        return {
            "request_id": self.route.request_id,
            "model": self.model,
            "task_type": d.task_type,
            "complexity": round(d.complexity, 3),
            "mode": d.mode,
            "cost_usd": round(self.cost_usd, 8),
            "baseline_model": d.baseline_model,
            "baseline_cost_usd": round(self.baseline_cost_usd, 8),
            "savings_usd": round(self.savings_usd, 8),
            "tried": self.tried,
            "cache": self.cache,
            "cache_level": self.cache_level,
            "cache_similarity": self.cache_similarity,
            "reasons": list(d.reasons),
        }


def new_request_id(now: float) -> str:
    """Time-ordered id: milliseconds since the epoch, then randomness."""
    return f"req_{int(now * 1000):013x}{secrets.token_hex(6)}"


class RouterService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        classify: Callable[[str], Classification],
        matrix: Callable[[], ConfidenceMatrix],
        providers: Mapping[str, ChatProvider],
        request_log: LogSink | None,
        baseline_model: str,
        log_prompts: bool = False,
        retention_days: int = 90,
        cache: Cache | None = None,
        cache_config: CacheConfig | None = None,
        failover: FailoverConfig | None = None,
        usage: UsageSink | None = None,
        budgets: BudgetTracker | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        # classification is a pure function of the text: the cache's semantic level and the
        # routing decision of one request share it
        self.classify = lru_cache(maxsize=256)(classify)
        self.matrix = matrix
        self.providers = providers
        self.request_log = request_log
        self.baseline_model = baseline_model
        self.log_prompts = log_prompts
        self.retention_days = retention_days
        self.cache = cache
        self.cache_config = cache_config or CacheConfig()
        self.failover = Failover(catalog, providers, failover)
        self.usage = usage
        self.budgets = budgets
        self.clock = clock

    # ---- decision
    def route(
        self,
        request: Mapping[str, Any],
        tenant: Tenant,
        mode: RoutingMode,
        pinned_model: str | None = None,
    ) -> RouteResult:
        start = time.perf_counter()
        budget = self.budget_state(tenant)
        if budget.over_cap:
            telemetry.count("budget_rejections")
            raise BudgetExceededError(
                f"this tenant's monthly spend (${budget.spent_usd:.2f}) reached its hard cap; "
                "requests resume next month or when the cap is raised"
            )
        messages: Sequence[Mapping[str, Any]] = request["messages"]
        with telemetry.span("classify"):
            classification = self.classify(prompt_from_messages(messages))
        inp = RouteInput(
            task_type=classification.task_type,
            complexity=classification.complexity,
            input_tokens=estimate_tokens(messages),
            mode=mode,
            max_output_tokens=request.get("max_tokens") or request.get("max_completion_tokens"),
            needs=needs(request),
            allowed_models=tenant.allowed_models,
            # with no provider configured at all, decide anyway (route-only use, and a 503 that
            # carries the decision); otherwise only configured providers are eligible
            available_providers=frozenset(self.providers) or None,
            thrift=budget.thrift,
        )
        if pinned_model is not None:
            inp = replace(inp, allowed_models=frozenset([pinned_model]))
        decision = decide(inp, self.catalog, self.matrix(), self.baseline_model)
        overhead = (time.perf_counter() - start) * 1000
        telemetry.measure("OverheadMs", overhead, "Milliseconds")
        return RouteResult(new_request_id(self.clock()), classification, decision, overhead)

    def budget_state(self, tenant: Tenant) -> BudgetState:
        if self.budgets is None:
            return BudgetState(0.0, 0.0, False, None)
        return self.budgets.state(tenant.tenant_id)[1]

    # ---- exact-match cache
    def from_cache(
        self, request: Mapping[str, Any], tenant: Tenant, model_field: str, cache_control: str | None
    ) -> CompletionResult | None:
        """A stored answer to the identical request of the same tenant, or None."""
        if self.cache is None or not cache_policy.readable(
            request, cache_control, self.cache_config.max_temperature
        ):
            return None
        start = time.perf_counter()
        keys, sem_key, probe = self._cache_keys(request, tenant, model_field)
        try:
            with telemetry.span("cache"):
                found = self.cache.get_first([*keys, *([sem_key] if sem_key else [])], self.clock())
        except StoreError as exc:
            telemetry.count("cache_errors")
            log.warning("cache read failed: %s", exc)
            return None
        if found is None:
            return None
        key, entry = found
        similarity = None
        if key == sem_key and probe is not None:
            candidate = semantic.candidate_from_fields({"ref": key, **entry})
            matched = semantic.match(probe, [candidate] if candidate else [])
            if matched is None:  # same terms bucket, but the guard or the threshold says no
                return None
            similarity = round(matched.similarity, 4)
        level = "exact" if key == keys[0] else "semantic" if key == sem_key else "normalized"
        telemetry.count(f"cache_hits_{level}")
        spec = self.catalog.get(str(entry["model"]))
        base = self.catalog.get(self.baseline_model)
        usage = ProviderResponse({}, int(entry.get("input_tokens", 0)), int(entry.get("output_tokens", 0)))
        base_cost = base.cost(usage.input_tokens, usage.output_tokens) if base else 0.0
        decision = Decision(
            model=str(entry["model"]),
            fallbacks=(),
            task_type=str(entry.get("task_type", "")),
            complexity=float(entry.get("complexity", 0.0)),
            mode=str(entry.get("mode", "auto")),
            min_tier=spec.tier if spec else 0,
            quality=0.0,
            estimated_cost_usd=0.0,
            baseline_model=base.id if base else self.baseline_model,
            baseline_cost_usd=round(base_cost, 8),
            reasons=(f"answered from the cache ({level} match)",),
        )
        routed = RouteResult(
            new_request_id(self.clock()), None, decision, (time.perf_counter() - start) * 1000
        )
        body = json.loads(str(entry["body"]))
        body["model"] = decision.model
        result = CompletionResult(
            routed,
            body,
            decision.model,
            [],
            0.0,
            base_cost,
            routed.overhead_ms,
            cache="hit",
            cache_level=level,
            cache_similarity=similarity,
        )
        body["router"] = result.router_info()
        self.record(request, tenant, result, usage)
        return result

    def _cache_keys(
        self, request: Mapping[str, Any], tenant: Tenant, model_field: str
    ) -> tuple[list[str], str | None, semantic.Probe | None]:
        """The exact key, then the normalised one (same context, same content words); the
        semantic key (the terms bucket: the LSH bands would add items, not hits) and its
        probe. The context is hashed once for both."""
        t = tenant.tenant_id
        keys = [cache_policy.exact_key(t, model_field, request)]
        context = cache_policy.context_key(t, model_field, request)
        norm = normalized_key_in(t, request, context)
        if norm is not None:
            keys.append(norm)
        probe = self._probe(request)
        sem_key = semantic.terms_key(t, semantic.fingerprint(context), probe) if probe else None
        return keys, sem_key, probe

    def _probe(self, request: Mapping[str, Any]) -> semantic.Probe | None:
        text = semantic.last_user_text(request)
        if text is None or not semantic.eligible(text):
            return None
        with telemetry.span("classify"):
            return semantic.probe(text, self.classify(text).embedding)

    def to_cache(
        self,
        request: Mapping[str, Any],
        tenant: Tenant,
        model_field: str,
        cache_control: str | None,
        result: CompletionResult,
        usage: ProviderResponse,
    ) -> None:
        cfg = self.cache_config
        if self.cache is None or not cache_policy.writable(
            request, usage.body, cache_control, cfg.max_temperature
        ):
            return
        d = result.route.decision
        now = self.clock()
        expires_at = math.ceil(now + cache_policy.ttl_seconds(d.task_type, cfg.ttl_seconds, cfg.ttl_by_task))
        entry = {
            "body": json.dumps({k: v for k, v in usage.body.items() if k != "router"}),
            "model": result.model,
            "task_type": d.task_type,
            "complexity": round(d.complexity, 4),
            "mode": d.mode,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "created_at": int(now),
            "expires_at": expires_at,
        }
        keys, sem_key, probe = self._cache_keys(request, tenant, model_field)
        try:
            entries: dict[str, Mapping[str, Any]] = dict.fromkeys(keys, entry)
            if sem_key and probe is not None:
                fields = semantic.entry_fields(sem_key, probe, expires_at)
                fields.pop("ref")
                entries[sem_key] = {**entry, **fields}
            with telemetry.span("cache_write"):
                self.cache.put_many(entries)  # one round trip for every level
        except StoreError as exc:
            telemetry.count("cache_errors")
            log.warning("cache write failed: %s", exc)

    # ---- completion with failover
    def complete(
        self,
        request: Mapping[str, Any],
        routed: RouteResult,
        tenant: Tenant,
        model_field: str = "auto",
        cache_control: str | None = None,
    ) -> CompletionResult:
        d = routed.decision
        start = time.perf_counter()
        with telemetry.span("provider"):
            model_id, resp, tried = self.failover.run(
                (d.model, *d.fallbacks),
                lambda spec, provider, remaining: provider.complete(spec, request, remaining),
            )
        result = self.finish(request, routed, tenant, model_id, resp, tried, start, cache_control)
        self.to_cache(request, tenant, model_field, cache_control, result, resp)
        return result

    def cache_state(self, request: Mapping[str, Any], cache_control: str | None) -> str:
        if self.cache is None:
            return "off"
        readable = cache_policy.readable(request, cache_control, self.cache_config.max_temperature)
        return "miss" if readable else "bypass"

    def finish(
        self,
        request: Mapping[str, Any],
        routed: RouteResult,
        tenant: Tenant,
        model_id: str,
        resp: ProviderResponse,
        tried: list[str],
        start: float,
        cache_control: str | None = None,
    ) -> CompletionResult:
        """Cost, baseline cost, router info and the request log for an answer (streamed or not)."""
        spec = self.catalog.by_id[model_id]
        base = self.catalog.get(routed.decision.baseline_model) or spec
        cost = spec.cost(resp.input_tokens, resp.output_tokens)
        base_cost = base.cost(resp.input_tokens, resp.output_tokens)
        body = dict(resp.body)
        body["model"] = model_id
        result = CompletionResult(
            routed, body, model_id, tried, cost, base_cost, (time.perf_counter() - start) * 1000
        )
        result.cache = self.cache_state(request, cache_control)
        body["router"] = result.router_info()
        self.record(request, tenant, result, resp)
        return result

    # ---- request log
    def record(
        self, request: Mapping[str, Any], tenant: Tenant, result: CompletionResult, resp: ProviderResponse
    ) -> None:
        """Metrics, usage counters (and this container's budget tally), the request log."""
        now = self.clock()
        self._metrics(result)
        self._usage(tenant, result, resp, now)
        if self.request_log is None:
            return
        d = result.route.decision
        item: dict[str, Any] = {
            "tenant_id": tenant.tenant_id,
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
            "key_id": tenant.key_id,
            "expires_at": int(now + self.retention_days * 86400),
        }
        if self.log_prompts:
            item["prompt"] = prompt_from_messages(request["messages"])[:4000]
        try:
            with telemetry.span("request_log"):
                self.request_log.put(item)
        except Exception as exc:  # a log failure must not fail an answered request
            telemetry.count("request_log_errors")
            log.warning("request log write failed: %s", type(exc).__name__)

    def _metrics(self, result: CompletionResult) -> None:
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

    def _usage(self, tenant: Tenant, result: CompletionResult, resp: ProviderResponse, now: float) -> None:
        if self.budgets is not None:
            self.budgets.add(tenant.tenant_id, result.cost_usd)
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
                self.usage.add(tenant.tenant_id, day, result.model, counters)
        except Exception as exc:  # like the request log: never fail an answered request
            telemetry.count("usage_errors")
            log.warning("usage write failed: %s", type(exc).__name__)


def parse_model_field(
    model: str | None, default_mode: str, catalog: Catalog
) -> tuple[RoutingMode, str | None]:
    """``auto`` / ``router:<mode>`` → (mode, None); a catalog model id → (default mode, id)."""
    from switchyard.routing.policy import MODES

    if model in (None, "", "auto", "router"):
        return _mode(default_mode), None
    assert model is not None
    if model.startswith("router:"):
        mode = model.split(":", 1)[1]
        if mode not in MODES:
            raise InputError(
                f"unknown routing mode '{mode}'; use one of {', '.join(MODES)}",
                param="model",
                code="invalid_routing_mode",
            )
        return _mode(mode), None
    if catalog.get(model) is None:
        raise InputError(
            f"The model '{model}' does not exist; use 'auto', 'router:<mode>' or one of {', '.join(m.id for m in catalog.models)}",
            param="model",
            code="model_not_found",
        )
    return _mode(default_mode), model


def _mode(mode: str) -> RoutingMode:
    from switchyard.routing.policy import MODES

    if mode not in MODES:
        raise InputError(
            f"unknown routing mode '{mode}'; use one of {', '.join(MODES)}",
            param="routing_mode",
            code="invalid_routing_mode",
        )
    return mode  # type: ignore[return-value]
