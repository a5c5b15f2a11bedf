"""The streaming shape's entry point: the ASGI app under uvicorn on loopback, which the AWS
Lambda Web Adapter (a layer; ``AWS_LWA_INVOKE_MODE=response_stream``) starts with
``run.sh`` during the function's init and proxies every invocation to, streaming the
response back through ``InvokeWithResponseStream``. The same command serves the app in the
tests that stand in for Lambda (tests/integration/test_deployed_shape.py).

The container (settings, catalog, model, clients) is built by the app's lifespan before
uvicorn accepts a connection, i.e. in Lambda's init phase, which SnapStart snapshots. The
adapter sends one invocation at a time to an environment, so the metrics queued while a
request (or a stream, to its last byte) was answered are published as EMF when it ends, as
the Mangum handler does per invocation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from switchyard import observability, telemetry
from switchyard.settings import get_settings
from switchyard_api.app import app

SERVICE = "switchyard-api"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class PublishMetrics:
    """ASGI middleware: after each HTTP response has been sent in full, count its status class
    and publish the queued metrics."""

    def __init__(self, inner: ASGIApp, publish: Callable[[], None]) -> None:
        self.inner = inner
        self.publish = publish

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.inner(scope, receive, sending)
        finally:
            telemetry.measure(f"Responses{status // 100}xx", 1)
            self.publish()


def served_app() -> PublishMetrics:
    observability.logger(SERVICE)
    metrics = observability.metrics(SERVICE)
    observability.tracer(SERVICE)

    def publish() -> None:
        observability.publish(metrics, SERVICE)
        metrics.flush_metrics()

    return PublishMetrics(app, publish)


def main() -> None:
    uvicorn.run(
        served_app(),
        host="127.0.0.1",
        port=get_settings().port,
        log_level="warning",
        access_log=False,  # the request log and EMF metrics say what happened; no prompts in logs
        lifespan="on",
        timeout_keep_alive=75,  # the adapter keeps its connection to the app between invocations
    )


if __name__ == "__main__":
    main()
