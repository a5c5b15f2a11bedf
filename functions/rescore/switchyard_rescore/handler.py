"""Lambda entry point (EventBridge schedule): recompute the confidence matrix from the
feedback logged since the last run, and publish every model × task cell's quality, the
count of significant regressions and the feedback read as CloudWatch metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from switchyard import observability, telemetry
from switchyard.catalog import load_catalog
from switchyard.learning import rescore
from switchyard.settings import get_settings
from switchyard.stores.dynamodb import FeedbackStore, MatrixStore, StateStore

SERVICE = "switchyard-rescore"
logger = observability.logger(SERVICE)
metrics = observability.metrics(SERVICE)
tracer = observability.tracer(SERVICE)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    s = get_settings()
    client = boto3.client("dynamodb", endpoint_url=s.aws_endpoint_url, region_name=s.aws_region)
    try:
        summary = rescore.run(
            load_catalog(s.catalog_path),
            MatrixStore(s.matrix_table, client),
            FeedbackStore(s.feedback_table, client),
            StateStore(s.matrix_table, client),
            now=datetime.now(UTC),
        )
    finally:
        client.close()
    for model, row in summary["quality"].items():
        for task, quality in row.items():
            telemetry.measure("QualityScore", quality, "None", model=model, task_type=task)
    telemetry.measure("QualityRegressions", len(summary["regressions"]))
    telemetry.measure("FeedbackRead", summary["feedback_read"])
    observability.publish(metrics, SERVICE)
    logger.info(
        "confidence matrix rescored",
        extra={
            "changed": summary["changed"],
            "version": summary["version"],
            "regressions": summary["regressions"],
        },
    )
    return summary
