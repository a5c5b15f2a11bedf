"""Request parsing: what the router reads from an OpenAI-style chat request.

One :class:`ChatRequest` travels the request path (cache lookup, routing, completion,
recording); :func:`route_input` is the one place a routing input is built from a request,
so the API, ``switchyard report`` and the benchmarks route the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from switchyard.cache.keys import CacheKeys
from switchyard.catalog import Catalog
from switchyard.classifier import Classification
from switchyard.classifier.text import content_text
from switchyard.errors import InputError, ModelNotFoundError
from switchyard.routing import MODES, RouteInput, RoutingMode
from switchyard.tenancy import Tenant

CHARS_PER_TOKEN = 4


@dataclass
class ChatRequest:
    """One request on its way through the router: the validated body, the caller, the model
    field as the cache scopes it, the client's Cache-Control, and its cache keys once they
    have been computed (so a miss writes under the keys its lookup read)."""

    body: Mapping[str, Any]
    tenant: Tenant
    model_field: str = "auto"
    cache_control: str | None = None
    cache_keys: CacheKeys | None = field(default=None, repr=False)

    @property
    def messages(self) -> Sequence[Mapping[str, Any]]:
        return cast(Sequence[Mapping[str, Any]], self.body["messages"])


def estimate_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Rough input token count (4 characters a token, 4 tokens of overhead a message)."""
    chars = sum(len(content_text(m.get("content"))) for m in messages)
    return chars // CHARS_PER_TOKEN + 4 * len(messages)


def needs(request: Mapping[str, Any]) -> frozenset[str]:
    """Capabilities a model must have to serve the request."""
    out = set()
    if request.get("tools") or request.get("functions"):
        out.add("tools")
    fmt = request.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") in ("json_object", "json_schema"):
        out.add("json_mode")
    n = request.get("n")
    if isinstance(n, int) and n > 1:
        out.add("multiple_choices")
    part_needs = {"image_url": "vision", "input_image": "vision", "input_audio": "audio", "file": "file"}
    for m in request.get("messages", []):
        content = m.get("content")
        if isinstance(content, list):
            out.update(
                part_needs[t]
                for p in content
                if isinstance(p, Mapping) and (t := p.get("type")) in part_needs
            )
    return frozenset(out)


def route_input(
    request: Mapping[str, Any],
    classification: Classification,
    mode: RoutingMode,
    *,
    allowed_models: frozenset[str] | None = None,
    available_providers: frozenset[str] | None = None,
    thrift: float = 0.0,
) -> RouteInput:
    """The routing input of an OpenAI-style request (``{"messages": […], …}``)."""
    messages: Sequence[Mapping[str, Any]] = request["messages"]
    return RouteInput(
        task_type=classification.task_type,
        complexity=classification.complexity,
        input_tokens=estimate_tokens(messages),
        mode=mode,
        max_output_tokens=request.get("max_tokens") or request.get("max_completion_tokens"),
        needs=needs(request),
        allowed_models=allowed_models,
        available_providers=available_providers,
        thrift=thrift,
    )


def routing_mode(name: str, param: str = "routing_mode") -> RoutingMode:
    """A routing mode by name, or an InputError naming the field it came from."""
    if name not in MODES:
        raise InputError(
            f"unknown routing mode '{name}'; use one of {', '.join(MODES)}",
            param=param,
            code="invalid_routing_mode",
        )
    return cast(RoutingMode, name)


def parse_model_field(
    model: str | None, default_mode: RoutingMode, catalog: Catalog
) -> tuple[RoutingMode, str | None]:
    """``auto`` / ``router:<mode>`` → (mode, None); a catalog model id → (default mode, id)."""
    if model is None or model in ("", "auto", "router"):
        return default_mode, None
    if model.startswith("router:"):
        return routing_mode(model.split(":", 1)[1], param="model"), None
    if catalog.get(model) is None:
        raise ModelNotFoundError(
            f"The model '{model}' does not exist; use 'auto', 'router:<mode>' or one of {', '.join(m.id for m in catalog.models)}",
            param="model",
        )
    return default_mode, model
