"""POST /v1/chat/completions (OpenAI-compatible), POST /v1/dispatch, POST /v1/route."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError

from switchyard.errors import InputError, NoProviderError
from switchyard.service import streaming
from switchyard.service.router import CompletionResult, RouteResult, RouterService, parse_model_field
from switchyard.settings import get_settings
from switchyard.tenancy import Tenant
from switchyard_api import deps, openapi
from switchyard_api.errors import ApiError, error_body
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
        "x-switchyard-task": info["task_type"],
        "x-switchyard-complexity": f"{info['complexity']:.2f}",
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


def _route_info(routed: RouteResult) -> dict[str, Any]:
    return {
        "request_id": routed.request_id,
        "decision": routed.decision.as_dict(),
        "classification": routed.classification.as_dict() if routed.classification else None,
        "overhead_ms": round(routed.overhead_ms, 3),
    }


def _route(
    service: RouterService, request: dict[str, Any], tenant: Tenant, model: str | None, mode: str | None
) -> RouteResult:
    s = get_settings()
    routing_mode, pinned = parse_model_field(model, mode or s.default_mode, service.catalog)
    if pinned and tenant.allowed_models is not None and pinned not in tenant.allowed_models:
        raise InputError(
            f"model '{pinned}' is not allowed for this API key", param="model", code="model_not_allowed"
        )
    # Called through the thread pool: a stale matrix or budget is read from DynamoDB here.
    return service.route(request, tenant, routing_mode, pinned)


async def _complete(
    http: Request,
    service: RouterService,
    request: dict[str, Any],
    routed: RouteResult,
    tenant: Tenant,
    model_field: str,
    cache_control: str | None,
) -> CompletionResult:
    try:
        return await deps.blocking(
            http, service.complete, request, routed, tenant, model_field, cache_control
        )
    except NoProviderError as exc:
        raise _no_provider(exc, routed) from exc


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
async def chat_completions(request: Request) -> Response:
    tenant = await deps.tenant_of(request)
    body = await deps.json_body(request)
    req = _validate(ChatCompletionRequest, body)
    payload = req.model_dump(exclude_none=True)
    service = deps.router_service()
    model_field = f"{req.model}|{req.routing_mode or ''}"
    cache_control = request.headers.get("cache-control")
    hit = await deps.blocking(request, service.from_cache, payload, tenant, model_field, cache_control)
    if hit is not None:
        if req.stream:
            return StreamingResponse(streaming.replay(hit, payload), media_type=SSE, headers=_headers(hit))
        return JSONResponse(hit.body, headers=_headers(hit))
    routed = await deps.blocking(request, _route, service, payload, tenant, req.model, req.routing_mode)
    if req.stream:
        return await _stream(request, service, payload, routed, tenant, model_field, cache_control)
    result = await _complete(request, service, payload, routed, tenant, model_field, cache_control)
    return JSONResponse(result.body, headers=_headers(result))


async def _stream(
    http: Request,
    service: RouterService,
    payload: dict[str, Any],
    routed: RouteResult,
    tenant: Tenant,
    model_field: str,
    cache_control: str | None,
) -> StreamingResponse:
    """Failover happens before the response starts; then the events flow as they arrive
    (under uvicorn) or are collected into one SSE body (Lambda behind Mangum)."""
    try:
        opened = await deps.blocking(http, streaming.open_stream, service, payload, routed)
    except NoProviderError as exc:
        raise _no_provider(exc, routed) from exc
    d = routed.decision
    headers = {
        "x-switchyard-request-id": routed.request_id,
        "x-switchyard-model": opened.model,
        "x-switchyard-task": d.task_type,
        "x-switchyard-complexity": f"{d.complexity:.2f}",
        "x-switchyard-cache": service.cache_state(payload, cache_control),
        "cache-control": "no-cache",
    }
    events = streaming.sse(service, opened, payload, tenant, model_field, cache_control)
    return StreamingResponse(events, media_type=SSE, headers=headers)


@router.post(
    "/v1/dispatch",
    openapi_extra=openapi.json_request(DispatchRequest),
    responses=openapi.responses(*openapi.UPSTREAM, ok=openapi.DISPATCH),
)
async def dispatch(request: Request) -> JSONResponse:
    tenant = await deps.tenant_of(request)
    req = _validate(DispatchRequest, await deps.json_body(request))
    payload = req.model_dump(exclude_none=True)
    service = deps.router_service()
    model_field = f"dispatch|{req.routing_mode or ''}"
    cache_control = request.headers.get("cache-control")
    hit = await deps.blocking(request, service.from_cache, payload, tenant, model_field, cache_control)
    if hit is not None:
        return JSONResponse(
            {"completion": hit.body, "decision": hit.route.decision.as_dict(), "router": hit.router_info()},
            headers=_headers(hit),
        )
    routed = await deps.blocking(request, _route, service, payload, tenant, None, req.routing_mode)
    result = await _complete(request, service, payload, routed, tenant, model_field, cache_control)
    return JSONResponse(
        {"completion": result.body, "decision": routed.decision.as_dict(), "router": result.router_info()},
        headers=_headers(result),
    )


@router.post(
    "/v1/route",
    openapi_extra=openapi.json_request(RouteRequest),
    responses=openapi.responses(*openapi.ROUTING, ok=openapi.ROUTE),
)
async def route(request: Request) -> JSONResponse:
    tenant = await deps.tenant_of(request)
    req = _validate(RouteRequest, await deps.json_body(request))
    payload = req.model_dump(exclude_none=True)
    routed = await deps.blocking(
        request, _route, deps.router_service(), payload, tenant, req.model, req.routing_mode
    )
    return JSONResponse(_route_info(routed), headers={"x-switchyard-request-id": routed.request_id})


__all__ = ["error_body", "router"]
