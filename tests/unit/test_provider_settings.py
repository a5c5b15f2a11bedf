"""Which providers are configured, and where their settings come from."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from switchyard.catalog import load_catalog
from switchyard.providers.factory import build_providers
from switchyard.settings import Settings
from tests_support import provider_env_names


def providers(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], secret: dict[str, Any] | None = None
) -> set[str]:
    for name in provider_env_names():
        monkeypatch.delenv(name, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    if secret is not None:
        from aws_lambda_powertools.utilities import parameters

        calls: list[str] = []

        def fake_get_secret(name: str, **kw: Any) -> dict[str, Any]:
            calls.append(name)
            assert kw.get("transform") == "json" and kw.get("max_age") == 300
            return secret

        monkeypatch.setattr(parameters, "get_secret", fake_get_secret)
    with httpx.Client() as client:
        return set(build_providers(Settings(), load_catalog(), client))


def test_environment_configures_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert providers(monkeypatch, {}) == set()
    assert providers(monkeypatch, {"OPENAI_API_KEY": "k"}) == {"openai"}
    assert providers(monkeypatch, {"GROQ_BASE_URL": "http://127.0.0.1:1/v1"}) == {
        "groq"
    }  # a local server needs no key
    assert providers(monkeypatch, {"BEDROCK_REGION": "eu-west-1", "ANTHROPIC_API_KEY": "k"}) == {
        "bedrock",
        "anthropic",
    }


def test_secret_overrides_and_adds(monkeypatch: pytest.MonkeyPatch) -> None:
    got = providers(
        monkeypatch,
        {"SWITCHYARD_PROVIDER_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:sy"},
        secret={"OPENAI_API_KEY": "from-secret", "ANTHROPIC_API_KEY": "from-secret"},
    )
    assert got == {"openai", "anthropic"}
