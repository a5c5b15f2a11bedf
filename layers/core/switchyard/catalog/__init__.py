"""The model catalog: one data file (``catalog.json``) users edit to add models and providers."""

from __future__ import annotations

import json
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from switchyard.errors import ConfigError

__all__ = ["Catalog", "ModelSpec", "ProviderSpec", "load_catalog"]

Capability = Literal["tools", "json_mode", "vision", "audio", "file", "multiple_choices"]


class ProviderSpec(BaseModel):
    kind: Literal["openai", "anthropic", "bedrock"]
    base_url: str | None = None
    base_url_env: str | None = None
    api_key_env: str | None = None
    region_env: str | None = None  # bedrock: enabled when this names a region


class ModelSpec(BaseModel):
    id: str
    provider: str
    upstream: str
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    context_window: int = Field(gt=0)
    tier: int = Field(ge=1, le=3)
    capabilities: list[Capability] = []
    latency_ms: float = Field(gt=0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """USD for a call with these token counts."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


class Catalog(BaseModel):
    providers: dict[str, ProviderSpec]
    models: list[ModelSpec]

    @model_validator(mode="after")
    def _check(self) -> Catalog:
        ids = [m.id for m in self.models]
        if len(set(ids)) != len(ids):
            raise ValueError("model ids must be unique")
        for m in self.models:
            if m.provider not in self.providers:
                raise ValueError(f"model {m.id} names unknown provider {m.provider}")
        if not self.models:
            raise ValueError("the catalog has no models")
        return self

    @cached_property
    def by_id(self) -> dict[str, ModelSpec]:
        return {m.id: m for m in self.models}

    def get(self, model_id: str) -> ModelSpec | None:
        return self.by_id.get(model_id)


def load_catalog(path: Path | None = None) -> Catalog:
    """The catalog at ``path``, or the one bundled with the package."""
    try:
        if path is None:
            text = (resources.files("switchyard.catalog") / "catalog.json").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return Catalog.model_validate(json.loads(text))
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise ConfigError(f"invalid model catalog {path or '(bundled)'}: {exc}") from exc
