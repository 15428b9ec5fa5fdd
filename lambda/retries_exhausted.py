"""Lambda entry point of the handler's on-failure destination: answers a request whose every attempt died.

The handler function's asynchronous invocation config sends Lambda's record of an event that failed every
attempt (retries exhausted, or too old) to this function. The record carries the original event (requestPayload):
CloudFormation's event, or one of the handler's hand-offs, both with the ResponseURL. Without this, a Create whose
invocations all die (a deterministic out-of-memory, say) would leave CloudFormation waiting for the whole
ServiceTimeout. So:

- Create or Update: FAILED, with a Reason that says the handler died and where its log is. A Create answers
  with the physical ID the handler issues for the resource, so that the rollback's Delete is recognised as its
  own and undoes what was written.
- Delete: SUCCESS with a WARNING, so that the stack is never stuck in DELETE_FAILED.

Nothing of the event's properties, nor the ResponseURL, is logged.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from connect_contact_rules import RuleViolation
from contact_reconciler.cfn_response import ResponseNotAccepted, put_response
from contact_reconciler.resource_spec import parse_resource_spec
from contact_reconciler.response_summary import REASON_MAX_CHARACTERS

HANDLER_LOG_GROUP_ENV = "HANDLER_LOG_GROUP"
"""The handler function's log group, named in the Reason (set by the construct)."""
RESPONSE_SECONDS = 30.0

logger = logging.getLogger("contact_reconciler.retries_exhausted")
logger.setLevel(logging.INFO)


def unanswered_reason(record: dict[str, Any], log_group: str) -> str:
    """The Reason of a request whose invocations ended without an answer."""
    context = record.get("requestContext") or {}
    attempts = context.get("approximateInvokeCount", "every")
    if context.get("condition") == "EventAgeExceeded":
        what = f"the handler's event waited in Lambda's queue past its maximum age ({attempts} attempts)"
    else:
        what = f"the handler's invocation ended without an answer {attempts} times (out of memory or a crash)"
    return f"{what}; see log group {log_group or 'of the handler function'}"[:REASON_MAX_CHARACTERS]


def unanswered_response(record: dict[str, Any], log_group: str, default_region: str) -> dict[str, Any]:
    """The one response to send for the request in Lambda's record of a failed asynchronous invocation."""
    event = record["requestPayload"]
    request_type = event.get("RequestType")
    physical_id = event.get("PhysicalResourceId") or ""
    if request_type == "Create":
        try:
            spec = parse_resource_spec(event.get("ResourceProperties") or {}, default_region)
            physical_id = spec.physical_id(event["StackId"], event["LogicalResourceId"])
        except RuleViolation:
            physical_id = physical_id or f"{event['LogicalResourceId']}-unanswered"
    reason = unanswered_reason(record, log_group)
    status = "SUCCESS" if request_type == "Delete" else "FAILED"
    return {
        "Status": status,
        "Reason": reason if status == "FAILED" else "",
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": False,
        "Data": {},
    }


def handler(record: dict[str, Any], context: Any) -> None:
    event = record.get("requestPayload")
    if not isinstance(event, dict) or "ResponseURL" not in event:
        logger.warning("a record without a CloudFormation request: nothing to answer")
        return
    response = unanswered_response(record, os.environ.get(HANDLER_LOG_GROUP_ENV, ""), os.environ.get("AWS_REGION", ""))
    if response["Status"] == "SUCCESS":
        logger.warning(
            "WARNING: Delete of %s ended without an answer (%s); answering SUCCESS so the stack is not stuck, "
            "and the values it declared may be left in place",
            event["LogicalResourceId"],
            unanswered_reason(record, ""),
        )
    else:
        logger.error(
            "%s of %s: answering FAILED: %s", event["RequestType"], event["LogicalResourceId"], response["Reason"]
        )
    seconds = context.get_remaining_time_in_millis() / 1000.0 - 1.0 if context is not None else RESPONSE_SECONDS
    try:
        put_response(event["ResponseURL"], response, seconds=max(1.0, seconds))
    except ResponseNotAccepted as error:
        logger.error("could not answer CloudFormation: %s", error)
