"""Lambda entry point of Custom::ConnectContactDefaults: crhelper handles the CloudFormation protocol.

This module is thin glue: it maps crhelper's create/update/delete onto contact_reconciler.lifecycle.
Work longer than one invocation continues in a fresh asynchronous invocation of this function, with
a checkpoint in the event; only the invocation that finishes sends CloudFormation its one response.
It never logs the event, its properties or the ResponseURL (attribute values can be personal data):
crhelper runs at INFO, where it logs neither.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from functools import cache
from typing import Any

import boto3
import botocore
from botocore.config import Config
from crhelper import CfnResource

from contact_reconciler.cfn_response import ResponseNotAccepted, put_response
from contact_reconciler.checkpoint import CHECKPOINT_EVENT_KEY, Checkpoint
from contact_reconciler.lifecycle import (
    AwsClients,
    Duplicate,
    HandOff,
    InvocationTime,
    LeaseLost,
    LifecycleRequest,
    LifecycleResult,
    StateTable,
    create_or_update,
    delete,
)
from contact_reconciler.resource_lease import HEARTBEAT_SECONDS

MINIMUM_BOTOCORE = (1, 35, 70)
"""The first botocore whose Connect model has SegmentAttributes ValueMap/ValueInteger (connect:ContactExpiry)."""
RESPONSE_MARGIN_SECONDS = 10.0
"""Time kept back from the Lambda's remaining time to hand off or respond (crhelper answers FAILED at -0.5 s)."""
RESPONSE_MARGIN_MIN_SECONDS = 1.5

logger = logging.getLogger("contact_reconciler")


class ContactDefaultsResource(CfnResource):
    """crhelper's CfnResource, except that:

    - an invocation which handed its work on, or found another delivery of itself at work, sends no response
      (the one chain that holds the resource's lease answers);
    - an invocation that lost its lease (LeaseLost) sends none either, and ends with an error after crhelper
      returns, so that Lambda retries the event and the retry takes over;
    - the response is PUT by cfn_response.put_response, which retries 5xx, 429 and connection errors within the
      invocation's remaining time (crhelper 2.0.12 retries only connection errors). This relies on crhelper's
      `_send(status, reason, send_response)`; tests/lambda/test_index.py fails if the pinned crhelper changes it.
    """

    responds = True
    ends_for_retry: str | None = None
    """Why this invocation must end with an error and no response (Lambda's retry takes over), or None."""

    def begin(self) -> None:
        self.responds = True
        self.ends_for_retry = None

    def _cfn_response(self, event: dict[str, Any]) -> None:
        if self.responds:
            super()._cfn_response(event)

    def _send(self, status: Any = None, reason: str = "", send_response: Any = None) -> None:
        if self.responds:
            super()._send(status, reason, send_response=self._put_response)

    def _put_response(self, response_url: str, body: dict[str, Any], ssl_verify: Any = None) -> None:
        seconds = self._context.get_remaining_time_in_millis() / 1000.0 - 1.0
        try:
            put_response(response_url, body, seconds=max(1.0, seconds))
        except ResponseNotAccepted as error:
            logger.error("could not answer CloudFormation: %s", error)


# sleep_on_delete=1: crhelper then does not sleep; the function's log group outlives the stack (RETAIN).
helper = ContactDefaultsResource(json_logging=False, log_level="INFO", boto_level="WARNING", sleep_on_delete=1)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


if _version(botocore.__version__) < MINIMUM_BOTOCORE:  # crhelper answers every event FAILED with this
    helper.init_failure(
        RuntimeError(
            f"botocore {botocore.__version__} is older than {'.'.join(map(str, MINIMUM_BOTOCORE))}, "
            "the first that can set connect:ContactExpiry; the asset's bundled SDK was not loaded"
        )
    )


current_request_id = ""
"""The CloudFormation RequestId of the event at work: in the User-Agent of its Connect calls (CloudTrail shows it)."""


def connect_client(region: str, max_concurrency: int) -> Any:
    """A Connect client with botocore's retries off (ConnectContacts retries) and room for every worker.

    The endpoint is the standard one, or AWS_ENDPOINT_URL_CONNECT where that is set.
    """
    config = Config(
        retries={"total_max_attempts": 1},
        max_pool_connections=max_concurrency + 2,
        connect_timeout=5,
        read_timeout=20,
        user_agent_extra=f"cdk-connect-contact-defaults request/{current_request_id}",
    )
    return boto3.client("connect", region_name=region, config=config)


