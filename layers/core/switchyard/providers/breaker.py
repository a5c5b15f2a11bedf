"""Per-provider circuit breaker: a dead provider costs one fast skip, not a timeout per request.

closed → open after ``threshold`` consecutive failures; open → skipped until ``cooldown``
seconds pass; then half-open: one request probes it (success closes, failure re-opens).
State is per container (each Lambda container learns on its own). Clock injected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock


@dataclass
class _State:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreaker:
    def __init__(self, threshold: int, cooldown: float, clock: Callable[[], float]) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._states: dict[str, _State] = {}
        self._lock = Lock()

    def allow(self, provider: str) -> bool:
        """May a request go to this provider now? (Claims the half-open probe if it is due.)"""
        with self._lock:
            st = self._states.get(provider)
            if st is None or st.opened_at is None:
                return True
            if st.probing or self.clock() - st.opened_at < self.cooldown:
                return False
            st.probing = True
            return True

    def success(self, provider: str) -> None:
        with self._lock:
            self._states[provider] = _State()

    def failure(self, provider: str) -> None:
        with self._lock:
            st = self._states.setdefault(provider, _State())
            st.failures += 1
            if st.probing or st.failures >= self.threshold:
                st.opened_at = self.clock()
            st.probing = False

    def is_open(self, provider: str) -> bool:
        with self._lock:
            st = self._states.get(provider)
            return st is not None and st.opened_at is not None
