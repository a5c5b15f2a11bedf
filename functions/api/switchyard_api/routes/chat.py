"""POST /v1/chat/completions (OpenAI-compatible), POST /v1/dispatch, POST /v1/route."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError

from switchyard.errors import InputError, ModelNotAllowedError, NoProviderError, ProviderError
from switchyard.service import streaming
from switchyard.service.requests import ChatRequest, parse_model_field, routing_mode
from switchyard.service.results import CompletionResult, RouteResult
from switchyard.service.router import RouterService
from switchyard.tenancy import Tenant
from switchyard_api import openapi
from switchyard_api.concurrency import blocking
from switchyard_api.deps import ContainerDep, JsonBody, TenantDep
from switchyard_api.errors import ApiError, error_body, to_api_error
from switchyard_api.schemas import ChatCompletionRequest, DispatchRequest, RouteRequest

router = APIRouter()
SSE = "text/event-stream"


def _validate(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{loc}: {first['msg']}" if loc else first["msg"], param=loc or None) from exc


def _headers(result: CompletionResult) -> dict[str, str]:
    info = result.router_info()
    headers = {
        "x-switchyard-request-id": info["request_id"],
        "x-switchyard-model": info["model"],
        **_decision_headers(result.route),
        "x-switchyard-cost-usd": f"{info['cost_usd']:.8f}",
        "x-switchyard-baseline-cost-usd": f"{info['baseline_cost_usd']:.8f}",
        "x-switchyard-savings-usd": f"{info['savings_usd']:.8f}",
        "x-switchyard-cache": result.cache,
    }
    if result.cache_level:
        headers["x-switchyard-cache-level"] = result.cache_level
    if result.cache_similarity is not None:
        headers["x-switchyard-cache-similarity"] = f"{result.cache_similarity:.4f}"
    return headers


def _decision_headers(routed: RouteResult) -> dict[str, str]:
    """What the router decided; nothing for a model named in the request (no decision)."""
    d = routed.decision
    if d.mode == "pinned":
        return {"x-switchyard-routed": "false"}
    return {"x-switchyard-task": d.task_type, "x-switchyard-complexity": f"{d.complexity:.2f}"}


def _dispatch_body(result: CompletionResult) -> dict[str, Any]:
    """The completion (its ``router`` field once, beside it), the decision and the router info."""
    completion = {k: v for k, v in result.body.items() if k != "router"}
    return {
        "completion": completion,
        "decision": result.route.decision.as_dict(),
        "router": result.router_info(),
    }


def _chat_request(http: Request, tenant: Tenant, parsed: BaseModel, scope: str) -> ChatRequest:
    """The request on its way through the router; ``scope`` is the model field as the cache
    keys it (a pinned model, a mode, or the dispatch route never share an entry)."""
    return ChatRequest(parsed.model_dump(exclude_none=True), tenant, scope, http.headers.get("cache-control"))


def _route_info(routed: RouteResult) -> dict[str, Any]:
    return {
        "request_id": routed.request_id,
        "decision": routed.decision.as_dict(),
        "classification": routed.classification.as_dict() if routed.classification else None,
        "overhead_ms": round(routed.overhead_ms, 3),
    }


def _route(c: ContainerDep, req: ChatRequest, model: str | None, mode: str | None) -> RouteResult:
    """Called through the thread pool: a stale matrix or budget is read from DynamoDB here."""
    default = routing_mode(mode) if mode else c.settings.default_mode
    mode_, pinned = parse_model_field(model, default, c.catalog)
    allowed = req.tenant.allowed_models
    if pinned and allowed is not None and pinned not in allowed:
        raise ModelNotAllowedError(f"model '{pinned}' is not allowed for this API key", param="model")
    return c.service.route(req, mode_, pinned)


async def _complete(
    http: Request, service: RouterService, req: ChatRequest, routed: RouteResult
) -> CompletionResult:
    try:
        return await blocking(http, service.complete, req, routed)
    except NoProviderError as exc:
        raise _no_provider(exc, routed) from exc
    except ProviderError as exc:
        raise _provider_failed(exc, routed) from exc


def _provider_failed(exc: ProviderError, routed: RouteResult) -> ApiError:
    """The tenant learns that the upstream failed and the request id to quote; the
    upstreams' own error texts were logged by failover, not returned (a 4xx that is the
    caller's mistake keeps its message: it says what to fix)."""
    api = to_api_error(exc)
    rid = routed.request_id
    return ApiError(
        api.status,
        f"{api.message} (request id {rid})",
        api.type,
        api.code,
        headers={"x-switchyard-request-id": rid},
    )


