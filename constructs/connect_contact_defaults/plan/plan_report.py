"""The plan as text for a person (keys and counts; values only with --show-values) and as one JSON document."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .resource_plans import Action, ResourcePlan
from .sample_estimate import INTERVAL

SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.NONE: "=",
}


@dataclass
class StackPlan:
    stack: str
    deployed: str
    """Where the deployed template came from."""
    resources: list[ResourcePlan] = field(default_factory=list)


def has_changes(stacks: Iterable[StackPlan]) -> bool:
    return any(resource.has_changes for stack in stacks for resource in stack.resources)


def _resource_json(resource: ResourcePlan, show_values: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "path": resource.path,
        "logicalId": resource.logical_id,
        "action": resource.action.value,
        "contacts": {
            "write": resource.write,
            "unchanged": resource.unchanged,
            "missing": resource.missing,
            "wouldFail": resource.would_fail,
            "expirySkipped": resource.expiry_skipped,
        },
        "keys": {"set": dict(sorted(resource.keys_set.items())), "clear": dict(sorted(resource.keys_clear.items()))},
        "expirySet": resource.expiry_set,
        "firstContacts": list(resource.first_contacts),
    }
    if resource.sampled:
        document["sample"] = {
            "read": sum(read for read, _ in resource.sampled),
            "contacts": sum(population for _, population in resource.sampled),
            "interval": INTERVAL,
            "estimates": {_JSON_NAMES[name]: estimate.to_json() for name, estimate in resource.estimates.items()},
        }
    if resource.fails is not None:
        document["fails"] = resource.fails
    if resource.unknown is not None:
        document["unknown"] = resource.unknown
    if show_values:
        document["values"] = {
            contact_id: {key: {"from": now, "to": new} for key, (now, new) in values.items()}
            for contact_id, values in resource.values.items()
        }
    return document


_JSON_NAMES = {
    "write": "write",
    "unchanged": "unchanged",
    "missing": "missing",
    "would_fail": "wouldFail",
    "expiry_set": "expirySet",
    "expiry_skipped": "expirySkipped",
}


def plan_json(stacks: list[StackPlan], *, show_values: bool) -> str:
    document = {
        "changes": has_changes(stacks),
        "stacks": [
            {"stack": stack.stack, "resources": [_resource_json(resource, show_values) for resource in stack.resources]}
            for stack in stacks
        ],
    }
    return json.dumps(document, indent=2)


def _keys_line(resource: ResourcePlan) -> str:
    parts = []
    for key in sorted(set(resource.keys_set) | set(resource.keys_clear)):
        counts = []
        if resource.keys_set[key]:
            counts.append(f"set on {resource.keys_set[key]}")
        if resource.keys_clear[key]:
            counts.append(f"cleared on {resource.keys_clear[key]}")
        parts.append(f"{key} {', '.join(counts)}")
    return "; ".join(parts) or "none"


def _resource_text(resource: ResourcePlan, show_values: bool) -> list[str]:
    lines = [f"  {SYMBOLS[resource.action]} {resource.action.value}  {resource.path} ({resource.logical_id})"]
    indent = "      "
    if resource.action is Action.NONE and not resource.targets:
        lines.append(f"{indent}properties unchanged: CloudFormation will not call the handler")
    lines.extend(f"{indent}{target}" for target in resource.targets)
    if resource.sampled:
        read = sum(read for read, _ in resource.sampled)
        population = sum(population for _, population in resource.sampled)
        lines.append(
            f"{indent}ESTIMATES from a uniform random sample of {read:,} of {population:,} contacts ({INTERVAL}):"
        )
        for name, label in (
            ("write", "to write"),
            ("unchanged", "unchanged"),
            ("missing", "missing"),
            ("would_fail", "would fail"),
            ("expiry_set", "expiry to set"),
        ):
            lines.append(f"{indent}  {label}: {resource.estimates[name].text()}")
    if resource.targets:
        lines.append(
            f"{indent}contacts: {resource.write} to write, {resource.unchanged} unchanged, "
            f"{resource.missing} missing, {resource.would_fail} would fail"
            + (" (estimates)" if resource.sampled else "")
        )
        lines.append(
            f"{indent}expiry:   {resource.expiry_set} to set, {resource.expiry_skipped} skipped (voice and chat)"
        )
        lines.append(f"{indent}keys:     {_keys_line(resource)}")
    if resource.first_contacts:
        lines.append(f"{indent}first contacts to write: {', '.join(resource.first_contacts)}")
    for contact_id, reason in resource.failures:
        lines.append(f"{indent}would fail: {contact_id}: {reason}")
    if resource.missing_ids:
        lines.append(f"{indent}missing: {', '.join(resource.missing_ids)}")
    if show_values:
        for contact_id, values in resource.values.items():
            shown = ", ".join(f"{key} {json.dumps(now)} -> {json.dumps(new)}" for key, (now, new) in values.items())
            lines.append(f"{indent}values {contact_id}: {shown or 'expiry only'}")
    if resource.fails is not None:
        lines.append(f"{indent}DEPLOYMENT WOULD FAIL: {resource.fails}")
    if resource.unknown is not None:
        lines.append(f"{indent}UNKNOWN: {resource.unknown}")
    lines.extend(f"{indent}note: {note}" for note in resource.notes)
    return lines


DRIFT_FIX = (
    "To re-apply: bump the revision of the drifted ContactDefaults' selection (revision=... of "
    "ContactSelection.of_ids, from_file or search) and deploy; a deploy of an unchanged template does not run it."
)


def plan_text(stacks: list[StackPlan], *, drift: bool, show_values: bool) -> str:
    lines: list[str] = []
    resources = [resource for stack in stacks for resource in stack.resources]
    for stack in stacks:
        lines.append(f"Stack {stack.stack}")
        lines.append(f"  deployed: {stack.deployed}")
        if not stack.resources:
            lines.append("  no ContactDefaults in the assembly or the deployed template")
        for resource in stack.resources:
            lines.extend(_resource_text(resource, show_values))
        lines.append("")
    actions = {action: sum(resource.action is action for resource in resources) for action in Action}
    write = sum(resource.write for resource in resources)
    totals = (
        f"contacts: {write} to write, {sum(r.unchanged for r in resources)} unchanged, "
        f"{sum(r.missing for r in resources)} missing, {sum(r.would_fail for r in resources)} would fail; "
        f"expiry: {sum(r.expiry_set for r in resources)} to set, {sum(r.expiry_skipped for r in resources)} skipped"
    )
    unknown = sum(resource.unknown is not None for resource in resources)
    failing = sum(resource.fails is not None for resource in resources)
    extra = (f"; {unknown} unknown" if unknown else "") + (f"; {failing} would fail to deploy" if failing else "")
    if drift:
        drifted = sum(resource.write > 0 or resource.would_fail > 0 for resource in resources)
        lines.append(f"Drift: {drifted} of {len(resources)} ContactDefaults drifted; {totals}{extra}")
        if drifted:  # an unchanged template does not call the handler: only new properties re-apply it
            lines.append(DRIFT_FIX)
    else:
        counted = ", ".join(f"{actions[action]} to {action.value}" for action in Action if action is not Action.NONE)
        lines.append(f"Plan: {counted}, {actions[Action.NONE]} without changes; {totals}{extra}")
    return "\n".join(lines)
