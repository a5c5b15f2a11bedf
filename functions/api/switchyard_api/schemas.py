"""Request bodies, typed as OpenAI's chat completions API defines them.

The body is validated once, here at the edge: every field the router or a provider adapter
reads (messages and their content parts, tool calls, tools, tool choice, stop, response
format, sampling parameters, ``stream``) has its OpenAI type, so a wrong one is a 400 and
whatever passes can be translated for any provider. Types are strict, as OpenAI's are:
``stream: "yes"`` or ``max_tokens: "5"`` is refused, not coerced. Unknown fields are
accepted and passed through, at the top level and inside messages, parts and tools.

No model refers to itself (the OpenAPI document inlines these schemas), and the unions are
tagged by a function rather than a discriminator mapping, for the same reason; their
errors name the one variant the value was meant to be.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from switchyard.routing.modes import MODES

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]
# OpenAI's rule for function and response-format names
NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
MAX_TOOLS = 128
MAX_STOP_SEQUENCES = 4


class _Open(BaseModel):
    """An OpenAI object: its fields strictly typed, unknown ones kept and passed on."""

    model_config = ConfigDict(extra="allow", strict=True, serialize_by_alias=True)


def _field(key: str, expected: str) -> Discriminator:
    """A union tagged by the value of ``key`` (``type`` of a content part, ``role`` of a message)."""

    def tag(value: Any) -> Any:
        return value.get(key) if isinstance(value, dict) else getattr(value, key, None)

    return Discriminator(tag, custom_error_type="invalid_variant", custom_error_message=expected)


def _json_type(value: Any) -> str | None:
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict | BaseModel):
        return "object"
    return None


def _shape(expected: str) -> Discriminator:
    """A union tagged by the value's JSON type (a string, an array or an object)."""
    return Discriminator(_json_type, custom_error_type="invalid_variant", custom_error_message=expected)


# ---- content parts


class TextPart(_Open):
    type: Literal["text"]
    text: str


class ImageUrl(_Open):
    url: str  # an https URL or a data URL (data:image/png;base64,…)
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Open):
    type: Literal["image_url"]
    image_url: ImageUrl


class InputAudio(_Open):
    data: str  # base64
    format: Literal["wav", "mp3"]


class AudioPart(_Open):
    type: Literal["input_audio"]
    input_audio: InputAudio


class FileRef(_Open):
    file_data: str | None = None  # a base64 data URL
    file_id: str | None = None
    filename: str | None = None


class FilePart(_Open):
    type: Literal["file"]
    file: FileRef


class RefusalPart(_Open):
    type: Literal["refusal"]
    refusal: str


UserPart = Annotated[
    Annotated[TextPart, Tag("text")]
    | Annotated[ImagePart, Tag("image_url")]
    | Annotated[AudioPart, Tag("input_audio")]
    | Annotated[FilePart, Tag("file")],
    _field("type", "a user content part is an object of type text, image_url, input_audio or file"),
]
AssistantPart = Annotated[
    Annotated[TextPart, Tag("text")] | Annotated[RefusalPart, Tag("refusal")],
    _field("type", "an assistant content part is an object of type text or refusal"),
]
TextContent = Annotated[
    Annotated[str, Tag("string")] | Annotated[list[TextPart], Tag("array")],
    _shape("content must be a string or an array of text parts"),
]
UserContent = Annotated[
    Annotated[str, Tag("string")] | Annotated[list[UserPart], Tag("array")],
    _shape("content must be a string or an array of content parts"),
]
AssistantContent = Annotated[
    Annotated[str, Tag("string")] | Annotated[list[AssistantPart], Tag("array")],
    _shape("content must be a string or an array of text and refusal parts"),
]


# ---- messages


class FunctionCall(_Open):
    name: str = Field(min_length=1)
    arguments: str  # JSON, as the model wrote it


class ToolCall(_Open):
    id: str = Field(min_length=1)
    type: Literal["function"]
    function: FunctionCall


class SystemMessage(_Open):
    role: Literal["system"]
    content: TextContent
    name: str | None = None


class DeveloperMessage(_Open):
    role: Literal["developer"]
    content: TextContent
    name: str | None = None


