"""Where a deployed stack's ContactDefaults are: read from the stack's state table, read only.

The resources (every ContactDefaults and shard, in template order) come from the synthesized template; the
state table's name and each resource's CloudFormation status from ListStackResources of the deployed stack; the
stack's status from DescribeStacks; the progress records from one Query of the table's lease items (pk "lease",
attribute PROGRESS_ATTRIBUTE, which the handler's lease heartbeat writes). Nothing is written anywhere.

A resource is ``waiting`` while it has no record, or only the record of an earlier operation while
CloudFormation is working on it (its new operation has not written yet); otherwise its record's state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_contact_rules import PROGRESS_ATTRIBUTE, Prop
from contact_reconciler.progress_record import ProgressSnapshot, ProgressState
from contact_reconciler.resource_lease import LEASE_PARTITION

from .cloud_assembly import AssemblyStack, contact_defaults_resources
from .command_errors import PlanError, aws_call_failed

WAITING = "waiting"
STATE_TABLE_VARIABLE = "STATE_TABLE"
"""The handler's environment variable that names its state table (ContactDefaultsFunction)."""


@dataclass(frozen=True)
class ResourceStatus:
    logical_id: str
    path: str
    shard_index: int | None
    shard_count: int | None
    state: str
    """waiting, running, done or failed."""
    snapshot: ProgressSnapshot | None
    """The record of the current (or last) operation; None while waiting with no record."""


@dataclass
class StackStatus:
    stack_name: str
    table: str
    stack_status: str
    resources: list[ResourceStatus] = field(default_factory=list)

    @property
    def queued(self) -> int:
        return sum(resource.state == WAITING for resource in self.resources)

    @property
    def running(self) -> int:
        return sum(resource.state == ProgressState.RUNNING for resource in self.resources)

    @property
    def in_progress(self) -> bool:
        """CloudFormation works on the stack, or a resource's chain still runs."""
        return self.stack_status.endswith("_IN_PROGRESS") or self.running > 0

    @property
    def finished(self) -> bool:
        """Nothing runs and nothing waits, or nothing will start any more (the stack's operation ended)."""
        return self.running == 0 and (self.queued == 0 or not self.stack_status.endswith("_IN_PROGRESS"))


