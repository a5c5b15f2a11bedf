"""GET /v1/models (OpenAI list format) and GET /health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from switchyard_api import deps, openapi

router = APIRouter()
CREATED = 1_730_000_000  # fixed: catalog entries have no creation time


@router.get("/v1/models", responses=openapi.responses(*openapi.AUTHED, ok=openapi.MODEL_LIST))
async def list_models(request: Request) -> dict[str, Any]:
    tenant = await deps.tenant_of(request)
    catalog = deps.get_catalog()
    ids = ["auto", "router:auto", "router:cost", "router:speed", "router:quality"]
    ids += [m.id for m in catalog.models if tenant.allowed_models is None or m.id in tenant.allowed_models]
    return {
        "object": "list",
        "data": [{"id": i, "object": "model", "created": CREATED, "owned_by": "switchyard"} for i in ids],
    }


@router.get("/health")
async def health() -> dict[str, Any]:
    return {"status": "ok"}
