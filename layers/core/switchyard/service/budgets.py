"""Each tenant's month-to-date spend and budget, cached per container.

The spend is read from the usage counters at most every ``refresh_seconds`` per tenant;
what this container spent since adds to it at once, so a burst is seen without a read per
request. That drives the soft budget (routing shifts toward cost mode).

The hard cap holds across the fleet: before a provider call, a tenant with a cap *reserves*
the request's worst-case estimated cost (``reserve``: one conditional UpdateItem on the
month's committed-spend item, refused when spent + in-flight reservations + this estimate
would pass the cap), and settles it with the real cost after (``settle``). What remains is
documented in docs/OPERATIONS.md: an answer can cost more than its estimate only when the
input token estimate (4 characters a token) is low or no ``max_tokens`` bounds the output.
A store failure keeps the last known state (or no budget) and skips the reservation:
budgets never fail a request because DynamoDB did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any, Protocol

from switchyard import telemetry
from switchyard.budget import Budget, BudgetState, assess
from switchyard.errors import BudgetExceededError, StoreError

log = logging.getLogger(__name__)


class UsageReader(Protocol):
    def days(self, tenant_id: str, first: str, last: str) -> list[dict[str, Any]]: ...
    def get_budget(self, tenant_id: str) -> dict[str, Any] | None: ...
    def reserve(self, tenant_id: str, month: str, amount: float, cap: float, seed: float) -> float: ...
    def settle(self, tenant_id: str, month: str, delta: float) -> None: ...


@dataclass(frozen=True)
class Reservation:
    tenant_id: str
    month: str  # YYYY-MM
    amount: float


@dataclass
class _Entry:
    fetched: float
    month: str
    budget: Budget
    spent: float


def month_bounds(now: float) -> tuple[str, str]:
    d = datetime.fromtimestamp(now, UTC)
    return d.strftime("%Y-%m-01"), d.strftime("%Y-%m-31")


class BudgetTracker:
    def __init__(
        self,
        usage: UsageReader,
        default: Budget,
        refresh_seconds: float = 30.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import time

        self.usage = usage
        self.default = default
        self.refresh_seconds = refresh_seconds
        self.clock = clock or time.time
        self._entries: dict[str, _Entry] = {}
        self._failed: dict[str, float] = {}  # last failed read per tenant: not retried sooner
        self._lock = Lock()

    def _load(self, tenant_id: str, now: float) -> _Entry:
        first, last = month_bounds(now)
        budget = Budget.from_item(self.usage.get_budget(tenant_id), self.default)
        spent = 0.0
        if budget.monthly_usd or budget.hard_cap_usd is not None:
            spent = sum(float(i.get("cost_usd", 0.0)) for i in self.usage.days(tenant_id, first, last))
        return _Entry(now, first, budget, spent)

    def _entry(self, tenant_id: str) -> _Entry | None:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(tenant_id)
        month = month_bounds(now)[0]
        known = entry if entry and entry.month == month else None
        if known and now - known.fetched < self.refresh_seconds:
            return known
        if now - self._failed.get(tenant_id, float("-inf")) < self.refresh_seconds:
            return known  # the store failed recently: do not pay its timeouts on every request
        try:
            fresh = self._load(tenant_id, now)
        except StoreError as exc:
            self._failed[tenant_id] = now
            telemetry.count("budget_read_errors")
            log.warning("budget read failed: %s", type(exc).__name__)
            return known
        with self._lock:
            self._entries[tenant_id] = fresh
            self._failed.pop(tenant_id, None)
        return fresh

    def state(self, tenant_id: str) -> tuple[Budget, BudgetState]:
        entry = self._entry(tenant_id)
        if entry is None:
            return self.default, assess(Budget(), 0.0)
        return entry.budget, assess(entry.budget, entry.spent)

    def reserve(self, tenant_id: str, estimate_usd: float) -> Reservation | None:
        """Reserve the estimate under the tenant's hard cap (None: no cap, or the store is
        down); BudgetExceededError when it does not fit."""
        budget, state = self.state(tenant_id)
        if budget.hard_cap_usd is None:
            return None
        month = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m")
        try:
            self.usage.reserve(tenant_id, month, estimate_usd, budget.hard_cap_usd, state.spent_usd)
        except BudgetExceededError:
            telemetry.count("budget_rejections")
            raise
        except StoreError as exc:
            telemetry.count("budget_reserve_errors")
            log.warning("budget reservation failed: %s", type(exc).__name__)
            return None
        return Reservation(tenant_id, month, estimate_usd)

    def settle(self, reservation: Reservation | None, cost_usd: float) -> None:
        """Replace the reservation by the real cost (0 when nothing was answered)."""
        if reservation is None:
            return
        try:
            self.usage.settle(reservation.tenant_id, reservation.month, cost_usd - reservation.amount)
        except StoreError as exc:  # the reservation stays counted: the cap errs on the safe side
            telemetry.count("budget_settle_errors")
            log.warning("budget settlement failed: %s", type(exc).__name__)

    def add(self, tenant_id: str, cost_usd: float) -> None:
        """This container's spend, counted at once (the usage table has it too)."""
        with self._lock:
            entry = self._entries.get(tenant_id)
            if entry is not None:
                entry.spent += cost_usd