def state_table_logical_id(template: Mapping[str, Any]) -> str:
    """The state table of the handler that the template's ContactDefaults use (its STATE_TABLE variable's Ref)."""
    resources = template.get("Resources") or {}
    for resource in contact_defaults_resources(template).values():
        token = resource.properties.get("ServiceToken")
        function_id = token.get("Fn::GetAtt", [None])[0] if isinstance(token, Mapping) else None
        function = resources.get(function_id) or {}
        variables = ((function.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        table = variables.get(STATE_TABLE_VARIABLE)
        if isinstance(table, Mapping) and isinstance(table.get("Ref"), str):
            return table["Ref"]
    raise PlanError("the template declares no ContactDefaults handler with a state table: synthesize the app again")


def _shard(properties: Mapping[str, Any]) -> tuple[int | None, int | None]:
    shard = properties.get(Prop.SHARD)
    if not isinstance(shard, Mapping):
        return None, None
    return int(shard["Index"]), int(shard["Count"])


def resource_state(snapshot: ProgressSnapshot | None, resource_status: str, last_updated: float | None) -> str:
    """The decision: waiting, or the record's state (an earlier operation's record while CloudFormation works
    on the resource again counts as waiting)."""
    if snapshot is None:
        return WAITING
    stale = snapshot.state != ProgressState.RUNNING and resource_status.endswith("_IN_PROGRESS")
    if stale and last_updated is not None and snapshot.updated_at < last_updated:
        return WAITING
    return snapshot.state


class StatusReader:
    """Reads one stack's status through the caller's clients (cloudformation and dynamodb)."""

    def __init__(self, cloudformation: Any, dynamodb: Any, *, table: str | None = None) -> None:
        self._cloudformation = cloudformation
        self._dynamodb = dynamodb
        self._table = table

    def read(self, stack: AssemblyStack) -> StackStatus:
        declared = contact_defaults_resources(stack.template)
        if not declared:
            raise PlanError(f"stack {stack.stack_name} declares no ContactDefaults")
        deployed = self._stack_resources(stack.stack_name)
        table = self._table or self._table_name(stack, deployed)
        records = self._records(table)
        status = StackStatus(stack.stack_name, table, self._stack_status(stack.stack_name))
        for logical_id, resource in declared.items():
            shard_index, shard_count = _shard(resource.properties)
            snapshot = records.get(logical_id)
            cloudformation = deployed.get(logical_id) or {}
            last = cloudformation.get("LastUpdatedTimestamp")
            state = resource_state(
                snapshot,
                str(cloudformation.get("ResourceStatus", "")),
                last.timestamp() if isinstance(last, datetime) else None,
            )
            status.resources.append(
                ResourceStatus(
                    logical_id,
                    resource.path,
                    shard_index,
                    shard_count,
                    state,
                    None if state == WAITING else snapshot,
                )
            )
        return status

    def _stack_resources(self, stack_name: str) -> dict[str, Mapping[str, Any]]:
        try:
            pages = self._cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
            return {
                summary["LogicalResourceId"]: summary for page in pages for summary in page["StackResourceSummaries"]
            }
        except ClientError as error:
            if "does not exist" in error.response.get("Error", {}).get("Message", ""):
                raise PlanError(f"stack {stack_name} does not exist: deploy it first") from None
            raise aws_call_failed("cloudformation:ListStackResources", f"stack {stack_name}", error) from None
        except BotoCoreError as error:
            raise aws_call_failed("cloudformation:ListStackResources", f"stack {stack_name}", error) from None

    def _stack_status(self, stack_name: str) -> str:
        try:
            (stack,) = self._cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
        except (ClientError, BotoCoreError) as error:
            raise aws_call_failed("cloudformation:DescribeStacks", f"stack {stack_name}", error) from None
        return str(stack.get("StackStatus", ""))

    @staticmethod
    def _table_name(stack: AssemblyStack, deployed: Mapping[str, Mapping[str, Any]]) -> str:
        logical_id = state_table_logical_id(stack.template)
        table = (deployed.get(logical_id) or {}).get("PhysicalResourceId")
        if not table:
            raise PlanError(
                f"stack {stack.stack_name} has no state table {logical_id} yet: its deployment has not begun"
            )
        return str(table)

    def _records(self, table: str) -> dict[str, ProgressSnapshot]:
        """Every lease item's progress record (one strongly consistent Query, paginated), by logical ID."""
        records: dict[str, ProgressSnapshot] = {}
        try:
            pages = self._dynamodb.get_paginator("query").paginate(
                TableName=table,
                KeyConditionExpression="pk = :lease",
                ExpressionAttributeValues={":lease": {"S": LEASE_PARTITION}},
                ProjectionExpression="sk, #progress",
                ExpressionAttributeNames={"#progress": PROGRESS_ATTRIBUTE},
                ConsistentRead=True,
            )
            for page in pages:
                for item in page.get("Items", []):
                    if PROGRESS_ATTRIBUTE in item:
                        try:
                            records[item["sk"]["S"]] = ProgressSnapshot.from_item(item[PROGRESS_ATTRIBUTE])
                        except ValueError as error:
                            raise PlanError(f"state table {table}, resource {item['sk']['S']}: {error}") from None
        except (ClientError, BotoCoreError) as error:
            raise aws_call_failed("dynamodb:Query", f"state table {table}", error) from None
        return records


def watch(
    read: Callable[[], list[StackStatus]],
    show: Callable[[list[StackStatus]], None],
    interval: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[StackStatus]:
    """Reads and shows until every stack is finished; returns the last reading."""
    while True:
        statuses = read()
        show(statuses)
        if all(status.finished for status in statuses):
            return statuses
        sleep(interval)
