"""The Custom::ConnectContactDefaults resources of a synthesized cloud assembly, with their properties as
CloudFormation would send them to the handler: intrinsics resolved for one account and Region, every
scalar a string. An app of several stacks: pick one with ``stack=`` (its stack name or artifact ID)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connect_contact_rules import Prop

from .lambda_runner import RESOURCE_TYPE, SERVICE_TOKEN, string_properties

PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "Stack"}
CDK_PATH = "aws:cdk:path"
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def _pseudo(name: str, region: str, account: str) -> str:
    pseudo = {**PSEUDO_PARAMETERS, "AWS::Region": region, "AWS::AccountId": account}
    if name not in pseudo:
        raise ValueError(f"cannot resolve a reference to {name} here: give the properties yourself")
    return pseudo[name]


def resolved_value(value: Any, region: str, account: str) -> Any:
    """A template value with Ref of pseudo parameters and Fn::Join resolved (Fn::GetAtt: the handler's ARN)."""
    return _resolved(value, region, account)


def _resolved(value: Any, region: str, account: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return _pseudo(value["Ref"], region, account)
        if set(value) == {"Fn::GetAtt"}:
            return SERVICE_TOKEN  # the only attribute a ContactDefaults passes: its handler's ARN
        if set(value) == {"Fn::Join"}:
            delimiter, parts = value["Fn::Join"]
            return delimiter.join(str(_resolved(part, region, account)) for part in parts)
        if set(value) == {"Fn::Sub"}:  # the bootstrap bucket of a from_file asset: cdk-...-${AWS::AccountId}-...
            text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
            given = {name: str(_resolved(item, region, account)) for name, item in variables.items()}
            return _SUB_VARIABLE.sub(lambda match: given.get(match[1]) or _pseudo(match[1], region, account), text)
        return {key: _resolved(item, region, account) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, region, account) for item in value]
    return value


def stack_templates(cdk_out: Path, stack: str | None = None) -> dict[str, dict[str, Any]]:
    """Stack name -> template of the assembly's stacks (every one, or the one named ``stack``: its stack name
    or artifact ID). ValueError names the stacks there are when ``stack`` is none of them."""
    cdk_out = Path(cdk_out)
    templates: dict[str, dict[str, Any]] = {}
    if not (cdk_out / "manifest.json").is_file():  # templates alone: each file's name is its stack's
        for template_file in sorted(cdk_out.glob("*.template.json")):
            name = template_file.name.removesuffix(".template.json")
            if stack is None or stack == name:
                templates[name] = json.loads(template_file.read_text())
        if stack is not None and not templates:
            raise ValueError(f"no stack {stack!r} in {cdk_out}; its stacks: {', '.join(stack_templates(cdk_out))}")
        return templates
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        name = artifact.get("displayName", artifact_id).split("/")[-1]
        name = (artifact.get("properties") or {}).get("stackName", name)
        if stack is None or stack in (name, artifact_id):
            template_file = (artifact.get("properties") or {}).get("templateFile", f"{artifact_id}.template.json")
            templates[name] = json.loads((cdk_out / template_file).read_text())
    if stack is not None and not templates:
        raise ValueError(f"no stack {stack!r} in {cdk_out}; its stacks: {', '.join(stack_templates(cdk_out))}")
    return templates


def _contact_defaults(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(logical ID, construct path, properties) of each custom resource of a ContactDefaults, in template order."""
    for logical_id, resource in template.get("Resources", {}).items():
        if resource["Type"] == RESOURCE_TYPE:
            path = (resource.get("Metadata") or {}).get(CDK_PATH, logical_id)
            yield logical_id, path, resource["Properties"]


def synthesized_resource_properties(
    cdk_out: Path,
    *,
    stack: str | None = None,
    path: str | None = None,
    region: str = "eu-west-2",
    account: str = "123456789012",
    max_requests_per_second: float | None = None,
) -> dict[str, dict[str, Any]]:
    """Logical ID -> event properties of every Custom::ConnectContactDefaults in cdk_out's templates, in
    template order (a sharded ContactDefaults has one per shard).

    :param stack: only this stack (its stack name or artifact ID). Without it, a logical ID found in two
        stacks (the same construct ID in both) raises ValueError naming them: pick one with ``stack=``.
    :param path: only the ContactDefaults at this construct path (``"Stack/Greeting"``) or below it.
        ValueError lists the paths there are when none matches.
    :param max_requests_per_second: set on every resource (a test that runs many contacts faster than
        the declared budget, so that they fit in the runner's timeout). Default: as declared.

    ``Ref`` of pseudo parameters (``AWS::Region``, ``AWS::AccountId``, ...) and ``Fn::Sub`` of them (the
    bootstrap bucket of a from_file asset) are resolved to ``region`` and ``account``; the service token to
    the runner's function ARN. Another ``Ref`` (a parameter, a resource) raises ValueError: build those
    properties yourself.
    """
    found: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    paths: list[str] = []
    for stack_name, template in stack_templates(Path(cdk_out), stack).items():
        for logical_id, resource_path, properties in _contact_defaults(template):
            paths.append(resource_path)
            if path is not None and not (resource_path == path or resource_path.startswith(path.rstrip("/") + "/")):
                continue
            if logical_id in found:
                raise ValueError(
                    f"logical ID {logical_id} is in stacks {where[logical_id]} and {stack_name}: "
                    "pick one with stack=..."
                )
            where[logical_id] = stack_name
            resolved = _resolved(properties, region, account)
            if max_requests_per_second is not None:
                resolved[Prop.MAX_REQUESTS_PER_SECOND] = max_requests_per_second
            found[logical_id] = string_properties(resolved)
    if path is not None and not found:
        raise ValueError(f"no ContactDefaults at {path!r}; there are: {', '.join(paths) or 'none'}")
    return found
