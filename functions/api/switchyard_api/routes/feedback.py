"""POST /v1/feedback: a score for an answered request of the caller's own tenant."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from switchyard.errors import InputError
from switchyard.learning.feedback import FeedbackIn
from switchyard_api import openapi
from switchyard_api.concurrency import blocking
from switchyard_api.deps import ContainerDep, JsonBody, TenantDep
from switchyard_api.errors import ApiError

router = APIRouter()


@router.post(
    "/v1/feedback",
    openapi_extra=openapi.json_request(FeedbackIn),
    responses=openapi.responses(*openapi.BODY, 404, 429, ok=openapi.FEEDBACK),
)
async def feedback(request: Request, tenant: TenantDep, body: JsonBody, c: ContainerDep) -> JSONResponse:
    try:
        fb = FeedbackIn.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{loc}: {first['msg']}" if loc else first["msg"], param=loc or None) from exc
    # Only the caller's own tenant partition is read: another tenant's request id is "not found".
    logged = await blocking(request, c.request_log.get, tenant.tenant_id, fb.request_id)
    if logged is None:
        raise ApiError(
            404,
            f"request '{fb.request_id}' not found",
            "invalid_request_error",
            "request_not_found",
            "request_id",
        )
    # The rater is the API key (an id the server derives; a client's ``rater`` is not trusted):
    # one vote per key per request, replaced when it votes again, and at most
    # ``feedback_max_raters`` keys per request.
    rater = tenant.rater_id
    voted = await blocking(request, c.feedback.exists, tenant.tenant_id, fb.request_id, rater)
    if not voted:
        limit = c.settings.feedback_max_raters
        counted = await blocking(request, c.request_log.add_rater, tenant.tenant_id, fb.request_id, limit)
        if not counted:
            raise ApiError(
                429,
                f"request '{fb.request_id}' already has feedback from {limit} API keys",
                "invalid_request_error",
                "too_many_raters",
                "request_id",
            )
    now = datetime.now(UTC)
    item = {
        "tenant_id": tenant.tenant_id,
        "request_id": fb.request_id,
        "rater": rater,
        "score": fb.value,
        "model": logged.get("model"),
        "task_type": logged.get("task_type"),
        "comment": fb.comment,
        "ts": now.isoformat(timespec="milliseconds"),
        "day": now.date().isoformat(),
    }
    await blocking(request, c.feedback.put, item)
    return JSONResponse(
        {
            "object": "feedback",
            "request_id": fb.request_id,
            "rater": item["rater"],
            "score": fb.value,
            "status": "recorded",
        }
    )
