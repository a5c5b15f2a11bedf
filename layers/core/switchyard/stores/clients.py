"""The boto3 clients the stores take, configured from the settings (endpoint, region,
timeouts, retries). Built by the functions' wiring, once per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchyard.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def dynamodb_client(settings: Settings, attempts: int = 3) -> DynamoDBClient:
    """A DynamoDB client on ``AWS_ENDPOINT_URL`` when set (DynamoDB Local, LocalStack).
    ``attempts`` = 1 for the response cache: a slow or throttled cache is a miss, not
    seconds of backoff."""
    import boto3
    from botocore.config import Config

    cfg = Config(
        connect_timeout=settings.ddb_timeout_seconds,
        read_timeout=settings.ddb_timeout_seconds,
        retries={"total_max_attempts": attempts, "mode": "standard"},
    )
    return boto3.client(
        "dynamodb", endpoint_url=settings.aws_endpoint_url, region_name=settings.aws_region, config=cfg
    )
