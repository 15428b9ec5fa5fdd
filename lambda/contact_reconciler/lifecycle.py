"""Create, Update and Delete of Custom::ConnectContactDefaults, independent of the CloudFormation protocol.

- Create: every selected contact gets the declaration; nothing was applied before.
- Update on the same instance: last applied = OldResourceProperties; a contact that left the
  selection is treated as deleted. A new instance or Region is a replacement: the new one is
  handled as a Create under a new physical ID, and CloudFormation then deletes the old one.
- Delete: nothing is desired; with RETAIN no Connect call is made at all. Delete always
  succeeds (invalid properties, a physical ID this handler never issued, missing contacts,
  contacts it could not clear: all logged) so that it never leaves a stack stuck.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connect_contact_rules import RuleViolation, ValueRemovalPolicy

from .connect_contacts import ConnectContacts
from .contact_plan import ContactWork, needs_live_attributes
from .reconcile import ReconcileReport, reconcile_contacts, worker_count
from .request_pacer import Deadline, RequestPacer
from .resource_spec import ResourceSpec, is_own_physical_id, parse_resource_spec
from .response_summary import failure_reason, response_data

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str, int], Any]
"""(region, max concurrent calls) -> a boto3 `connect` client."""


class ResourceFailed(Exception):
    """The resource failed; the message is the Reason for CloudFormation (at most 256 characters)."""


@dataclass(frozen=True)
class LifecycleRequest:
    request_type: str
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any] | None
    physical_id: str | None
    stack_id: str
    logical_id: str
    default_region: str


@dataclass(frozen=True)
class LifecycleResult:
    physical_id: str
    data: dict[str, str]


def works_for_create(spec: ResourceSpec) -> Iterator[ContactWork]:
    for contact_id in spec.contact_ids:
        yield ContactWork(contact_id, spec.attributes, {}, spec.expiry_minutes)


def works_for_update(old: ResourceSpec, new: ResourceSpec) -> Iterator[ContactWork]:
    old_ids = set(old.contact_ids)
    for contact_id in new.contact_ids:
        last_applied = old.attributes if contact_id in old_ids else {}
        yield ContactWork(contact_id, new.attributes, last_applied, new.expiry_minutes)
    new_ids = set(new.contact_ids)
    for contact_id in old.contact_ids:
        if contact_id not in new_ids:
            yield ContactWork(contact_id, {}, old.attributes, None)


def works_for_delete(spec: ResourceSpec) -> Iterator[ContactWork]:
    for contact_id in spec.contact_ids:
        yield ContactWork(contact_id, {}, spec.attributes, None)


def _has_calls(work: ContactWork, removal_policy: ValueRemovalPolicy) -> bool:
    return work.expiry_minutes is not None or needs_live_attributes(work.desired, work.last_applied, removal_policy)


def _reconcile(
    spec: ResourceSpec,
    works: Iterator[ContactWork],
    remaining_seconds: float,
    client_factory: ClientFactory,
) -> ReconcileReport:
    workers = worker_count(spec.max_requests_per_second)
    connect = ConnectContacts(
        client_factory(spec.region, workers),
        spec.instance_id,
        RequestPacer(spec.max_requests_per_second),
        Deadline(remaining_seconds),
    )
    relevant = (work for work in works if _has_calls(work, spec.removal_policy))
    report = reconcile_contacts(relevant, connect, spec.mode, spec.removal_policy, workers)
    logger.info(
        "instance %s: %d updated, %d unchanged, %d missing, %d failed, %d expiry skipped; "
        "%d Connect calls, %d throttled, %d server errors",
        spec.instance_id,
        report.updated,
        report.unchanged,
        report.missing,
        report.failed,
        report.expiry_skipped,
        connect.counts.calls,
        connect.counts.throttled,
        connect.counts.server_errors,
    )
    if report.missing_ids:
        logger.info("missing contacts (first 20): %s", report.missing_ids[:20])
    for failure in report.failures[:20]:
        logger.warning("contact %s failed: %s", failure.contact_id, failure.reason)
    return report


def create_or_update(
    request: LifecycleRequest,
    remaining_seconds: float,
    client_factory: ClientFactory,
    on_physical_id: Callable[[str], None],
) -> LifecycleResult:
    """Applies the declaration; raises ResourceFailed (after on_physical_id) if any contact failed."""
    spec = parse_resource_spec(request.properties, request.default_region)
    physical_id = spec.physical_id(request.stack_id, request.logical_id)
    on_physical_id(physical_id)  # a failed Create must still answer with our ID, so its Delete is recognised
    old_spec = None
    if request.request_type == "Update" and request.old_properties is not None:
        try:
            old_spec = parse_resource_spec(request.old_properties, request.default_region)
        except RuleViolation as error:
            logger.warning("old properties are invalid (%s): applying as a Create", error.field)
    same_target = (
        old_spec is not None
        and (old_spec.instance_id, old_spec.region) == (spec.instance_id, spec.region)
        and request.physical_id == physical_id
    )
    works = works_for_update(old_spec, spec) if same_target and old_spec else works_for_create(spec)
    logger.info(
        "%s on instance %s (%s): %d contacts declared, keys %s, expiry %s, mode %s, removal %s",
        request.request_type if same_target or request.request_type == "Create" else "Replacement",
        spec.instance_id,
        spec.region,
        len(spec.contact_ids),
        sorted(spec.attributes),
        spec.expiry_minutes,
        spec.mode.value,
        spec.removal_policy.value,
    )
    report = _reconcile(spec, works, remaining_seconds, client_factory)
    reason = failure_reason(report, spec.missing_contacts)
    if reason is not None:
        raise ResourceFailed(reason)
    return LifecycleResult(physical_id, response_data(report))


def delete(request: LifecycleRequest, remaining_seconds: float, client_factory: ClientFactory) -> LifecycleResult:
    physical_id = request.physical_id or ""
    try:
        spec = parse_resource_spec(request.properties, request.default_region)
    except RuleViolation as error:
        logger.warning("Delete with invalid properties (%s): nothing to undo", error.field)
        return LifecycleResult(physical_id, {})
    if not is_own_physical_id(physical_id, spec):
        logger.info("Delete of a physical ID this handler did not issue: nothing to undo")
        return LifecycleResult(physical_id, {})
    if spec.removal_policy is ValueRemovalPolicy.RETAIN:
        logger.info("Delete with RETAIN on instance %s: values left in place", spec.instance_id)
        return LifecycleResult(physical_id, {})
    report = _reconcile(spec, works_for_delete(spec), remaining_seconds, client_factory)
    if report.failed:
        logger.warning("Delete could not clear %d contacts; answering SUCCESS so the stack is not stuck", report.failed)
    return LifecycleResult(physical_id, response_data(report))
