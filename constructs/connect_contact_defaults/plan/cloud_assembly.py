"""The stacks of a cloud assembly (the ``cdk synth`` output): their templates, environments and file assets.

Read from ``manifest.json`` as the CDK CLI reads it: stack artifacts (``aws:cloudformation:stack``),
nested assemblies of stages (``cdk:cloud-assembly``) and asset manifests (``cdk:asset-manifest``),
whose file assets map an S3 object key (a content hash) to the file in the assembly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from connect_contact_rules import RESOURCE_TYPE

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"
UNKNOWN_ACCOUNT = "unknown-account"
UNKNOWN_REGION = "unknown-region"


class AssemblyError(Exception):
    """The assembly cannot be read, or does not hold the stacks asked for (the message says what to do)."""


@dataclass(frozen=True)
class ContactDefaultsResource:
    """One Custom::ConnectContactDefaults of a template."""

    logical_id: str
    path: str
    """The ContactDefaults' construct path (from aws:cdk:path), or the logical ID when the template has none."""
    properties: Mapping[str, Any]


def contact_defaults_resources(template: Mapping[str, Any]) -> dict[str, ContactDefaultsResource]:
    """Logical ID -> resource, for every Custom::ConnectContactDefaults of a template."""
    found: dict[str, ContactDefaultsResource] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, Mapping) or resource.get("Type") != RESOURCE_TYPE:
            continue
        path = str((resource.get("Metadata") or {}).get("aws:cdk:path") or logical_id)
        # CustomResource puts its CfnResource at <ContactDefaults>/Resource/Default
        for suffix in ("/Default", "/Resource"):
            path = path.removesuffix(suffix)
        found[logical_id] = ContactDefaultsResource(logical_id, path, resource.get("Properties") or {})
    return found


@dataclass(frozen=True)
class AssemblyStack:
    artifact_id: str
    stack_name: str
    """The CloudFormation stack name."""
    display_name: str
    template: Mapping[str, Any]
    account: str | None
    """None for an environment-agnostic stack (the caller's account)."""
    region: str | None
    """None for an environment-agnostic stack (the caller's Region)."""
    file_assets: Mapping[str, Path] = field(default_factory=dict)
    """S3 object key -> the file in the assembly (file assets that are not zipped)."""

    def matches(self, pattern: str) -> bool:
        return any(fnmatchcase(name, pattern) for name in (self.stack_name, self.artifact_id, self.display_name))


def _manifest(directory: Path) -> dict[str, Any]:
    manifest_file = directory / "manifest.json"
    try:
        return json.loads(manifest_file.read_text())
    except FileNotFoundError:
        raise AssemblyError(
            f"no cloud assembly at {directory}: {manifest_file.name} not found; run `cdk synth` first, "
            "or pass --assembly with the directory it wrote (cdk.out by default)"
        ) from None
    except (OSError, ValueError) as error:
        raise AssemblyError(f"cannot read the cloud assembly's {manifest_file}: {error}") from None


def _environment(value: str | None) -> tuple[str | None, str | None]:
    """aws://<account>/<region> -> (account, region), None where unknown (environment-agnostic)."""
    account, _, region = (value or "").removeprefix("aws://").partition("/")
    return (
        account if account and account != UNKNOWN_ACCOUNT else None,
        region if region and region != UNKNOWN_REGION else None,
    )


def _file_assets(directory: Path, artifacts: Mapping[str, Any], names: list[str]) -> dict[str, Path]:
    assets: dict[str, Path] = {}
    for name in names:
        artifact = artifacts.get(name) or {}
        if artifact.get("type") != ASSET_MANIFEST_ARTIFACT:
            continue
        manifest = json.loads((directory / artifact["properties"]["file"]).read_text())
        for asset in (manifest.get("files") or {}).values():
            source = asset.get("source") or {}
            if source.get("packaging", "file") != "file" or "path" not in source:
                continue
            for destination in (asset.get("destinations") or {}).values():
                assets[str(destination["objectKey"])] = directory / source["path"]
    return assets


def _stacks(directory: Path) -> Iterator[AssemblyStack]:
    artifacts = _manifest(directory).get("artifacts") or {}
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type")
        properties = artifact.get("properties") or {}
        if kind == NESTED_ASSEMBLY_ARTIFACT:
            yield from _stacks(directory / properties["directoryName"])
        elif kind == STACK_ARTIFACT:
            account, region = _environment(artifact.get("environment"))
            template_file = directory / properties["templateFile"]
            try:
                template = json.loads(template_file.read_text())
            except (OSError, ValueError) as error:
                raise AssemblyError(f"cannot read the template of stack {artifact_id}: {error}") from None
            yield AssemblyStack(
                artifact_id=artifact_id,
                stack_name=properties.get("stackName") or artifact_id,
                display_name=artifact.get("displayName") or artifact_id,
                template=template,
                account=account,
                region=region,
                file_assets=_file_assets(directory, artifacts, artifact.get("dependencies") or []),
            )


def read_stacks(directory: Path, patterns: list[str] | None = None) -> list[AssemblyStack]:
    """The assembly's stacks, or those matching any pattern (stack name, artifact ID or display name; globs)."""
    if not directory.is_dir():
        raise AssemblyError(
            f"no cloud assembly at {directory}: run `cdk synth` first, or pass --assembly with the "
            "directory it wrote (cdk.out by default)"
        )
    stacks = list(_stacks(directory))
    if not patterns:
        return stacks
    chosen = [stack for stack in stacks if any(stack.matches(pattern) for pattern in patterns)]
    unmatched = [pattern for pattern in patterns if not any(stack.matches(pattern) for stack in stacks)]
    if unmatched:
        known = ", ".join(sorted(stack.stack_name for stack in stacks)) or "none"
        raise AssemblyError(f"no stack {', '.join(unmatched)} in the assembly at {directory} (its stacks: {known})")
    return chosen