class UserMessage(_Open):
    role: Literal["user"]
    content: UserContent
    name: str | None = None


class AssistantMessage(_Open):
    role: Literal["assistant"]
    content: AssistantContent | None = None
    name: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | None = None


class ToolMessage(_Open):
    role: Literal["tool"]
    content: TextContent
    tool_call_id: str = Field(min_length=1)


class FunctionMessage(_Open):
    """The deprecated answer to a ``function_call``."""

    role: Literal["function"]
    name: str
    content: str | None = None


Message = Annotated[
    Annotated[SystemMessage, Tag("system")]
    | Annotated[DeveloperMessage, Tag("developer")]
    | Annotated[UserMessage, Tag("user")]
    | Annotated[AssistantMessage, Tag("assistant")]
    | Annotated[ToolMessage, Tag("tool")]
    | Annotated[FunctionMessage, Tag("function")],
    _field("role", "a message is an object with role system, developer, user, assistant, tool or function"),
]


# ---- tools, tool choice, response format, stream options


class FunctionDefinition(_Open):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    parameters: dict[str, Any] | None = None  # a JSON schema of type object
    strict: bool | None = None


class Tool(_Open):
    type: Literal["function"]
    function: FunctionDefinition


class ToolName(_Open):
    name: str = Field(pattern=NAME_PATTERN)


class NamedToolChoice(_Open):
    type: Literal["function"]
    function: ToolName


ToolChoice = Annotated[
    Annotated[Literal["none", "auto", "required"], Tag("string")] | Annotated[NamedToolChoice, Tag("object")],
    _shape('tool_choice is "none", "auto", "required" or {"type": "function", "function": {"name": …}}'),
]
Stop = Annotated[
    Annotated[str, Tag("string")] | Annotated[list[str], Tag("array"), Field(max_length=MAX_STOP_SEQUENCES)],
    _shape(f"stop is a string or an array of up to {MAX_STOP_SEQUENCES} strings"),
]


class TextFormat(_Open):
    type: Literal["text"]


class JsonObjectFormat(_Open):
    type: Literal["json_object"]


class JsonSchema(_Open):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    # "schema" would shadow BaseModel.schema; the alias is what is read and written
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class JsonSchemaFormat(_Open):
    type: Literal["json_schema"]
    json_schema: JsonSchema


ResponseFormat = Annotated[
    Annotated[TextFormat, Tag("text")]
    | Annotated[JsonObjectFormat, Tag("json_object")]
    | Annotated[JsonSchemaFormat, Tag("json_schema")],
    _field("type", "response_format is an object of type text, json_object or json_schema"),
]


class StreamOptions(_Open):
    include_usage: bool | None = None


# ---- request bodies


# The router checks modes and model names itself (with codes invalid_routing_mode and
# model_not_found); the schema only documents the accepted values.
def _mode_field() -> Any:
    return Field(default=None, json_schema_extra={"enum": [*MODES, None]})


MODEL_EXAMPLES = ["auto", "router:cost", "router:quality", "gpt-4o-mini"]


class _Chat(_Open):
    """What every route that takes a conversation validates alike."""

    messages: list[Message] = Field(min_length=1, max_length=2048)
    routing_mode: str | None = _mode_field()
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    n: int | None = Field(default=None, ge=1, le=16)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: Stop | None = None
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    seed: int | None = None
    user: str | None = None
    logit_bias: dict[str, Annotated[int, Field(ge=-100, le=100)]] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    tools: list[Tool] | None = Field(default=None, max_length=MAX_TOOLS)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    metadata: dict[str, str] | None = None

    @field_validator("messages")
    @classmethod
    def _needs_user_turn(cls, v: list[Any]) -> list[Any]:
        if not any(m.role == "user" for m in v):
            raise ValueError("messages must contain at least one message with role 'user'")
        return v


class ChatCompletionRequest(_Chat):
    model: str = Field(default="auto", examples=MODEL_EXAMPLES)
    stream: bool | None = False  # null (as OpenAI allows) is no stream
    stream_options: StreamOptions | None = None


class DispatchRequest(_Chat):
    pass


class RouteRequest(_Chat):
    model: str | None = Field(default=None, examples=MODEL_EXAMPLES)