# Created at cold start, not in the last second of an invocation that hands its work on.
lambda_client = boto3.client("lambda")
STATE_TABLE_ENV = "STATE_TABLE"
"""The stack's DynamoDB table of leases and declarations (docs/write-ownership.md), set by the construct."""
LEASE_HEARTBEAT_ENV = "LEASE_HEARTBEAT_SECONDS"
"""For tests on a time-scaled clock only (the construct never sets it): the lease's heartbeat interval."""
state_table = StateTable(
    boto3.client("dynamodb", config=Config(retries={"mode": "standard"})),
    os.environ.get(STATE_TABLE_ENV, ""),
    float(os.environ.get(LEASE_HEARTBEAT_ENV) or HEARTBEAT_SECONDS),
)
if not state_table.name:
    helper.init_failure(RuntimeError(f"the function has no {STATE_TABLE_ENV} environment variable; redeploy the stack"))


@cache
def s3_client() -> Any:
    """For contact files: the assets bucket is in the stack's (so this function's) Region."""
    return boto3.client("s3", config=Config(retries={"mode": "standard"}))


def _request(event: dict[str, Any]) -> LifecycleRequest:
    return LifecycleRequest(
        request_id=event["RequestId"],
        request_type=event["RequestType"],
        properties=event.get("ResourceProperties") or {},
        old_properties=event.get("OldResourceProperties"),
        physical_id=event.get("PhysicalResourceId"),
        stack_id=event["StackId"],
        logical_id=event["LogicalResourceId"],
        default_region=os.environ.get("AWS_REGION", ""),
    )


def _time_available(context: Any) -> InvocationTime:
    remaining = context.get_remaining_time_in_millis() / 1000.0
    margin = min(RESPONSE_MARGIN_SECONDS, max(RESPONSE_MARGIN_MIN_SECONDS, remaining * 0.2))
    return InvocationTime(remaining - margin, lambda_seconds=remaining)


def _checkpoint(event: dict[str, Any]) -> Checkpoint | None:
    data = event.get(CHECKPOINT_EVENT_KEY)
    return Checkpoint.from_json(data) if data else None


def _clients() -> AwsClients:
    return AwsClients(connect_client, s3_client, state_table)


def _finish(event: dict[str, Any], context: Any, outcome: LifecycleResult | HandOff | Duplicate) -> str:
    """Records the result for crhelper's response, or starts the next invocation and sends no response."""
    if isinstance(outcome, Duplicate):
        helper.responds = False
    elif isinstance(outcome, HandOff):
        payload = {**event, CHECKPOINT_EVENT_KEY: outcome.checkpoint.to_json()}
        lambda_client.invoke(
            FunctionName=context.invoked_function_arn, InvocationType="Event", Payload=json.dumps(payload).encode()
        )
        helper.responds = False
        logger.info("continuing in invocation %d", outcome.checkpoint.invocation)
    else:
        helper.Data.update(outcome.data)
    return outcome.physical_id


def _set_physical_id(physical_id: str) -> None:
    helper.PhysicalResourceId = physical_id


@helper.create
@helper.update
def create_or_update_resource(event: dict[str, Any], context: Any) -> str:
    try:
        outcome = create_or_update(
            _request(event), _time_available(context), _clients(), _set_physical_id, checkpoint=_checkpoint(event)
        )
    except LeaseLost as error:
        return _end_for_retry(event, error)
    return _finish(event, context, outcome)


def _end_for_retry(event: dict[str, Any], error: LeaseLost) -> str:
    """No response now: the invocation ends with an error, and Lambda's retry of the event takes over."""
    helper.responds = False
    helper.ends_for_retry = str(error)
    return event.get("PhysicalResourceId") or ""


@helper.delete
def delete_resource(event: dict[str, Any], context: Any) -> str:
    """Always answers SUCCESS: a failed Delete would leave the stack stuck in DELETE_FAILED."""
    try:
        outcome = delete(_request(event), _time_available(context), _clients(), checkpoint=_checkpoint(event))
        return _finish(event, context, outcome)
    except LeaseLost as error:
        return _end_for_retry(event, error)
    except Exception as error:
        logger.error("Delete could not run (%s); answering SUCCESS so the stack is not stuck", type(error).__name__)
        return event.get("PhysicalResourceId") or ""


# What the cold start created lives as long as the execution environment: out of the garbage collector's view, so
# that a full collection does not walk it (about 100,000 objects; about 90 ms on a shared 2-core machine, longer on
# a Lambda's share of a vCPU). Such a pause between a pacer's release of a call and its send lets the calls released
# after it catch up, and could put more than the budget into one second at Connect.
gc.freeze()


def handler(event: dict[str, Any], context: Any) -> None:
    global current_request_id  # noqa: PLW0603 (one event at a time per execution environment)
    current_request_id = str(event.get("RequestId", ""))
    helper.begin()
    logger.info(
        "%s %s (%s)", event.get("RequestType"), event.get("LogicalResourceId"), event.get("PhysicalResourceId", "new")
    )
    helper(event, context)
    if helper.ends_for_retry is not None:
        raise RuntimeError(f"{helper.ends_for_retry}; Lambda retries this event, and the retry takes over")
