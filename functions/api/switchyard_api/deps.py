"""FastAPI dependencies: what a route takes as parameters.

    async def route(tenant: TenantDep, body: JsonBody, c: ContainerDep) -> …

``get_container`` builds the object graph (``container.build_container``) once per process;
tests replace it, or any alias's function, with ``app.dependency_overrides[...]``.
Dependencies resolve in parameter order: routes name the tenant before the body, so a
request without a key is a 401 before its body is read.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request

from switchyard.settings import get_settings
from switchyard.tenancy import Tenant
from switchyard_api.auth import presented_key
from switchyard_api.body import read_json
from switchyard_api.concurrency import blocking
from switchyard_api.container import Container, build_container


@lru_cache(maxsize=1)
def get_container() -> Container:
    return build_container(get_settings())


def reset() -> None:
    """Forget the process's objects (the environment changed: tests, the local runner)."""
    if get_container.cache_info().currsize:
        get_container().close()
    get_container.cache_clear()
    get_settings.cache_clear()


def warm() -> Container:
    """Everything a first request would otherwise pay for: the container, and the ONNX
    session loaded and run once. Called in init (the handler module, the server's lifespan),
    so a SnapStart snapshot holds it."""
    c = get_container()
    c.service.classify("Warm up the router model.")
    return c


def reconnect() -> None:
    """After a SnapStart restore: a new container (fresh clients, credentials and connections;
    the warm caches go too), built now, before traffic."""
    reset()
    get_container()


async def container() -> Container:
    """``async``: FastAPI runs a plain ``def`` dependency in its thread pool, which in Lambda
    means a new thread per invocation (Mangum starts a fresh event loop each time)."""
    return get_container()


ContainerDep = Annotated[Container, Depends(container)]


async def current_tenant(request: Request, c: ContainerDep) -> Tenant:
    """The caller's tenant from its API key; a key-store read runs off the event loop."""
    return await blocking(request, c.auth.authenticate, presented_key(request.headers))


TenantDep = Annotated[Tenant, Depends(current_tenant)]


async def json_body(request: Request, c: ContainerDep) -> dict[str, Any]:
    return await read_json(request.headers, request.stream(), c.settings.max_body_bytes)


JsonBody = Annotated[dict[str, Any], Depends(json_body)]
