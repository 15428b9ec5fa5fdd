"""Lambda entry point of Custom::ConnectContactDefaults: crhelper handles the CloudFormation protocol.

This module is thin glue: it maps crhelper's create/update/delete onto contact_reconciler.lifecycle.
It never logs the event, its properties or the ResponseURL (attribute values can be personal data):
crhelper runs at INFO, where it logs neither.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import boto3
import botocore
from botocore.config import Config
from crhelper import CfnResource

from contact_reconciler.lifecycle import ClientFactory, LifecycleRequest, create_or_update, delete

MINIMUM_BOTOCORE = (1, 35, 70)
"""The first botocore whose Connect model has SegmentAttributes ValueMap/ValueInteger (connect:ContactExpiry)."""
RESPONSE_MARGIN_SECONDS = 10.0
"""Time kept back from the Lambda's remaining time to send the response (crhelper fails at -0.5 s)."""

logger = logging.getLogger("contact_reconciler")

helper = CfnResource(json_logging=False, log_level="INFO", boto_level="WARNING", sleep_on_delete=1)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


try:
    if _version(botocore.__version__) < MINIMUM_BOTOCORE:
        raise RuntimeError(
            f"botocore {botocore.__version__} is older than {'.'.join(map(str, MINIMUM_BOTOCORE))}, "
            "the first that can set connect:ContactExpiry; the asset's bundled SDK was not loaded"
        )
except Exception as error:  # reported to CloudFormation by crhelper on the next event
    helper.init_failure(error)


def connect_client(region: str, max_concurrency: int) -> Any:
    """A Connect client with botocore's retries off (ConnectContacts retries) and room for every worker.

    The endpoint is the standard one, or AWS_ENDPOINT_URL_CONNECT where that is set.
    """
    config = Config(
        retries={"total_max_attempts": 1},
        max_pool_connections=max_concurrency + 2,
        connect_timeout=5,
        read_timeout=20,
        user_agent_extra="cdk-connect-contact-defaults",
    )
    return boto3.client("connect", region_name=region, config=config)


def _request(event: dict[str, Any]) -> LifecycleRequest:
    return LifecycleRequest(
        request_type=event["RequestType"],
        properties=event.get("ResourceProperties") or {},
        old_properties=event.get("OldResourceProperties"),
        physical_id=event.get("PhysicalResourceId"),
        stack_id=event["StackId"],
        logical_id=event["LogicalResourceId"],
        default_region=os.environ.get("AWS_REGION", ""),
    )


def _remaining_seconds(context: Any) -> float:
    remaining = context.get_remaining_time_in_millis() / 1000.0
    return remaining - min(RESPONSE_MARGIN_SECONDS, remaining * 0.2)


def _set_physical_id(physical_id: str) -> None:
    helper.PhysicalResourceId = physical_id


@helper.create
@helper.update
def create_or_update_resource(
    event: dict[str, Any], context: Any, client_factory: ClientFactory = connect_client
) -> str:
    result = create_or_update(_request(event), _remaining_seconds(context), client_factory, _set_physical_id)
    helper.Data.update(result.data)
    return result.physical_id


@helper.delete
def delete_resource(event: dict[str, Any], context: Any, client_factory: ClientFactory = connect_client) -> str:
    """Always answers SUCCESS: a failed Delete would leave the stack stuck in DELETE_FAILED."""
    try:
        result = delete(_request(event), _remaining_seconds(context), client_factory)
    except Exception as error:
        logger.error("Delete could not run (%s); answering SUCCESS so the stack is not stuck", type(error).__name__)
        return event.get("PhysicalResourceId") or ""
    helper.Data.update(result.data)
    return result.physical_id


def handler(event: dict[str, Any], context: Any) -> None:
    logger.info(
        "%s %s (%s)", event.get("RequestType"), event.get("LogicalResourceId"), event.get("PhysicalResourceId", "new")
    )
    helper(event, context)
