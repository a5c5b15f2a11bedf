"""Every error leaves the API as OpenAI-style JSON: {"error": {"message", "type", "code", "param"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from switchyard.errors import (
    AuthError,
    BudgetExceededError,
    InputError,
    ModelNotAllowedError,
    ModelNotFoundError,
    NoProviderError,
    NoRouteError,
    ProviderError,
    RequestTooLargeError,
    StoreError,
    SwitchyardError,
)

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with its HTTP status and OpenAI error fields, raised by routes."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str,
        code: str,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param
        self.extra = extra or {}
        self.headers = headers or {}


def error_body(message: str, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "code": code, "param": param}}


# The HTTP status of each InputError subclass (most specific first); any other: 400.
INPUT_STATUS: tuple[tuple[type[InputError], int], ...] = (
    (ModelNotFoundError, 404),
    (ModelNotAllowedError, 403),
    (RequestTooLargeError, 413),
)


def _input_status(exc: InputError) -> int:
    return next((status for cls, status in INPUT_STATUS if isinstance(exc, cls)), 400)


def to_api_error(exc: SwitchyardError) -> ApiError:
    if isinstance(exc, AuthError):
        return ApiError(401, str(exc), "invalid_request_error", "invalid_api_key")
    if isinstance(exc, InputError):
        return ApiError(_input_status(exc), str(exc), "invalid_request_error", exc.code, exc.param)
    if isinstance(exc, BudgetExceededError):
        return ApiError(429, str(exc), "insufficient_quota", "budget_exceeded")
    if isinstance(exc, StoreError):  # only where no degraded answer is possible (e.g. an unknown key)
        return ApiError(
            503, "a backing store is unavailable; retry shortly", "server_error", "store_unavailable"
        )
    if isinstance(exc, NoRouteError):
        return ApiError(400, str(exc), "invalid_request_error", "no_eligible_model")
    if isinstance(exc, NoProviderError):
        return ApiError(503, str(exc), "server_error", "no_provider_configured")
    if isinstance(exc, ProviderError):
        # a provider's 401/403 is our configuration's fault, not the caller's key: 502
        status = (
            exc.status if exc.status and 400 <= exc.status < 500 and exc.status not in (401, 403) else 502
        )
        return ApiError(status, str(exc), "upstream_error", "provider_error")
    return ApiError(500, "internal error", "server_error", "internal_error")


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        body = error_body(exc.message, exc.type, exc.code, exc.param)
        body.update(exc.extra)
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(SwitchyardError)
    async def _domain(request: Request, exc: SwitchyardError) -> JSONResponse:
        return await _api(request, to_api_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = (
            f"{loc}: {first.get('msg', 'invalid value')}" if loc else str(first.get("msg", "invalid request"))
        )
        return JSONResponse(
            error_body(msg, "invalid_request_error", "invalid_request", loc or None), status_code=400
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(str(exc.detail), "invalid_request_error", code), status_code=exc.status_code
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", type(exc).__name__)
        return JSONResponse(error_body("internal error", "server_error", "internal_error"), status_code=500)
