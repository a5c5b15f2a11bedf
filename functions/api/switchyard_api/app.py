"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from switchyard import __version__
from switchyard_api import deps, errors
from switchyard_api.routes import chat, feedback, lifecycle, meta, usage


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    """Under a server, build the container at start: bad settings (a ConfigError) stop the
    process instead of failing every request. (Lambda's handler does it at init.)"""
    deps.warm()
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="Switchyard",
        version=__version__,
        description="Self-hosted LLM router (OpenAI-compatible).",
        lifespan=_lifespan,
    )
    errors.install(app)
    app.include_router(chat.router)
    app.include_router(feedback.router)
    app.include_router(meta.router)
    app.include_router(usage.router)
    app.include_router(lifecycle.router)
    return app


app = create_app()
