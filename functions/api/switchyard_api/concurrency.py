"""Where blocking work (DynamoDB, providers) runs for a request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

T = TypeVar("T")


async def blocking[T](request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Under a server (uvicorn) blocking work goes to the thread pool so it cannot stall other
    requests; in Lambda (Mangum puts the event in the scope) one invocation is one request,
    so it runs inline: a thread hop there only costs time (Mangum starts a fresh event loop,
    and thread pool, per invocation)."""
    if "aws.event" in request.scope:
        return fn(*args)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)
