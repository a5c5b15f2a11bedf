"""Request bodies. Unknown OpenAI fields are accepted and passed through to providers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from switchyard.routing.modes import MODES

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


# The router checks modes and model names itself (with codes invalid_routing_mode and
# model_not_found); the schema only documents the accepted values.
def _mode_field() -> Any:
    return Field(default=None, json_schema_extra={"enum": [*MODES, None]})


MODEL_EXAMPLES = ["auto", "router:cost", "router:quality", "gpt-4o-mini"]


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Role
    content: str | list[dict[str, Any]] | None = None


class _Messages(BaseModel):
    model_config = ConfigDict(extra="allow")
    messages: list[Message] = Field(min_length=1, max_length=2048)

    @field_validator("messages")
    @classmethod
    def _needs_user_turn(cls, v: list[Message]) -> list[Message]:
        if not any(m.role == "user" for m in v):
            raise ValueError("messages must contain at least one message with role 'user'")
        return v


class ChatCompletionRequest(_Messages):
    model: str = Field(default="auto", examples=MODEL_EXAMPLES)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1, le=16)
    routing_mode: str | None = _mode_field()


class DispatchRequest(_Messages):
    routing_mode: str | None = _mode_field()
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)


class RouteRequest(_Messages):
    routing_mode: str | None = _mode_field()
    model: str | None = Field(default=None, examples=MODEL_EXAMPLES)
    max_tokens: int | None = Field(default=None, ge=1)