def _no_provider(exc: NoProviderError, routed: RouteResult) -> ApiError:
    return ApiError(
        503,
        f"{exc}. Configure a provider: set OPENAI_API_KEY (and/or GROQ_API_KEY, ANTHROPIC_API_KEY), "
        "or OPENAI_BASE_URL to any OpenAI-compatible server (vLLM, Ollama …). The routing decision is included.",
        "server_error",
        "no_provider_configured",
        extra={"router": _route_info(routed)},
    )


@router.post(
    "/v1/chat/completions",
    openapi_extra=openapi.json_request(ChatCompletionRequest),
    responses=openapi.responses(*openapi.UPSTREAM, ok=openapi.COMPLETION, stream=True),
)
async def chat_completions(request: Request, tenant: TenantDep, body: JsonBody, c: ContainerDep) -> Response:
    parsed = _validate(ChatCompletionRequest, body)
    req = _chat_request(request, tenant, parsed, f"{parsed.model}|{parsed.routing_mode or ''}")
    service = c.service
    hit = await blocking(request, service.from_cache, req)
    if hit is not None:
        if parsed.stream:
            return StreamingResponse(streaming.replay(hit, req.body), media_type=SSE, headers=_headers(hit))
        return JSONResponse(hit.body, headers=_headers(hit))
    routed = await blocking(request, _route, c, req, parsed.model, parsed.routing_mode)
    if parsed.stream:
        return await _stream(request, service, req, routed)
    result = await _complete(request, service, req, routed)
    return JSONResponse(result.body, headers=_headers(result))


async def _stream(
    http: Request, service: RouterService, req: ChatRequest, routed: RouteResult
) -> StreamingResponse:
    """Failover happens before the response starts; then the events flow as they arrive
    (under uvicorn) or are collected into one SSE body (Lambda behind Mangum)."""
    try:
        opened = await blocking(http, streaming.open_stream, service, req, routed)
    except NoProviderError as exc:
        raise _no_provider(exc, routed) from exc
    except ProviderError as exc:
        raise _provider_failed(exc, routed) from exc
    headers = {
        "x-switchyard-request-id": routed.request_id,
        "x-switchyard-model": opened.model,
        **_decision_headers(routed),
        "x-switchyard-cache": service.cache.state(req),
        "cache-control": "no-cache",
    }
    return StreamingResponse(streaming.sse(service, opened, req), media_type=SSE, headers=headers)


@router.post(
    "/v1/dispatch",
    openapi_extra=openapi.json_request(DispatchRequest),
    responses=openapi.responses(*openapi.UPSTREAM, ok=openapi.DISPATCH),
)
async def dispatch(request: Request, tenant: TenantDep, body: JsonBody, c: ContainerDep) -> JSONResponse:
    parsed = _validate(DispatchRequest, body)
    req = _chat_request(request, tenant, parsed, f"dispatch|{parsed.routing_mode or ''}")
    service = c.service
    hit = await blocking(request, service.from_cache, req)
    if hit is not None:
        return JSONResponse(
            _dispatch_body(hit),
            headers=_headers(hit),
        )
    routed = await blocking(request, _route, c, req, None, parsed.routing_mode)
    result = await _complete(request, service, req, routed)
    return JSONResponse(
        _dispatch_body(result),
        headers=_headers(result),
    )


@router.post(
    "/v1/route",
    openapi_extra=openapi.json_request(RouteRequest),
    responses=openapi.responses(*openapi.ROUTING, ok=openapi.ROUTE),
)
async def route(request: Request, tenant: TenantDep, body: JsonBody, c: ContainerDep) -> JSONResponse:
    parsed = _validate(RouteRequest, body)
    req = ChatRequest(parsed.model_dump(exclude_none=True), tenant)
    routed = await blocking(request, _route, c, req, parsed.model, parsed.routing_mode)
    return JSONResponse(_route_info(routed), headers={"x-switchyard-request-id": routed.request_id})


__all__ = ["error_body", "router"]
