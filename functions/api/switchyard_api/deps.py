"""Concrete objects, built once per process (warm invocations reuse them) and overridable
in tests through ``app.dependency_overrides`` or by building the service directly."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import httpx
from fastapi import Request

from switchyard import classifier, telemetry
from switchyard.budget import Budget, BudgetCurve
from switchyard.catalog import Catalog, load_catalog
from switchyard.errors import AuthError, ConfigError, InputError, StoreError
from switchyard.providers.anthropic import AnthropicProvider
from switchyard.providers.base import ChatProvider, Timeouts
from switchyard.providers.bedrock import BedrockProvider
from switchyard.providers.openai_compat import OpenAICompatProvider
from switchyard.service.budgets import BudgetTracker
from switchyard.service.failover import FailoverConfig
from switchyard.service.matrix_cache import MatrixCache
from switchyard.service.router import CacheConfig, RouterService
from switchyard.settings import Settings, get_settings
from switchyard.stores.dynamodb import (
    CacheStore,
    FeedbackStore,
    KeyStore,
    MatrixStore,
    RequestLog,
    UsageStore,
)
from switchyard.tenancy import Tenant, hash_key, verify

log = logging.getLogger(__name__)
AUTH_CACHE_SECONDS = 60.0
T = TypeVar("T")


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    return load_catalog(get_settings().catalog_path)


def _dynamodb(attempts: int) -> Any:
    import boto3
    from botocore.config import Config

    s = get_settings()
    cfg = Config(
        connect_timeout=s.ddb_timeout_seconds,
        read_timeout=s.ddb_timeout_seconds,
        retries={"total_max_attempts": attempts, "mode": "standard"},
    )
    return boto3.client("dynamodb", endpoint_url=s.aws_endpoint_url, region_name=s.aws_region, config=cfg)


@lru_cache(maxsize=1)
def ddb_client() -> Any:
    return _dynamodb(attempts=3)


@lru_cache(maxsize=1)
def ddb_cache_client() -> Any:
    """For the response cache: one attempt, no retries. A slow or throttled cache is a miss,
    not seconds of backoff (the keys, matrix, log and usage keep the retrying client)."""
    return _dynamodb(attempts=1)


@lru_cache(maxsize=1)
def key_store() -> KeyStore:
    return KeyStore(get_settings().keys_table, ddb_client())


@lru_cache(maxsize=1)
def request_log() -> RequestLog:
    return RequestLog(get_settings().log_table, ddb_client())


@lru_cache(maxsize=1)
def feedback_store() -> FeedbackStore:
    return FeedbackStore(get_settings().feedback_table, ddb_client())


@lru_cache(maxsize=1)
def usage_store() -> UsageStore:
    return UsageStore(get_settings().usage_table, ddb_client())


def default_budget(s: Settings) -> Budget:
    return Budget(
        s.budget_monthly_usd, s.budget_hard_cap_usd, BudgetCurve(s.budget_soft_start, s.budget_exponent)
    )


@lru_cache(maxsize=1)
def budget_tracker() -> BudgetTracker:
    s = get_settings()
    return BudgetTracker(usage_store(), default_budget(s), s.budget_refresh_seconds)


@lru_cache(maxsize=1)
def cache_store() -> CacheStore | None:
    s = get_settings()
    return CacheStore(s.cache_table, ddb_cache_client()) if s.cache_enabled else None


@lru_cache(maxsize=1)
def matrix_cache() -> MatrixCache:
    s = get_settings()
    return MatrixCache(MatrixStore(s.matrix_table, ddb_client()), s.matrix_refresh_seconds, time.monotonic)


def provider_settings(settings: Settings) -> dict[str, str]:
    """Provider settings from a Secrets Manager secret or an SSM parameter (``arn:aws:ssm:…``
    or a name starting with ``/``) holding JSON ``{"OPENAI_API_KEY": …}``; cached by
    Powertools for five minutes; never logged. Empty when none is configured."""
    ref = settings.provider_secret_arn
    if not ref:
        return {}
    from aws_lambda_powertools.utilities import parameters

    if ref.startswith("/") or ref.startswith("arn:aws:ssm:"):
        name = ref.split(":parameter", 1)[1] if ref.startswith("arn:") else ref
        value = parameters.get_parameter(name, decrypt=True, transform="json", max_age=300)
    else:
        value = parameters.get_secret(ref, transform="json", max_age=300)
    if not isinstance(value, dict):
        raise ConfigError("the provider secret must be a JSON object of NAME: value")
    return {str(k): str(v) for k, v in value.items() if v}


def bedrock_client(settings: Settings, region: str, endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    cfg = Config(
        connect_timeout=settings.provider_connect_timeout,
        read_timeout=settings.provider_first_byte_timeout,
        retries={"max_attempts": 1},  # failover across models is ours
    )
    return boto3.client("bedrock-runtime", region_name=region, endpoint_url=endpoint, config=cfg)


def build_providers(settings: Settings, catalog: Catalog, client: httpx.Client) -> dict[str, ChatProvider]:
    """Providers that are configured: an API key or an explicit base URL (local servers);
    Bedrock (IAM-authenticated) when a region is named."""
    secret = provider_settings(settings)

    def lookup(name: str | None) -> str | None:
        return (secret.get(name) or settings.env(name)) if name else None

    timeouts = Timeouts(settings.provider_connect_timeout, settings.provider_first_byte_timeout)
    out: dict[str, ChatProvider] = {}
    for name, spec in catalog.providers.items():
        key, base = lookup(spec.api_key_env), lookup(spec.base_url_env)
        if spec.kind == "bedrock":
            region = lookup(spec.region_env)
            if region:
                out[name] = BedrockProvider(name, bedrock_client(settings, region, base))
        elif key is None and base is None:
            continue
        elif spec.kind == "openai":
            out[name] = OpenAICompatProvider(name, base or spec.base_url or "", key, client, timeouts)
        elif spec.kind == "anthropic":
            out[name] = AnthropicProvider(name, base or spec.base_url or "", key, client, timeouts)
    return out


@lru_cache(maxsize=1)
def http_client() -> httpx.Client:
    s = get_settings()
    return httpx.Client(
        timeout=httpx.Timeout(s.provider_first_byte_timeout, connect=s.provider_connect_timeout),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
    )


@lru_cache(maxsize=1)
def router_service() -> RouterService:
    s = get_settings()
    catalog = get_catalog()
    return RouterService(
        catalog=catalog,
        classify=classifier.classify,
        matrix=matrix_cache().get,
        providers=build_providers(s, catalog, http_client()),
        request_log=request_log(),
        baseline_model=s.baseline_model,
        log_prompts=s.log_prompts,
        retention_days=s.log_retention_days,
        cache=cache_store(),
        cache_config=CacheConfig(s.cache_max_temperature, s.cache_ttl_seconds, s.cache_ttl_by_task),
        failover=FailoverConfig(
            total_timeout=s.provider_total_timeout,
            retry_after_budget=s.retry_after_budget,
            breaker_threshold=s.breaker_threshold,
            breaker_cooldown=s.breaker_cooldown,
        ),
        usage=usage_store(),
        budgets=budget_tracker(),
    )


# ---- authentication
_auth_cache: dict[str, tuple[float, Tenant]] = {}


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def authenticate(request: Request) -> Tenant:
    """The caller's tenant. Recently verified keys are cached per container for a minute."""
    key = presented_key(request)
    if key is None:
        raise AuthError("Missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.")
    digest = hash_key(key)
    now = time.monotonic()
    hit = _auth_cache.get(digest)
    if hit and now - hit[0] < AUTH_CACHE_SECONDS:
        return hit[1]
    try:
        record = key_store().get(digest)
    except StoreError:
        telemetry.count("auth_store_errors")
        if hit:  # DynamoDB is down: honour a key we verified before
            return hit[1]
        raise
    tenant = verify(record, digest)
    if tenant is None:
        raise AuthError("Incorrect API key provided.")
    _auth_cache[digest] = (now, tenant)
    return tenant


