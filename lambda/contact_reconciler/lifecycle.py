"""Create, Update and Delete of Custom::ConnectContactDefaults, independent of the CloudFormation protocol.

- Create: every selected contact gets the declaration; nothing was applied before.
- Update on the same instance: last applied = OldResourceProperties; a contact that left the
  selection is treated as deleted. A new instance or Region is a replacement: the new one is
  handled as a Create under a new physical ID, and CloudFormation then deletes the old one.
- Delete: nothing is desired; with RETAIN no Connect call is made at all. Delete always
  succeeds (invalid properties, a physical ID this handler never issued, missing contacts,
  contacts it could not clear: all logged) so that it never leaves a stack stuck.

Work that does not fit in one invocation is handed off: the caller starts a fresh invocation
with the returned Checkpoint, and only the invocation that finishes answers CloudFormation.
Before writing anything, an operation that cannot finish within the custom resource's
ServiceTimeout at the declared budget fails at once with the estimate and what to change.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connect_contact_rules import (
    RATE_HEADROOM,
    Result,
    RuleViolation,
    ValueRemovalPolicy,
    contacts_within,
    estimated_seconds,
    service_timeout_margin_seconds,
)

from .checkpoint import Checkpoint
from .connect_contacts import ConnectContacts
from .contact_plan import ContactWork, needs_live_attributes
from .contact_source import ContactFileUnavailable, S3ClientFactory, iter_selection
from .reconcile import reconcile_contacts, worker_count
from .request_pacer import ApiPacers, Deadline
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
class InvocationTime:
    seconds: float
    """How long this invocation may make Connect calls (the Lambda's remaining time less the response margin)."""
    now: float = field(default_factory=time.time)
    """Epoch seconds at the start of this invocation."""


@dataclass(frozen=True)
class LifecycleResult:
    physical_id: str
    data: dict[str, str]


@dataclass(frozen=True)
class HandOff:
    """Not finished: continue in a fresh invocation from this checkpoint; send no response now."""

    physical_id: str
    checkpoint: Checkpoint


class Selections:
    """Reads the contact IDs of a spec's selection (inline or from S3), remembering an unavailable old file."""

    def __init__(self, s3_client: S3ClientFactory) -> None:
        self._s3_client = s3_client
        self.old_selection_unavailable = False

    def ids(self, spec: ResourceSpec) -> Iterator[str]:
        seen: set[str] = set()
        for contact_id in iter_selection(spec, self._s3_client):
            if contact_id not in seen:
                seen.add(contact_id)
                yield contact_id

    def old_ids(self, spec: ResourceSpec) -> set[str] | None:
        """The previous selection as a set, or None when its file is gone from the bucket."""
        try:
            return set(self.ids(spec))
        except ContactFileUnavailable as error:
            logger.warning("previous contact file %s cannot be read: contacts only it held are left as they are", error)
            self.old_selection_unavailable = True
            return None


def works_for_create(spec: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    for contact_id in selections.ids(spec):
        yield ContactWork(contact_id, spec.attributes, {}, spec.expiry_minutes)


def works_for_update(old: ResourceSpec, new: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    """New selection in its order, then the contacts that left it, sorted (a stable order across invocations).

    If the old file is gone, every selected contact is taken to have held the old declaration.
    """
    old_ids = selections.old_ids(old)
    new_ids: set[str] = set()
    for contact_id in selections.ids(new):
        new_ids.add(contact_id)
        last_applied = old.attributes if old_ids is None or contact_id in old_ids else {}
        yield ContactWork(contact_id, new.attributes, last_applied, new.expiry_minutes)
    for contact_id in sorted((old_ids or set()) - new_ids):
        yield ContactWork(contact_id, {}, old.attributes, None)


def works_for_delete(spec: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    for contact_id in selections.ids(spec):
        yield ContactWork(contact_id, {}, spec.attributes, None)


def _needs_calls(work: ContactWork, removal_policy: ValueRemovalPolicy) -> bool:
    """Whether reconciling the contact can make any Connect call (attributes to plan, or an expiry)."""
    return needs_live_attributes(work.desired, work.last_applied, removal_policy) or work.expiry_minutes is not None


class _Operation:
    """One Create, Update or Delete: its ordered works, its deadlines, and the reconcile over one invocation."""

    def __init__(
        self,
        spec: ResourceSpec,
        make_works: Callable[[], Iterator[ContactWork]],
        time_available: InvocationTime,
        checkpoint: Checkpoint | None,
    ) -> None:
        self.spec = spec
        self.make_works = make_works
        self.checkpoint = checkpoint or Checkpoint(started_at=time_available.now)
        self.is_first_invocation = checkpoint is None
        margin = service_timeout_margin_seconds(spec.service_timeout_seconds)
        self.service_seconds_left = (
            self.checkpoint.started_at + spec.service_timeout_seconds - margin - time_available.now
        )
        self.invocation_seconds = min(time_available.seconds, self.service_seconds_left)
        self.service_timeout_binds = self.service_seconds_left <= time_available.seconds

    def relevant_works(self) -> Iterator[ContactWork]:
        removal = self.spec.removal_policy
        return (work for work in self.make_works() if _needs_calls(work, removal))

    def estimate_problem(self) -> str | None:
        """Why the operation cannot finish within the ServiceTimeout at the budget, or None if it can.

        The estimate is connect_contact_rules.contacts_within, the one the construct shards selections by.
        """
        contacts = sum(1 for _ in self.relevant_works())
        rate = self.spec.max_requests_per_second
        timeout = self.spec.service_timeout_seconds
        capacity = contacts_within(rate, timeout)
        if contacts <= capacity:
            logger.info(
                "estimate: %d contacts, about %.0f s of the busiest API's time (at most %d within the ServiceTimeout)",
                contacts,
                estimated_seconds(contacts, rate),
                capacity,
            )
            return None
        needed = math.ceil(rate * contacts / max(capacity, 1))
        parts = math.ceil(contacts / max(capacity, 1))
        return (
            f"{contacts} contacts need about {estimated_seconds(contacts, rate):.0f} s at "
            f"max_requests_per_second={rate:g}; at most {capacity} fit the ServiceTimeout of {timeout} s. "
            f"Raise max_requests_per_second to at least {needed} or split the selection into {parts} resources"
        )[:256]

    def run(self, client_factory: ClientFactory) -> bool:
        """Reconciles until done or this invocation's time is up; returns whether every contact is finished."""
        spec = self.spec
        workers = worker_count(spec.max_requests_per_second)
        connect = ConnectContacts(
            client_factory(spec.region, workers),
            spec.instance_id,
            ApiPacers(spec.max_requests_per_second),
            Deadline(self.invocation_seconds),
        )
        # stop starting contacts early enough for those in flight to finish: each makes at most one call to
        # each API, so the busiest API has at most `workers` calls left
        drain = min(self.invocation_seconds * 0.25, workers / (spec.max_requests_per_second * RATE_HEADROOM) + 1.0)
        complete = reconcile_contacts(
            self.relevant_works(),
            connect,
            spec.mode,
            spec.removal_policy,
            workers,
            report=self.checkpoint.report,
            progress=self.checkpoint.progress,
            stop_starting=Deadline(self.invocation_seconds - drain),
        )
        report = self.checkpoint.report
        logger.info(
            "instance %s, invocation %d: %s; so far %d updated, %d unchanged, %d missing, %d failed, "
            "%d expiry skipped; this invocation %d Connect calls, %d throttled, %d server errors",
            spec.instance_id,
            self.checkpoint.invocation,
            "finished" if complete else "handing off",
            report.updated,
            report.unchanged,
            report.missing,
            report.failed,
            report.expiry_skipped,
            connect.counts.calls,
            connect.counts.throttled,
            connect.counts.server_errors,
        )
        if complete and report.missing_ids:
            logger.info("missing contacts (first %d): %s", len(report.missing_ids), report.missing_ids)
        if complete:
            for contact_id, reason in report.failures:
                logger.warning("contact %s failed: %s", contact_id, reason)
        return complete

    def hand_off(self, physical_id: str) -> HandOff:
        self.checkpoint.invocation += 1
        return HandOff(physical_id, self.checkpoint)

    def data(self, old_selection_unavailable: bool) -> dict[str, str]:
        data = response_data(self.checkpoint.report)
        if old_selection_unavailable or self.checkpoint.old_selection_unavailable:
            self.checkpoint.old_selection_unavailable = True
            data[Result.OLD_SELECTION_UNAVAILABLE] = "true"
        return data


def create_or_update(
    request: LifecycleRequest,
    time_available: InvocationTime,
    client_factory: ClientFactory,
    s3_client: S3ClientFactory,
    on_physical_id: Callable[[str], None],
    *,
    checkpoint: Checkpoint | None = None,
) -> LifecycleResult | HandOff:
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
    selections = Selections(s3_client)

    def make_works() -> Iterator[ContactWork]:
        if same_target and old_spec is not None:
            return works_for_update(old_spec, spec, selections)
        return works_for_create(spec, selections)

    operation = _Operation(spec, make_works, time_available, checkpoint)
    if operation.is_first_invocation:
        logger.info(
            "%s on instance %s (%s): keys %s, expiry %s, mode %s, removal %s, budget %g/s",
            request.request_type if same_target or request.request_type == "Create" else "Replacement",
            spec.instance_id,
            spec.region,
            sorted(spec.attributes),
            spec.expiry_minutes,
            spec.mode.value,
            spec.removal_policy.value,
            spec.max_requests_per_second,
        )
    try:
        if operation.is_first_invocation and (problem := operation.estimate_problem()) is not None:
            raise ResourceFailed(problem)
        complete = operation.run(client_factory)
    except ContactFileUnavailable as error:
        raise ResourceFailed(f"cannot read the contact file {error}"[:256]) from None
    if not complete:
        if not operation.service_timeout_binds:
            return operation.hand_off(physical_id)
        raise ResourceFailed(
            f"not finished within the ServiceTimeout of {spec.service_timeout_seconds} s "
            f"({operation.checkpoint.report.total} contacts done); raise max_requests_per_second or split the selection"
        )
    reason = failure_reason(operation.checkpoint.report, spec.missing_contacts)
    if reason is not None:
        raise ResourceFailed(reason)
    return LifecycleResult(physical_id, operation.data(selections.old_selection_unavailable))


def delete(
    request: LifecycleRequest,
    time_available: InvocationTime,
    client_factory: ClientFactory,
    s3_client: S3ClientFactory,
    *,
    checkpoint: Checkpoint | None = None,
) -> LifecycleResult | HandOff:
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
    selections = Selections(s3_client)
    operation = _Operation(spec, lambda: works_for_delete(spec, selections), time_available, checkpoint)
    try:
        if operation.is_first_invocation:
            problem = operation.estimate_problem()
            if problem is not None:
                logger.warning("Delete leaves values in place so the stack is not stuck: %s", problem)
                return LifecycleResult(physical_id, {})
        if not operation.run(client_factory):
            if not operation.service_timeout_binds:
                return operation.hand_off(physical_id)
            logger.warning("Delete stopped at the ServiceTimeout; the remaining values are left in place")
    except ContactFileUnavailable:
        logger.warning("Delete: the contact file cannot be read; values left in place")
        return LifecycleResult(physical_id, {})
    report = operation.checkpoint.report
    if report.failed:
        logger.warning("Delete could not clear %d contacts; answering SUCCESS so the stack is not stuck", report.failed)
    return LifecycleResult(physical_id, response_data(report))
