"""Lambda entry point of continuous stamping (ContactSelection.search(..., continuous=...)): a second handler in
the same asset as index.py.

- An SQS batch (the EventBridge rule's queue): applies the declaration to each event's contact and answers
  ``{"batchItemFailures": [...]}`` (ReportBatchItemFailures) with the messages that failed.
- ``{"Sweep": {}}`` (the schedule): searches the recent window and stamps the contacts whose events were lost.

The declaration is in the CONTINUOUS_DECLARATION environment variable. Logs hold counts, keys and contact IDs,
never an attribute value or an event body.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from connect_contact_rules import CONTINUOUS_DECLARATION_VARIABLE
from contact_reconciler.connect_contacts import ConnectContacts
from contact_reconciler.continuous_stamping import BatchReport, ContinuousDeclaration, stamp_events, sweep
from contact_reconciler.reconcile import ReconcileReport
from contact_reconciler.request_pacer import Deadline, OutOfTime

MARGIN_SECONDS = 5.0
"""Kept back from the invocation's remaining time: no Connect call starts after it."""

logger = logging.getLogger("contact_reconciler")
logger.setLevel(logging.INFO)
logging.getLogger().setLevel(logging.INFO)


def _connect(declaration: ContinuousDeclaration, context: Any) -> ConnectContacts:
    region = declaration.instance_arn.split(":")[3]
    client = boto3.client(
        "connect",
        region_name=region,
        config=Config(
            retries={"total_max_attempts": 1},  # ConnectContacts retries, paced
            max_pool_connections=34,
            connect_timeout=5,
            read_timeout=20,
            user_agent_extra="cdk-connect-contact-defaults continuous",
        ),
    )
    seconds = max(0.0, context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS)
    return ConnectContacts(client, declaration.instance_id, declaration.pacers(), Deadline(seconds))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    declaration = ContinuousDeclaration.from_json(os.environ[CONTINUOUS_DECLARATION_VARIABLE])
    connect = _connect(declaration, context)
    if "Records" in event:
        report = BatchReport()
        failed = stamp_events(event["Records"], declaration, connect, report=report)
        logger.info("batch of %d message(s): %s", len(event["Records"]), json.dumps(report.to_json()))
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
    if "Sweep" in event:
        seconds = max(0.0, context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS)
        sweep_report = ReconcileReport()
        try:
            complete = sweep(
                declaration, connect, now=datetime.now(UTC), stop_starting=Deadline(seconds), report=sweep_report
            )
        except OutOfTime:
            complete = False
        summary = {key: value for key, value in sweep_report.to_json().items() if key != "failures"}
        if complete:
            logger.info("sweep: %s", json.dumps(summary))
        else:
            logger.warning(
                "sweep stopped at its deadline before every listed contact was done: %s", json.dumps(summary)
            )
        return {"complete": complete, **summary}
    raise ValueError("the event is neither an SQS batch nor a sweep")
