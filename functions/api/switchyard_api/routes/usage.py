"""GET /v1/usage: the calling tenant's requests, cost, baseline cost, savings and cache hits,
by day and by model, and its budget state. The tenant comes from the API key, never from a
parameter, so no tenant can read another's usage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request

from switchyard import usage
from switchyard_api import deps, openapi

router = APIRouter()


@router.get("/v1/usage", responses=openapi.responses(400, *openapi.AUTHED))
async def get_usage(
    request: Request,
    start: str | None = Query(None, description="first day, YYYY-MM-DD (default: the 1st of this month)"),
    end: str | None = Query(None, description="last day, YYYY-MM-DD (default: today, UTC)"),
) -> dict[str, Any]:
    tenant = await deps.tenant_of(request)
    first, last = usage.period(start, end, datetime.now(UTC).date())
    items = await deps.blocking(
        request, deps.usage_store().days, tenant.tenant_id, first.isoformat(), last.isoformat()
    )
    budget, state = await deps.blocking(request, deps.budget_tracker().state, tenant.tenant_id)
    return {
        "object": "usage",
        "tenant_id": tenant.tenant_id,
        **usage.report(items, first, last),
        "budget": state.as_dict(budget),
    }
