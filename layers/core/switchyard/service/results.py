"""What the request path produces: a routing result, and a completion with its cost, the
baseline's cost and the router's account of it. Pure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from switchyard.catalog import Catalog
from switchyard.classifier import Classification
from switchyard.providers.base import ProviderResponse
from switchyard.routing import Decision


def new_request_id(now: float) -> str:
    """Time-ordered id: milliseconds since the epoch, then randomness."""
    return f"req_{int(now * 1000):013x}{secrets.token_hex(6)}"


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
    usage: ProviderResponse  # the provider's answer (or the cached one's tokens): what it was priced by
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


def priced(
    catalog: Catalog,
    routed: RouteResult,
    model_id: str,
    resp: ProviderResponse,
    tried: list[str],
    latency_ms: float,
    cache: str,
) -> CompletionResult:
    """A provider's answer with its cost and the baseline model's cost for the same tokens;
    the body names the model that answered and carries the ``router`` field."""
    spec = catalog.by_id[model_id]
    base = catalog.get(routed.decision.baseline_model) or spec
    body = dict(resp.body)
    body["model"] = model_id
    result = CompletionResult(
        routed,
        body,
        model_id,
        resp,
        tried,
        spec.cost(resp.input_tokens, resp.output_tokens),
        base.cost(resp.input_tokens, resp.output_tokens),
        latency_ms,
        cache=cache,
    )
    body["router"] = result.router_info()
    return result
