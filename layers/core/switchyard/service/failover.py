"""Trying the decision's models in order until one answers.

- connect errors, timeouts, 408/409/429 and 5xx go to the next model; so do 401/403, which
  mean the provider refused *our* credentials (a configuration fault, logged as an error with
  the upstream's detail, counted, and never shown to the tenant); other 4xx (the client's
  mistake) are returned as they are, never retried;
- a 429 with ``Retry-After`` within ``retry_after_budget`` seconds is retried once on the
  same model after that wait (plus up to ``jitter`` of it, so that clients do not retry in
  lockstep);
- the whole request has ``total_timeout`` seconds: each call gets what is left of it;
- a provider whose circuit is open is skipped at once (``providers.breaker``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from switchyard import telemetry
from switchyard.catalog import Catalog, ModelSpec
from switchyard.errors import NoProviderError, ProviderError
from switchyard.providers.base import ChatProvider, retryable
from switchyard.providers.breaker import CircuitBreaker

log = logging.getLogger(__name__)
T = TypeVar("T")
CREDENTIAL_FAILURES = (401, 403)  # the provider refused our key: fail over, never the tenant's fault


@dataclass(frozen=True)
class FailoverConfig:
    total_timeout: float = 60.0
    retry_after_budget: float = 2.0
    jitter: float = 0.1
    breaker_threshold: int = 5
    breaker_cooldown: float = 30.0


class Failover:
    def __init__(
        self,
        catalog: Catalog,
        providers: Mapping[str, ChatProvider],
        config: FailoverConfig | None = None,
        *,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.catalog = catalog
        self.providers = providers
        self.config = config or FailoverConfig()
        self.breaker = breaker or CircuitBreaker(
            self.config.breaker_threshold, self.config.breaker_cooldown, monotonic
        )
        self.sleep = sleep
        self.monotonic = monotonic
        self.rng = rng

    def run(
        self, models: Sequence[str], call: Callable[[ModelSpec, ChatProvider, float], T]
    ) -> tuple[str, T, list[str]]:
        """(model that answered, its answer, models tried in order)."""
        cfg = self.config
        deadline = self.monotonic() + cfg.total_timeout
        tried: list[str] = []
        skipped: list[str] = []
        last: ProviderError | None = None
        for model_id in models:
            spec = self.catalog.get(model_id)
            provider = self.providers.get(spec.provider) if spec else None
            if spec is None or provider is None:
                continue
            if not self.breaker.allow(spec.provider):
                skipped.append(model_id)
                telemetry.count("circuit_open_skips")
                continue
            retried = False
            while True:
                remaining = deadline - self.monotonic()
                if remaining <= 0:
                    raise ProviderError(
                        f"no answer within the total timeout of {cfg.total_timeout:g} s", status=504
                    )
                tried.append(model_id)
                try:
                    out = call(spec, provider, remaining)
                except ProviderError as exc:
                    last = exc
                    telemetry.count("provider_errors")
                    log.warning("provider call failed", extra={"model": model_id, "status": exc.status})
                    if exc.status in CREDENTIAL_FAILURES:
                        telemetry.count("provider_auth_errors")
                        log.error(
                            "provider refused the configured credentials",
                            extra={"model": model_id, "provider": spec.provider, "detail": str(exc)[:300]},
                        )
                        self.breaker.failure(spec.provider)
                        telemetry.count("failovers")
                        break
                    if not retryable(exc.status):
                        self.breaker.success(spec.provider)  # it answered: the client's request is at fault
                        raise
                    self.breaker.failure(spec.provider)
                    wait = exc.retry_after
                    if (
                        exc.status == 429
                        and not retried
                        and wait is not None
                        and wait <= cfg.retry_after_budget
                        and wait < deadline - self.monotonic()
                    ):
                        retried = True
                        telemetry.count("retries")
                        self.sleep(wait * (1.0 + cfg.jitter * self.rng()))
                        continue
                    telemetry.count("failovers")
                    break
                self.breaker.success(spec.provider)
                return model_id, out, tried
        if last is None:
            if skipped:
                raise ProviderError(
                    "every eligible provider is failing (circuit open); try again shortly", status=503
                )
            raise NoProviderError("no provider is configured for the chosen models")
        # the upstreams' own texts stay in the log: they can carry configuration details
        log.warning(
            "every model failed", extra={"tried": tried, "status": last.status, "detail": str(last)[:300]}
        )
        raise ProviderError(
            f"every eligible model failed ({len(tried)} attempts; last status {last.status or 'none'})",
            status=502,
        )
