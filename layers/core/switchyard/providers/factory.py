"""Building the configured providers from the catalog and the settings: an API key or an
explicit base URL (local servers) per provider, from the environment or from one Secrets
Manager secret / SSM parameter; Bedrock (IAM-authenticated) when a region is named."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from switchyard.catalog import Catalog
from switchyard.errors import ConfigError
from switchyard.providers.anthropic import AnthropicProvider
from switchyard.providers.base import ChatProvider, Timeouts
from switchyard.providers.bedrock import BedrockProvider
from switchyard.providers.openai_compat import OpenAICompatProvider
from switchyard.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient


def provider_settings(settings: Settings) -> dict[str, str]:
    """Provider settings from a Secrets Manager secret or an SSM parameter (``arn:aws:ssm:…``
    or a name starting with ``/``) holding JSON ``{"OPENAI_API_KEY": …}``; cached by
    Powertools for five minutes; never logged. Empty when none is configured."""
    ref = settings.provider_secret_arn
    if not ref:
        return {}
    from aws_lambda_powertools.utilities import parameters

    if ref.startswith("/") or (ref.startswith("arn:") and ref.split(":")[2:3] == ["ssm"]):
        name = ref.split(":parameter", 1)[1] if ref.startswith("arn:") else ref
        value = parameters.get_parameter(name, decrypt=True, transform="json", max_age=300)
    else:
        value = parameters.get_secret(ref, transform="json", max_age=300)
    if not isinstance(value, dict):
        raise ConfigError("the provider secret must be a JSON object of NAME: value")
    return {str(k): str(v) for k, v in value.items() if v}


def bedrock_client(settings: Settings, region: str, endpoint: str | None) -> BedrockRuntimeClient:
    import boto3
    from botocore.config import Config

    cfg = Config(
        connect_timeout=settings.provider_connect_timeout,
        read_timeout=settings.provider_first_byte_timeout,
        retries={"max_attempts": 1},  # failover across models is ours
    )
    return boto3.client("bedrock-runtime", region_name=region, endpoint_url=endpoint, config=cfg)


def http_client(settings: Settings) -> httpx.Client:
    """The one pooled HTTP client every HTTP provider shares."""
    return httpx.Client(
        timeout=httpx.Timeout(
            settings.provider_first_byte_timeout, connect=settings.provider_connect_timeout
        ),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
    )


def build_providers(settings: Settings, catalog: Catalog, client: httpx.Client) -> dict[str, ChatProvider]:
    """The providers that are configured, by catalog provider name."""
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