async def blocking(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run blocking work (DynamoDB, providers) for a request. Under a server (uvicorn) it goes
    to the thread pool so it cannot stall other requests; in Lambda (Mangum puts the event in
    the scope) one invocation is one request, so it runs inline: a thread hop there only
    costs time (Mangum starts a fresh event loop, and thread pool, per invocation)."""
    if "aws.event" in request.scope:
        return fn(*args)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


async def tenant_of(request: Request) -> Tenant:
    """``authenticate``, off the event loop under a server (a key-store read may block)."""
    return await blocking(request, authenticate, request)


# ---- bodies
MAX_JSON_DEPTH = 64  # objects and arrays inside each other; OpenAI requests need a handful


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_json(value: Any) -> None:
    """Refuse what JSON parsers accept but nothing downstream can carry: nesting deeper than
    MAX_JSON_DEPTH (recursion in validation, logging and serialisation) and strings with lone
    UTF-16 surrogates (``"\\ud800"``: no UTF-8 encoding, so no hash, log line or upstream body)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InputError(
                    f"request body nests deeper than {MAX_JSON_DEPTH} levels", code="invalid_json"
                )
            if isinstance(node, dict):
                stack.extend((k, depth) for k in node)
                stack.extend((v, depth + 1) for v in node.values())
            else:
                stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str) and not node.isascii():
            try:
                node.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(
                    "request body has a string that is not valid Unicode", code="invalid_json"
                ) from exc


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, within the size limit, or a clear 4xx. The body is read in
    chunks and refused as soon as it passes the limit, so a chunked upload (no Content-Length)
    cannot make the function buffer more than the limit."""
    limit = get_settings().max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise InputError(f"request body over {limit} bytes", code="request_too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputError(f"request body over {limit} bytes", code="request_too_large")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise InputError("request body is empty; expected a JSON object", code="invalid_json")
    try:
        body = json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError as exc:
        raise InputError(
            f"request body nests deeper than {MAX_JSON_DEPTH} levels", code="invalid_json"
        ) from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN, 1e999, a 5,000-digit integer
        raise InputError(f"request body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise InputError("request body must be a JSON object", code="invalid_json")
    _check_json(body)
    return body


def reset() -> None:
    """Forget every cached object (tests and the local runner change the environment)."""
    if http_client.cache_info().currsize:
        http_client().close()
    for client in (ddb_client, ddb_cache_client):
        if client.cache_info().currsize:
            client().close()
    for fn in (
        get_settings,
        get_catalog,
        ddb_client,
        ddb_cache_client,
        key_store,
        request_log,
        feedback_store,
        usage_store,
        budget_tracker,
        cache_store,
        matrix_cache,
        http_client,
        router_service,
    ):
        fn.cache_clear()
    _auth_cache.clear()
