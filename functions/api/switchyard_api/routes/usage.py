"""GET /v1/usage: the calling tenant's requests, cost, baseline cost, savings and cache hits,
by day and by model, and its budget state. The tenant comes from the API key, never from a
parameter, so no tenant can read another's usage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request

from switchyard import usage
from switchyard.budget import assess
from switchyard_api import openapi
from switchyard_api.concurrency import blocking
from switchyard_api.deps import ContainerDep, TenantDep

router = APIRouter()


@router.get("/v1/usage", responses=openapi.responses(400, *openapi.AUTHED))
async def get_usage(
    request: Request,
    tenant: TenantDep,
    c: ContainerDep,
    start: str | None = Query(None, description="first day, YYYY-MM-DD (default: the 1st of this month)"),
    end: str | None = Query(None, description="last day, YYYY-MM-DD (default: today, UTC)"),
) -> dict[str, Any]:
    today = datetime.fromtimestamp(c.service.clock(), UTC).date()
    first, last = usage.period(start, end, today)
    items = await blocking(request, c.usage.days, tenant.tenant_id, first.isoformat(), last.isoformat())
    # the budget's month-to-date spend from the same counters as the totals (read now, not the
    # routing path's cached figure), so the two never disagree for the current month
    month = today.replace(day=1)
    if first <= month and last >= today:
        month_items = items
    else:
        month_items = await blocking(
            request, c.usage.days, tenant.tenant_id, month.isoformat(), today.isoformat()
        )
    spent = sum(float(i.get("cost_usd", 0.0)) for i in month_items if month.isoformat() <= str(i["day"]))
    budget, _ = await blocking(request, c.budgets.state, tenant.tenant_id)
    return {
        "object": "usage",
        "tenant_id": tenant.tenant_id,
        **usage.report(items, first, last),
        "budget": assess(budget, spent).as_dict(budget),
    }
