"""Lambda entry point: API Gateway (HTTP API) → Mangum → FastAPI."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from switchyard_api.app import app

logger = Logger(service="switchyard-api")
# the core's module loggers write the same structured JSON lines as the handler's logger
copy_config_to_registered_loggers(
    source_logger=logger, include={"switchyard", "switchyard_api", "switchyard_rescore"}
)
_asgi = Mangum(app, lifespan="off")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _asgi(event, context)  # type: ignore[arg-type]
