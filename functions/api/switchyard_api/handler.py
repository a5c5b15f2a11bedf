"""Lambda entry point: API Gateway (HTTP API) → Mangum → FastAPI, with Powertools logging
(correlation id = the API Gateway request id), EMF metrics and X-Ray tracing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from switchyard import observability, telemetry
from switchyard_api import deps, lambda_events
from switchyard_api.app import app

SERVICE = "switchyard-api"
logger = observability.logger(SERVICE)
metrics = observability.metrics(SERVICE)
tracer = observability.tracer(SERVICE)
_asgi = Mangum(app, lifespan="off")
# Init, not the first request: the settings, catalog, model and clients (a ConfigError here
# fails the init, visibly, instead of every request).
deps.warm()


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # responses may hold answers: not traced
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    status = 500
    try:
        reason = lambda_events.problem(event)
        if reason is None:
            try:
                response: dict[str, Any] = _asgi(event, context)  # type: ignore[arg-type]
            except Exception as exc:  # the adapter could not read the event: the client's fault
                logger.warning("malformed event", extra={"error": type(exc).__name__})
                response = lambda_events.bad_event_response("the adapter could not read it")
        else:
            logger.warning("malformed event", extra={"reason": reason})
            response = lambda_events.bad_event_response(reason)
        status = int(response.get("statusCode", 500))
        return response
    finally:
        telemetry.measure(f"Responses{status // 100}xx", 1)
        observability.publish(metrics, SERVICE)
