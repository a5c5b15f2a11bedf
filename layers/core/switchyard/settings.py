"""One settings object per process, from the environment (prefix ``SWITCHYARD_``).

Nothing else in Switchyard reads ``os.environ``; provider secrets named in the catalog are
read through :meth:`Settings.env`, the one escape hatch, so that it stays greppable.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from switchyard.errors import ConfigError
from switchyard.routing.modes import RoutingMode


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHYARD_", extra="ignore")

    # DynamoDB
    keys_table: str = "switchyard-keys"
    matrix_table: str = "switchyard-matrix"
    log_table: str = "switchyard-requests"
    feedback_table: str = "switchyard-feedback"
    cache_table: str = "switchyard-cache"
    usage_table: str = "switchyard-usage"
    aws_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SWITCHYARD_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL")
    )
    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("SWITCHYARD_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    ddb_timeout_seconds: float = 2.0

    # Routing
    catalog_path: Path | None = None  # default: the catalog bundled in the package
    baseline_model: str = "gpt-4o"
    default_mode: RoutingMode = "auto"
    matrix_refresh_seconds: float = 60.0

    # Response cache
    cache_enabled: bool = True
    cache_memory_entries: int = Field(default=2048, ge=0)  # the per-container tier; 0 = off
    cache_max_temperature: float = 1.0  # requests above it neither read nor write the cache
    cache_ttl_seconds: int = 86_400
    cache_ttl_by_task: dict[str, int] = {"creative": 3_600}  # JSON in SWITCHYARD_CACHE_TTL_BY_TASK

    # Budgets (per tenant per calendar month, UTC; a tenant's own item in the usage table
    # overrides these defaults: `switchyard budget set`)
    budget_monthly_usd: float | None = None
    budget_hard_cap_usd: float | None = None
    budget_soft_start: float = 0.7  # share of the budget where routing starts shifting to cost mode
    budget_exponent: float = 1.0  # shape of the shift from soft_start to 100% of the budget
    budget_refresh_seconds: float = 30.0

    # Feedback: the API keys whose votes one request may collect (each key votes once, replaceably)
    feedback_max_raters: int = Field(default=5, ge=1)

    # Requests and logs
    max_body_bytes: int = 1_000_000
    log_prompts: bool = False
    log_retention_days: int = 90

    # Provider calls and failover
    provider_connect_timeout: float = 3.0
    provider_first_byte_timeout: float = 30.0
    provider_total_timeout: float = 60.0  # per request, across all models tried
    retry_after_budget: float = 2.0  # a 429's Retry-After up to this long is waited out once
    breaker_threshold: int = 5  # consecutive failures that open a provider's circuit
    breaker_cooldown: float = 30.0  # seconds before an open circuit lets a probe through
    provider_secret_arn: str | None = None  # Secrets Manager JSON of provider settings

    # Serving (the Lambda Web Adapter's port in the streaming shape; `make run` sets its own)
    port: int = Field(default=8080, validation_alias=AliasChoices("SWITCHYARD_PORT", "AWS_LWA_PORT", "PORT"))

    # Local development
    dev_api_key: str | None = None

    def env(self, name: str) -> str | None:
        """A provider setting named by the catalog (e.g. OPENAI_API_KEY); None when unset."""
        value = os.environ.get(name)
        return value or None


def load_settings() -> Settings:
    """The settings from the environment, or a ConfigError that names each bad variable
    (a process fails at start, not on every request)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"SWITCHYARD_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
