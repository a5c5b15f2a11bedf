"""The router service: the request path from an authenticated request to its answer.

    ChatRequest ─▶ cache.lookup ─hit─▶ recorder.record ─▶ answer
                        │ miss
                        ▼
                 budget check ─▶ classify ─▶ route_input ─▶ decide()
                        ─▶ reserve (hard cap) ─▶ failover.run (providers) ─▶ priced ─▶ settle
                        ─▶ recorder.record ─▶ cache.write

Its rooms: request parsing (``requests``), the response cache (``response_cache``), recording
(``recorder``), results (``results``), failover and budgets. Everything with I/O is injected
(classifier, matrix, providers, stores, clock), so the API wires real parts and tests wire
local ones; streamed answers go through ``streaming`` with the same cache and recorder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import lru_cache

from switchyard import telemetry
from switchyard.budget import BudgetState
from switchyard.catalog import Catalog
from switchyard.classifier import Classification
from switchyard.classifier.text import prompt_from_messages
from switchyard.errors import BudgetExceededError
from switchyard.providers.base import ChatProvider
from switchyard.routing import RoutingMode, decide
from switchyard.routing.matrix import ConfidenceMatrix
from switchyard.routing.policy import OUTPUT_TOKENS, pinned
from switchyard.service.budgets import BudgetTracker, Reservation
from switchyard.service.failover import Failover, FailoverConfig
from switchyard.service.recorder import RequestRecorder
from switchyard.service.requests import ChatRequest, estimate_tokens, route_input
from switchyard.service.response_cache import ResponseCache
from switchyard.service.results import CompletionResult, RouteResult, new_request_id, priced
from switchyard.tenancy import Tenant


class RouterService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        classify: Callable[[str], Classification],
        matrix: Callable[[str], ConfidenceMatrix],  # a tenant's view: shared + its own votes
        providers: Mapping[str, ChatProvider],
        recorder: RequestRecorder,
        cache: ResponseCache,
        baseline_model: str,
        failover: FailoverConfig | None = None,
        budgets: BudgetTracker | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.classify = classify
        self.matrix = matrix
        self.providers = providers
        self.recorder = recorder
        self.cache = cache
        self.baseline_model = baseline_model
        self.failover = Failover(catalog, providers, failover)
        self.budgets = budgets
        self.clock = clock

    # ---- the cache
    def from_cache(self, req: ChatRequest) -> CompletionResult | None:
        """A stored answer to this request (recorded like any answer), or None."""
        hit = self.cache.lookup(req)
        if hit is not None:
            self.recorder.record(req, hit)
        return hit

    # ---- decision
    def route(self, req: ChatRequest, mode: RoutingMode, pinned_model: str | None = None) -> RouteResult:
        start = time.perf_counter()
        budget = self.budget_state(req.tenant)
        if budget.over_cap:
            telemetry.count("budget_rejections")
            raise BudgetExceededError(
                f"this tenant's monthly spend (${budget.spent_usd:.2f}) reached its hard cap; "
                "requests resume next month or when the cap is raised"
            )
        with telemetry.span("classify"):
            classification = self.classify(prompt_from_messages(req.messages))
        inp = route_input(
            req.body,
            classification,
            mode,
            allowed_models=req.tenant.allowed_models,
            # with no provider configured at all, decide anyway (route-only use, and a 503 that
            # carries the decision); otherwise only configured providers are eligible
            available_providers=frozenset(self.providers) or None,
            thrift=budget.thrift,
        )
        matrix = self.matrix(req.tenant.tenant_id)
        if pinned_model is not None:
            decision = pinned(inp, self.catalog, matrix, self.baseline_model, pinned_model)
        else:
            decision = decide(inp, self.catalog, matrix, self.baseline_model)
        overhead = (time.perf_counter() - start) * 1000
        telemetry.measure("OverheadMs", overhead, "Milliseconds")
        return RouteResult(new_request_id(self.clock()), classification, decision, overhead)

    def budget_state(self, tenant: Tenant) -> BudgetState:
        if self.budgets is None:
            return BudgetState(0.0, 0.0, False, None)
        return self.budgets.state(tenant.tenant_id)[1]

    # ---- the hard cap: reserve the worst case, settle the real cost
    def reserve(self, req: ChatRequest, routed: RouteResult) -> Reservation | None:
        if self.budgets is None:
            return None
        return self.budgets.reserve(req.tenant.tenant_id, worst_case_cost(self.catalog, req, routed))

    def settle(self, reservation: Reservation | None, cost_usd: float) -> None:
        if self.budgets is not None:
            self.budgets.settle(reservation, cost_usd)

    # ---- completion with failover
    def complete(self, req: ChatRequest, routed: RouteResult) -> CompletionResult:
        d = routed.decision
        reservation = self.reserve(req, routed)
        start = time.perf_counter()
        try:
            with telemetry.span("provider"):
                model_id, resp, tried = self.failover.run(
                    (d.model, *d.fallbacks),
                    lambda spec, provider, remaining: provider.complete(spec, req.body, remaining),
                )
        except BaseException:
            self.settle(reservation, 0.0)  # nothing was answered
            raise
        latency = (time.perf_counter() - start) * 1000
        result = priced(self.catalog, routed, model_id, resp, tried, latency, self.cache.state(req))
        self.settle(reservation, result.cost_usd)
        self.recorder.record(req, result)
        self.cache.write(req, result)
        return result


def worst_case_cost(catalog: Catalog, req: ChatRequest, routed: RouteResult) -> float:
    """What the request can cost at most, as far as it can be known before the call: the
    estimated input tokens and ``max_tokens`` (else the task's expected output) on the
    most expensive model failover may reach."""
    d = routed.decision
    body = req.body
    out = body.get("max_tokens") or body.get("max_completion_tokens") or OUTPUT_TOKENS.get(d.task_type, 400)
    tokens_in = estimate_tokens(req.messages)
    costs = [m.cost(tokens_in, int(out)) for m in map(catalog.get, (d.model, *d.fallbacks)) if m]
    return max(costs, default=d.estimated_cost_usd)


def memoised(classify: Callable[[str], Classification], size: int = 256) -> Callable[[str], Classification]:
    """Classification is a pure function of the text: the cache's semantic level and the
    routing decision of one request share one call."""
    return lru_cache(maxsize=size)(classify)
