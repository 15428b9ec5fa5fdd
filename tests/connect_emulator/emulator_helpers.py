"""Helpers shared by the Connect emulator tests (a uniquely named module: ``conftest`` is not importable reliably)."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "eu-west-2"
INSTANCE = "inst-1"


def make_client(endpoint_url: str, region: str = REGION):
    return boto3.client(
        "connect",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def error_of(error: ClientError) -> tuple[str, int, str]:
    """(Error.Code, HTTP status, Error.Message) of a botocore ClientError."""
    return (
        error.response["Error"]["Code"],
        error.response["ResponseMetadata"]["HTTPStatusCode"],
        error.response["Error"].get("Message", ""),
    )
