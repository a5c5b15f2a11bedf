"""Budgets that degrade instead of failing: pure arithmetic, no I/O.

A tenant's monthly budget (USD) bends routing before it breaks it. With ``used`` the share of
the budget spent this month:

    thrift = clamp((used - soft_start) / (1 - soft_start), 0, 1) ** exponent

0 means route as asked; 1 means route as ``cost`` mode would. In between, the policy moves
its complexity shift and quality bar part of the way toward ``cost`` mode's (see
``routing.policy.decide``), so the cheaper tiers take more of the traffic as spend rises.
Only the hard cap (a USD amount, by default none) rejects requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BudgetCurve:
    soft_start: float = 0.7  # share of the budget at which routing starts to shift
    exponent: float = 1.0  # >1: shift late and steeply; <1: early and gently

    def thrift(self, used: float) -> float:
        if used <= self.soft_start:
            return 0.0
        if self.soft_start >= 1.0:
            return 1.0
        x = min((used - self.soft_start) / (1.0 - self.soft_start), 1.0)
        return float(x**self.exponent)


@dataclass(frozen=True)
class Budget:
    """A tenant's limits for a calendar month (UTC)."""

    monthly_usd: float | None = None  # the soft budget; None = no budget
    hard_cap_usd: float | None = None  # requests are refused at or above this spend
    curve: BudgetCurve = BudgetCurve()

    @classmethod
    def from_item(cls, item: dict[str, Any] | None, default: Budget) -> Budget:
        """A stored budget item (``monthly_usd``, ``hard_cap_usd``, ``soft_start``,
        ``exponent``); missing fields fall back to ``default``."""
        if not item:
            return default

        def num(name: str, fallback: float | None) -> float | None:
            v = item.get(name)
            return float(v) if v is not None else fallback

        return cls(
            num("monthly_usd", default.monthly_usd),
            num("hard_cap_usd", default.hard_cap_usd),
            BudgetCurve(
                num("soft_start", default.curve.soft_start) or 0.0,
                num("exponent", default.curve.exponent) or 1.0,
            ),
        )


@dataclass(frozen=True)
class BudgetState:
    spent_usd: float
    thrift: float
    over_cap: bool
    used: float | None  # share of the monthly budget spent; None without a budget

    def as_dict(self, budget: Budget) -> dict[str, Any]:
        return {
            "monthly_usd": budget.monthly_usd,
            "hard_cap_usd": budget.hard_cap_usd,
            "spent_usd": round(self.spent_usd, 6),
            "used": None if self.used is None else round(self.used, 4),
            "thrift": round(self.thrift, 4),
            "over_cap": self.over_cap,
        }


def assess(budget: Budget, spent_usd: float) -> BudgetState:
    over = budget.hard_cap_usd is not None and spent_usd >= budget.hard_cap_usd
    if not budget.monthly_usd or budget.monthly_usd <= 0:
        return BudgetState(spent_usd, 0.0, over, None)
    used = spent_usd / budget.monthly_usd
    return BudgetState(spent_usd, budget.curve.thrift(used), over, used)
