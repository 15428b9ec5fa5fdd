"""The deployed side of a plan: the stack's template as CloudFormation holds it, or as a file.

A stack that does not exist (or was never executed: REVIEW_IN_PROGRESS, or rolled back on its first
create: ROLLBACK_COMPLETE) has no deployed template: every resource of the assembly is a create.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .command_errors import PlanError, aws_call_failed

NOT_DEPLOYED_STATUSES = frozenset({"REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE"})
"""Stacks that exist in CloudFormation but hold no resources; `cdk deploy` creates them afresh."""


@dataclass(frozen=True)
class DeployedStack:
    template: Mapping[str, Any] | None
    """None: nothing is deployed."""
    source: str
    """Where the template came from, for the report."""
    account: str | None = None
    """From the stack's ARN, when CloudFormation was asked."""
    parameters: Mapping[str, str] = field(default_factory=dict)
    """The deployed parameter values, when CloudFormation was asked."""


def parse_template(body: Any, source: str) -> Mapping[str, Any]:
    """GetTemplate hands a JSON template back parsed or as text, depending on the SDK; a file is text."""
    if isinstance(body, Mapping):
        return body
    try:
        template = json.loads(body)
    except ValueError:
        raise PlanError(f"the deployed template ({source}) is not JSON; CDK deploys JSON templates") from None
    if not isinstance(template, Mapping):
        raise PlanError(f"the deployed template ({source}) is not a template (a JSON object)")
    return template


def deployed_stack_from_file(path: Path) -> DeployedStack:
    try:
        body = path.read_text()
    except OSError as error:
        raise PlanError(f"cannot read --deployed-template {path}: {error.strerror or error}") from None
    return DeployedStack(parse_template(body, str(path)), f"--deployed-template {path}")


def deployed_stack_from_cloudformation(client: Any, stack_name: str, where: str) -> DeployedStack:
    """DescribeStacks (status, account, parameters), then GetTemplate of the stack as last deployed."""
    resource = f"stack {stack_name} ({where})"
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if error.response.get("Error", {}).get("Code") == "ValidationError" and "does not exist" in message:
            return DeployedStack(None, f"stack {stack_name} does not exist in {where}")
        raise aws_call_failed("cloudformation:DescribeStacks", resource, error) from None
    except BotoCoreError as error:
        raise aws_call_failed("cloudformation:DescribeStacks", resource, error) from None
    (stack,) = stacks
    status = stack.get("StackStatus", "")
    if status in NOT_DEPLOYED_STATUSES:
        return DeployedStack(None, f"stack {stack_name} in {where} is {status}: nothing deployed")
    try:
        body = client.get_template(StackName=stack["StackId"], TemplateStage="Original")["TemplateBody"]
    except (ClientError, BotoCoreError) as error:
        raise aws_call_failed("cloudformation:GetTemplate", resource, error) from None
    account = str(stack["StackId"]).split(":")[4] or None
    parameters = {
        parameter["ParameterKey"]: parameter.get("ResolvedValue", parameter.get("ParameterValue", ""))
        for parameter in stack.get("Parameters") or []
    }
    return DeployedStack(
        parse_template(body, f"GetTemplate {stack_name}"),
        f"CloudFormation stack {stack_name} in {where} ({status})",
        account=account,
        parameters=parameters,
    )
