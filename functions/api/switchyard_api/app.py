"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from switchyard import __version__
from switchyard_api import errors
from switchyard_api.routes import chat, feedback, meta, usage


def create_app() -> FastAPI:
    app = FastAPI(
        title="Switchyard", version=__version__, description="Self-hosted LLM router (OpenAI-compatible)."
    )
    errors.install(app)
    app.include_router(chat.router)
    app.include_router(feedback.router)
    app.include_router(meta.router)
    app.include_router(usage.router)
    return app


app = create_app()
