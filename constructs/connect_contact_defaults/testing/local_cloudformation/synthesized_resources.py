"""The Custom::ConnectContactDefaults resources of a synthesized cloud assembly, with their properties as
CloudFormation would send them to the handler: intrinsics resolved for one account and Region, every
scalar a string."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .lambda_runner import RESOURCE_TYPE, SERVICE_TOKEN, string_properties

PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "Stack"}


def resolved_value(value: Any, region: str, account: str) -> Any:
    """A template value with Ref of pseudo parameters and Fn::Join resolved (Fn::GetAtt: the handler's ARN)."""
    return _resolved(value, region, account)


def _resolved(value: Any, region: str, account: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            pseudo = {**PSEUDO_PARAMETERS, "AWS::Region": region, "AWS::AccountId": account}
            if value["Ref"] not in pseudo:
                raise ValueError(f"cannot resolve {value} here: give the properties yourself")
            return pseudo[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            return SERVICE_TOKEN  # the only attribute a ContactDefaults passes: its handler's ARN
        if set(value) == {"Fn::Join"}:
            delimiter, parts = value["Fn::Join"]
            return delimiter.join(str(_resolved(part, region, account)) for part in parts)
        return {key: _resolved(item, region, account) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, region, account) for item in value]
    return value


def synthesized_resource_properties(
    cdk_out: Path, *, region: str = "eu-west-2", account: str = "123456789012"
) -> dict[str, dict[str, Any]]:
    """Logical ID -> event properties of every Custom::ConnectContactDefaults in cdk_out's templates, in
    template order (a sharded ContactDefaults has one per shard).

    ``Ref`` of pseudo parameters (``AWS::Region``, ``AWS::AccountId``, ...) is resolved to ``region`` and
    ``account``; the service token to the runner's function ARN. Another ``Ref`` (a parameter, a resource)
    raises ValueError: build those properties yourself.
    """
    found: dict[str, dict[str, Any]] = {}
    for template_file in sorted(Path(cdk_out).glob("*.template.json")):
        for logical_id, resource in json.loads(template_file.read_text())["Resources"].items():
            if resource["Type"] == RESOURCE_TYPE:
                found[logical_id] = string_properties(_resolved(resource["Properties"], region, account))
    return found
