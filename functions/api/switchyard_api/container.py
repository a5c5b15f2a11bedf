"""The API's object graph, built from the settings in one place: clients, stores, the
router service and the authenticator. ``deps.get_container`` builds it once per process
(warm invocations reuse the ONNX session, the clients and the caches); tests build their own
with an injected clock, or override ``deps.get_container``/any dependency through
``app.dependency_overrides``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from switchyard import classifier
from switchyard.budget import Budget, BudgetCurve
from switchyard.cache.memory import MemoryTier
from switchyard.catalog import Catalog, load_catalog
from switchyard.errors import ConfigError
from switchyard.providers.factory import build_providers, http_client
from switchyard.service.budgets import BudgetTracker
from switchyard.service.failover import FailoverConfig
from switchyard.service.matrix_cache import MatrixCache
from switchyard.service.recorder import RequestRecorder
from switchyard.service.response_cache import CacheConfig, ResponseCache
from switchyard.service.router import RouterService, memoised
from switchyard.settings import Settings
from switchyard.stores.clients import dynamodb_client
from switchyard.stores.dynamodb import (
    CacheStore,
    FeedbackStore,
    KeyStore,
    MatrixStore,
    RequestLog,
    UsageStore,
)
from switchyard_api.auth import Authenticator

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass
class Container:
    settings: Settings
    catalog: Catalog
    http: httpx.Client
    dynamodb: DynamoDBClient  # retries: keys, matrix, log, feedback, usage
    dynamodb_cache: DynamoDBClient  # one attempt: the response cache
    keys: KeyStore
    request_log: RequestLog
    feedback: FeedbackStore
    usage: UsageStore
    budgets: BudgetTracker
    matrix: MatrixCache
    service: RouterService
    auth: Authenticator

    def close(self) -> None:
        self.http.close()
        self.dynamodb.close()
        self.dynamodb_cache.close()

    def close_connections(self) -> None:
        """Drop pooled connections (before a snapshot); the clients reconnect on next use."""
        self.http.close()


def default_budget(s: Settings) -> Budget:
    return Budget(
        s.budget_monthly_usd, s.budget_hard_cap_usd, BudgetCurve(s.budget_soft_start, s.budget_exponent)
    )


def build_container(
    s: Settings,
    *,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
) -> Container:
    """Everything the routes use. ``clock`` is wall time (request ids, cache expiry, logs,
    budgets' months); ``monotonic`` measures intervals (key and matrix refresh)."""
    catalog = load_catalog(s.catalog_path)
    if catalog.get(s.baseline_model) is None:
        raise ConfigError(
            f"SWITCHYARD_BASELINE_MODEL '{s.baseline_model}' is not in the catalog; "
            f"use one of {', '.join(m.id for m in catalog.models)}"
        )
    ddb, ddb_cache = dynamodb_client(s, attempts=3), dynamodb_client(s, attempts=1)
    http = http_client(s)
    keys = KeyStore(s.keys_table, ddb)
    usage = UsageStore(s.usage_table, ddb)
    budgets = BudgetTracker(usage, default_budget(s), s.budget_refresh_seconds, clock=clock)
    matrix = MatrixCache(MatrixStore(s.matrix_table, ddb), s.matrix_refresh_seconds, monotonic)
    request_log = RequestLog(s.log_table, ddb)
    classify = memoised(classifier.classify)
    service = RouterService(
        catalog=catalog,
        classify=classify,
        matrix=matrix.get,
        providers=build_providers(s, catalog, http),
        recorder=RequestRecorder(
            catalog,
            request_log,
            usage,
            budgets,
            log_prompts=s.log_prompts,
            retention_days=s.log_retention_days,
            clock=clock,
        ),
        cache=ResponseCache(
            CacheStore(s.cache_table, ddb_cache) if s.cache_enabled else None,
            catalog,
            s.baseline_model,
            lambda text: classify(text).embedding,
            CacheConfig(s.cache_max_temperature, s.cache_ttl_seconds, s.cache_ttl_by_task),
            clock=clock,
            memory=MemoryTier(s.cache_memory_entries) if s.cache_enabled and s.cache_memory_entries else None,
        ),
        baseline_model=s.baseline_model,
        failover=FailoverConfig(
            total_timeout=s.provider_total_timeout,
            retry_after_budget=s.retry_after_budget,
            breaker_threshold=s.breaker_threshold,
            breaker_cooldown=s.breaker_cooldown,
        ),
        budgets=budgets,
        clock=clock,
    )
    return Container(
        settings=s,
        catalog=catalog,
        http=http,
        dynamodb=ddb,
        dynamodb_cache=ddb_cache,
        keys=keys,
        request_log=request_log,
        feedback=FeedbackStore(s.feedback_table, ddb),
        usage=usage,
        budgets=budgets,
        matrix=matrix,
        service=service,
        auth=Authenticator(keys, clock=monotonic),
    )
