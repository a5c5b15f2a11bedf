"""GET /v1/models (OpenAI list format) and GET /health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from switchyard_api import openapi
from switchyard_api.deps import ContainerDep, TenantDep

router = APIRouter()
CREATED = 1_730_000_000  # fixed: catalog entries have no creation time


@router.get("/v1/models", responses=openapi.responses(*openapi.AUTHED, ok=openapi.MODEL_LIST))
async def list_models(tenant: TenantDep, c: ContainerDep) -> dict[str, Any]:
    catalog = c.catalog
    ids = ["auto", "router:auto", "router:cost", "router:speed", "router:quality"]
    ids += [m.id for m in catalog.models if tenant.allowed_models is None or m.id in tenant.allowed_models]
    return {
        "object": "list",
        "data": [{"id": i, "object": "model", "created": CREATED, "owned_by": "switchyard"} for i in ids],
    }


@router.get("/health")
async def health() -> dict[str, Any]:
    return {"status": "ok"}
