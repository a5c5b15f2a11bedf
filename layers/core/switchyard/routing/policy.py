"""The routing decision: a pure function of the prompt's classification, the request's
needs, the catalog, the confidence matrix and the mode. No I/O, no clock.

    eligible models (context window, capabilities, tenant allow-list, provider available)
      → minimum tier from task type and complexity (shifted by the mode)
      → escalation: a model whose learned quality for the task is under the mode's bar is
        passed over for the next one up
      → the mode picks: cost = cheapest that clears the bar, speed = fastest that clears it,
        quality = best predicted quality, auto = cheapest at the minimum tier that clears it
      → ordered fallbacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from switchyard.catalog import Catalog, ModelSpec
from switchyard.errors import NoRouteError
from switchyard.routing.matrix import ConfidenceMatrix
from switchyard.routing.modes import RoutingMode

MAX_FALLBACKS = 3

# Complexity (0–10) at which a task type needs tier 2, and tier 3.
TIER_CUTS: dict[str, tuple[float, float]] = {
    "coding": (2.5, 6.0),
    "reasoning": (3.0, 6.5),
    "creative": (4.5, 8.0),
    "qa": (4.0, 7.5),
    "summarization": (5.0, 8.5),
    "extraction": (5.0, 8.5),
    "classification": (5.5, 9.0),
    "rewrite": (5.0, 8.5),
}
# Per mode: complexity shift applied before the cuts, and the quality bar.
MODE_SHIFT: dict[str, float] = {"auto": 0.0, "cost": -1.5, "speed": 0.0, "quality": 2.0}
MODE_BAR: dict[str, float] = {"auto": 0.70, "cost": 0.60, "speed": 0.70, "quality": 0.80}
# Expected completion length by task type, for cost estimates when max_tokens is unset.
OUTPUT_TOKENS: dict[str, int] = {
    "coding": 600,
    "reasoning": 400,
    "creative": 700,
    "qa": 400,
    "summarization": 200,
    "extraction": 150,
    "classification": 20,
    "rewrite": 300,
}


@dataclass(frozen=True)
class RouteInput:
    task_type: str
    complexity: float
    input_tokens: int
    mode: RoutingMode = "auto"
    max_output_tokens: int | None = None
    needs: frozenset[str] = frozenset()  # capabilities: tools, json_mode, vision
    allowed_models: frozenset[str] | None = None  # tenant allow-list; None = all
    available_providers: frozenset[str] | None = None  # configured and healthy; None = all
    thrift: float = 0.0  # 0 = as the mode asks … 1 = as cost mode (a tenant near its budget)


@dataclass(frozen=True)
class Decision:
    model: str
    fallbacks: tuple[str, ...]
    task_type: str
    complexity: float
    mode: str
    min_tier: int
    quality: float
    estimated_cost_usd: float
    baseline_model: str
    baseline_cost_usd: float
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "fallbacks": list(self.fallbacks),
            "task_type": self.task_type,
            "complexity": round(self.complexity, 3),
            "mode": self.mode,
            "min_tier": self.min_tier,
            "predicted_quality": round(self.quality, 3),
            "estimated_cost_usd": self.estimated_cost_usd,
            "baseline_model": self.baseline_model,
            "baseline_cost_usd": self.baseline_cost_usd,
            "reasons": list(self.reasons),
        }


def _toward_cost(table: dict[str, float], mode: str, thrift: float) -> float:
    return table[mode] + (table["cost"] - table[mode]) * min(max(thrift, 0.0), 1.0)


def min_tier(task_type: str, complexity: float, mode: str, thrift: float = 0.0) -> int:
    lo, hi = TIER_CUTS.get(task_type, (4.0, 7.5))
    c = complexity + _toward_cost(MODE_SHIFT, mode, thrift)
    return 1 if c < lo else 2 if c < hi else 3


def output_tokens(inp: RouteInput) -> int:
    guess = OUTPUT_TOKENS.get(inp.task_type, 400)
    if inp.task_type == "rewrite":
        guess = max(guess, inp.input_tokens)
    return min(guess, inp.max_output_tokens) if inp.max_output_tokens else guess


def _ineligible(m: ModelSpec, inp: RouteInput, out_tokens: int) -> str | None:
    if inp.allowed_models is not None and m.id not in inp.allowed_models:
        return "not allowed for this key"
    if inp.available_providers is not None and m.provider not in inp.available_providers:
        return f"provider {m.provider} not available"
    if inp.input_tokens + out_tokens > m.context_window:
        return f"context window {m.context_window} too small"
    missing = inp.needs - set(m.capabilities)
    if missing:
        return f"lacks {', '.join(sorted(missing))}"
    return None


def decide(inp: RouteInput, catalog: Catalog, matrix: ConfidenceMatrix, baseline_model: str) -> Decision:
    """Pick the model for a request. Raises NoRouteError when no model is eligible."""
    out_tokens = output_tokens(inp)
    reasons: list[str] = []
    eligible: list[ModelSpec] = []
    for m in catalog.models:
        why = _ineligible(m, inp, out_tokens)
        if why:
            reasons.append(f"{m.id}: {why}")
        else:
            eligible.append(m)
    if not eligible:
        raise NoRouteError("no model in the catalog is eligible for this request: " + "; ".join(reasons))

    tier = min_tier(inp.task_type, inp.complexity, inp.mode, inp.thrift)
    bar = _toward_cost(MODE_BAR, inp.mode, inp.thrift)
    # past half-way to the budget, quality and speed modes rank by cost too
    ranking = "cost" if inp.thrift >= 0.5 else inp.mode
    if inp.thrift > 0:
        reasons.append(f"budget: routing {inp.thrift:.0%} of the way toward cost mode")
    reasons.append(
        f"task {inp.task_type}, complexity {inp.complexity:.1f} → minimum tier {tier} ({inp.mode})"
    )

    def quality(m: ModelSpec) -> float:
        return matrix.quality(m.id, m.tier, inp.task_type)

    def cost(m: ModelSpec) -> float:
        return m.cost(inp.input_tokens, out_tokens)

    candidates = []
    for m in sorted(eligible, key=lambda m: (m.tier, cost(m))):
        if m.tier < tier:
            continue
        q = quality(m)
        if q < bar:
            learned = "learned" if not matrix.is_prior(m.id, inp.task_type) else "prior"
            reasons.append(
                f"escalated past {m.id}: {learned} quality {q:.2f} for {inp.task_type} < {bar:.2f}"
            )
            continue
        candidates.append(m)

    if ranking == "quality":
        pool = candidates or eligible
        ranked = sorted(pool, key=lambda m: (-quality(m), cost(m)))
    elif ranking == "speed":
        ranked = sorted(candidates, key=lambda m: (m.latency_ms, cost(m)))
    else:  # auto and cost: the cheapest model that clears the bar at or above the minimum tier
        ranked = sorted(candidates, key=lambda m: (cost(m), -quality(m)))
    if not ranked:
        ranked = sorted(eligible, key=lambda m: (-quality(m), cost(m)))
        reasons.append("no eligible model clears the quality bar: best available chosen")

    chosen = ranked[0]
    rest = ranked[1:] + sorted(
        (m for m in eligible if m not in ranked), key=lambda m: (-m.tier, -quality(m), cost(m))
    )
    reasons.append(f"chose {chosen.id} (tier {chosen.tier}, predicted quality {quality(chosen):.2f})")
    base = catalog.get(baseline_model)
    base_cost = base.cost(inp.input_tokens, out_tokens) if base else cost(chosen)
    return Decision(
        model=chosen.id,
        fallbacks=tuple(m.id for m in rest[:MAX_FALLBACKS]),
        task_type=inp.task_type,
        complexity=inp.complexity,
        mode=inp.mode,
        min_tier=tier,
        quality=quality(chosen),
        estimated_cost_usd=round(cost(chosen), 8),
        baseline_model=base.id if base else chosen.id,
        baseline_cost_usd=round(base_cost, 8),
        reasons=tuple(reasons),
    )


def pinned(
    inp: RouteInput, catalog: Catalog, matrix: ConfidenceMatrix, baseline_model: str, model_id: str
) -> Decision:
    """The request named a catalog model: no routing decision, only the checks that still
    apply to that model (provider, context window, capabilities). Its reasons say so."""
    m = catalog.by_id[model_id]
    out_tokens = output_tokens(inp)
    why = _ineligible(m, inp, out_tokens)
    if why:
        raise NoRouteError(f"the requested model {m.id} cannot serve this request: {why}")
    base = catalog.get(baseline_model)
    return Decision(
        model=m.id,
        fallbacks=(),
        task_type=inp.task_type,
        complexity=inp.complexity,
        mode="pinned",
        min_tier=m.tier,
        quality=matrix.quality(m.id, m.tier, inp.task_type),
        estimated_cost_usd=round(m.cost(inp.input_tokens, out_tokens), 8),
        baseline_model=base.id if base else m.id,
        baseline_cost_usd=round((base or m).cost(inp.input_tokens, out_tokens), 8),
        reasons=(f"{m.id} named in the request: not routed",),
    )
