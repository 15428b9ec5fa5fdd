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

Every invocation first takes the resource's lease (resource_lease): a duplicate delivery stops with
no call and no response; a later operation on the resource supersedes an earlier one still at work,
which stops before its next Connect call and answers FAILED (CloudFormation ignores it), and the later
one makes its first Connect call only once the earlier chain has stopped. A value is never cleared
where another resource of the stack declares it for that contact (declarations).
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
    SEARCH_CONTACTS_RATE,
    Result,
    RuleViolation,
    ValueRemovalPolicy,
    contacts_within,
    estimated_seconds,
    service_timeout_margin_seconds,
)

from .checkpoint import Checkpoint
from .connect_contacts import ConnectCallFailed, ConnectContacts, InstanceNotFound
from .contact_plan import ContactWork, needs_calls
from .contact_search import SearchOperation, SearchPlan, SearchTotals, operation_time
from .contact_source import ContactFileUnavailable, S3ClientFactory
from .contact_works import Selections, works_for_create, works_for_delete, works_for_update
from .declarations import OtherDeclarations, record_declaration, remove_declaration
from .progress_record import ProgressState
from .progress_reporter import ProgressReporter
from .reconcile import KeptValues, reconcile_contacts, worker_count
from .request_pacer import ApiPacers, Deadline, OutOfTime
from .resource_lease import HEARTBEAT_SECONDS, Claim, LeaseLost, ResourceLease, Superseded, lease_exists
from .resource_spec import ResourceSpec, is_own_physical_id, parse_resource_spec
from .response_summary import failure_reason, response_data, tolerated_failures_warning

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str, int], Any]
"""(region, max concurrent calls) -> a boto3 `connect` client."""


class ResourceFailed(Exception):
    """The resource failed; the message is the Reason for CloudFormation (at most 256 characters)."""


@dataclass(frozen=True)
class StateTable:
    """The stack's DynamoDB table of leases and declarations, and a client for it."""

    client: Any
    name: str
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    """How often a holder proves in the table that it is alive (resource_lease)."""


@dataclass(frozen=True)
class AwsClients:
    """The AWS clients an operation uses: Connect (per Region and concurrency), S3 (contact files), the state table."""

    connect: ClientFactory
    s3: S3ClientFactory
    state: StateTable


@dataclass(frozen=True)
class LifecycleRequest:
    request_id: str
    """The CloudFormation RequestId: one operation, whatever the number of its invocations and deliveries."""
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
    lambda_seconds: float | None = None
    """How long until Lambda ends this invocation (default: seconds): after that it cannot be at work."""

    @property
    def until(self) -> float:
        """Epoch seconds after which this invocation is certainly no longer at work."""
        return self.now + (self.lambda_seconds if self.lambda_seconds is not None else self.seconds) + 1.0


@dataclass(frozen=True)
class LifecycleResult:
    physical_id: str
    data: dict[str, str]


@dataclass(frozen=True)
class Duplicate:
    """Another delivery of this invocation holds (or held) the resource's lease: no Connect call, no response."""

    physical_id: str


@dataclass(frozen=True)
class HeldOperation:
    """One invocation of an operation that holds its resource's lease: what its Create/Update or Delete runs on."""

    request: LifecycleRequest
    spec: ResourceSpec
    physical_id: str
    time_available: InvocationTime
    clients: AwsClients
    lease: ResourceLease
    checkpoint: Checkpoint | None
    reporter: ProgressReporter = field(init=False)
    """The progress record the lease's heartbeat writes (the operation fills it as it goes)."""

    def __post_init__(self) -> None:
        spec, request = self.spec, self.request
        reporter = ProgressReporter(
            operation=request.request_type,
            request_id=request.request_id,
            stack_id=request.stack_id,
            logical_id=request.logical_id,
            shard=(spec.shard.index, spec.shard.count) if spec.shard else None,
        )
        object.__setattr__(self, "reporter", reporter)
        self.lease.progress = reporter.item


SUPERSEDED = "superseded by a later operation on this resource, which reconciles what this one wrote"


@dataclass(frozen=True)
class HandOff:
    """Not finished: continue in a fresh invocation from this checkpoint; send no response now."""

    physical_id: str
    checkpoint: Checkpoint


class _Operation:
    """One Create, Update or Delete: its ordered works, its deadlines, and the reconcile over one invocation."""

    def __init__(
        self,
        spec: ResourceSpec,
        make_works: Callable[[], Iterator[ContactWork]],
        time_available: InvocationTime,
        checkpoint: Checkpoint | None,
        *,
        started_at: float | None = None,
        reporter: ProgressReporter | None = None,
    ) -> None:
        """started_at: when the operation's first invocation started, where no checkpoint says it (the lease's
        record, for Lambda's retry of a first invocation that died)."""
        self.spec = spec
        self.make_works = make_works
        self.checkpoint = checkpoint or Checkpoint(started_at=started_at or time_available.now)
        if reporter is not None:
            reporter.checkpoint = self.checkpoint
            reporter.throttled = lambda: self._connect.counts.throttled if self._connect is not None else 0
        self.is_first_invocation = checkpoint is None
        self.time_available = time_available
        margin = service_timeout_margin_seconds(spec.service_timeout_seconds)
        self.service_seconds_left = (
            self.checkpoint.started_at + spec.service_timeout_seconds - margin - time_available.now
        )
        self.invocation_seconds = min(time_available.seconds, self.service_seconds_left)
        self.service_timeout_binds = self.service_seconds_left <= time_available.seconds
        self._connect: ConnectContacts | None = None
        self.search: SearchOperation | None = None
        """Set when the selection is (or was) a search: it yields the works and keeps the continuation."""

    def relevant_works(self) -> Iterator[ContactWork]:
        removal = self.spec.removal_policy
        return (work for work in self.make_works() if needs_calls(work, removal))

    def estimate_problem(self) -> str | None:
        """Why the operation cannot finish within the ServiceTimeout at the budget, or None if it can.

        The estimate is connect_contact_rules.contacts_within, the one the construct shards selections by.
        """
        contacts = sum(1 for _ in self.relevant_works())
        self.checkpoint.total = contacts
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

    def search_totals(self, search_plan: SearchPlan, connect: ConnectContacts) -> SearchTotals:
        """The search's counts before any write; their sum is the progress record's total (at most)."""
        totals = search_plan.totals(connect)
        self.checkpoint.total = totals.selected + totals.leaving_at_most
        return totals

    def seconds_left(self) -> float:
        return self.invocation_seconds - (time.time() - self.time_available.now)

    def connect(self, client_factory: ClientFactory, lease: ResourceLease) -> ConnectContacts:
        """This invocation's Connect calls (per-API budgets, SearchContacts at most at its quota), created once."""
        if self._connect is None:
            spec = self.spec
            self._connect = ConnectContacts(
                client_factory(spec.region, worker_count(spec.max_requests_per_second)),
                spec.instance_id,
                ApiPacers(spec.max_requests_per_second, {"search_contacts": SEARCH_CONTACTS_RATE}),
                Deadline(self.seconds_left()),
                before_call=lease.check,
            )
        return self._connect

    def run(self, client_factory: ClientFactory, lease: ResourceLease, kept: KeptValues) -> bool:
        """Reconciles until done, this invocation's time is up or the lease is lost; whether every contact is done."""
        spec = self.spec
        workers = worker_count(spec.max_requests_per_second)
        seconds = self.seconds_left()
        connect = self.connect(client_factory, lease)
        # stop starting contacts early enough for those in flight to finish: each makes at most one call to
        # each API, so the busiest API has at most `workers` calls left
        drain = min(seconds * 0.25, workers / (spec.max_requests_per_second * RATE_HEADROOM) + 1.0)
        complete = reconcile_contacts(
            self.relevant_works(),
            connect,
            spec.mode,
            spec.removal_policy,
            workers,
            report=self.checkpoint.report,
            progress=self.checkpoint.progress,
            stop_starting=Deadline(seconds - drain),
            stopped=lambda: lease.superseded or lease.lost,
            kept=kept,
        )
        if self.search is not None and self.search.interrupted:
            complete = False  # the listing stopped at this invocation's deadline
        report = self.checkpoint.report
        logger.info(
            "instance %s, invocation %d: %s; so far %d updated, %d unchanged, %d missing, %d failed, "
            "%d expiry skipped; this invocation %d Connect calls, %d throttled, %d server errors",
            spec.instance_id,
            self.checkpoint.invocation,
            "finished" if complete else "superseded" if lease.superseded else "handing off",
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
        if self.search is not None:
            self.search.save(self.checkpoint)
        if self._connect is not None:
            self.checkpoint.throttled += self._connect.counts.throttled
        self.checkpoint.invocation += 1
        return HandOff(physical_id, self.checkpoint)

    def data(self, old_selection_unavailable: bool) -> dict[str, str]:
        data = response_data(self.checkpoint.report)
        if old_selection_unavailable or self.checkpoint.old_selection_unavailable:
            self.checkpoint.old_selection_unavailable = True
            data[Result.OLD_SELECTION_UNAVAILABLE] = "true"
        return data


def _lease(state: StateTable, request: LifecycleRequest, checkpoint: Checkpoint | None) -> ResourceLease:
    invocation = checkpoint.invocation if checkpoint is not None else 1
    return ResourceLease(
        state.client,
        state.name,
        request.logical_id,
        request.request_id,
        invocation,
        heartbeat_seconds=state.heartbeat_seconds,
    )


def _record_end(held: HeldOperation, state: ProgressState) -> None:
    """The last progress record (done or failed), written while this chain still holds the lease."""
    item = held.reporter.end(state)
    if item is None:
        return
    held.lease.progress = lambda: item
    try:
        held.lease.beat()
    except Superseded:
        pass
    except Exception as error:  # the record is for operators; the response does not depend on it
        logger.warning("could not write the last progress record (%s)", type(error).__name__)


def _raise_if_lost(lease: ResourceLease) -> None:
    """A holder that could not keep its heartbeat ends without an answer: Lambda's retry takes over."""
    if lease.lost:
        raise LeaseLost("the lease's heartbeat could not be written; ending so that Lambda's retry takes over")


def _claim(lease: ResourceLease, checkpoint: Checkpoint | None, time_available: InvocationTime) -> Claim:
    claim = lease.acquire(time_available.until) if checkpoint is None else lease.claim(time_available.until)
    if claim is Claim.DUPLICATE:
        logger.info(
            "invocation %d of this operation is already at work (a second delivery): stopping", lease.invocation
        )
    return claim


def _wait_for_earlier_chains(operation: _Operation, lease: ResourceLease) -> bool:
    """Whether every earlier chain of this resource has stopped (so this one may call Connect now)."""
    return lease.wait_for_others(max(0.0, operation.seconds_left() - 1.0))


def create_or_update(
    request: LifecycleRequest,
    time_available: InvocationTime,
    clients: AwsClients,
    on_physical_id: Callable[[str], None],
    *,
    checkpoint: Checkpoint | None = None,
) -> LifecycleResult | HandOff | Duplicate:
    """Applies the declaration; raises ResourceFailed (after on_physical_id) if any contact failed, and
    LeaseLost if this invocation must end without an answer so that Lambda's retry takes over."""
    spec = parse_resource_spec(request.properties, request.default_region)
    physical_id = spec.physical_id(request.stack_id, request.logical_id)
    on_physical_id(physical_id)  # a failed Create must still answer with our ID, so its Delete is recognised
    lease = _lease(clients.state, request, checkpoint)
    claim = _claim(lease, checkpoint, time_available)
    if claim is Claim.DUPLICATE:
        return Duplicate(physical_id)
    with lease:
        if claim is Claim.SUPERSEDED:
            raise ResourceFailed(SUPERSEDED)
        if checkpoint is None:
            record_declaration(
                clients.state.client, clients.state.name, request.logical_id, physical_id, request.properties
            )
        try:
            held = HeldOperation(request, spec, physical_id, time_available, clients, lease, checkpoint)
            try:
                outcome = _create_or_update(held)
            except ResourceFailed:
                _record_end(held, ProgressState.FAILED)
                raise
            if isinstance(outcome, LifecycleResult):
                _record_end(held, ProgressState.DONE)
            return outcome
        except LeaseLost:
            raise
        except Superseded:
            raise ResourceFailed(SUPERSEDED) from None


def _create_or_update(held: HeldOperation) -> LifecycleResult | HandOff:
    request, spec, physical_id, clients, lease = (held.request, held.spec, held.physical_id, held.clients, held.lease)
    time_available, checkpoint = held.time_available, held.checkpoint
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
    selections = Selections(clients.s3)

    def make_works() -> Iterator[ContactWork]:
        if operation.search is not None:
            return operation.search.works()
        if same_target and old_spec is not None:
            return works_for_update(old_spec, spec, selections)
        return works_for_create(spec, selections)

    operation = _Operation(
        spec, make_works, time_available, checkpoint, started_at=lease.started_at, reporter=held.reporter
    )
    search_plan = _search_plan(spec, old_spec if same_target else None, operation, selections, deleting=False)
    if operation.is_first_invocation:
        logger.info(
            "%s on instance %s (%s): keys %s, expiry %s, mode %s, removal %s, budget %g/s per API%s",
            request.request_type if same_target or request.request_type == "Create" else "Replacement",
            spec.instance_id,
            spec.region,
            sorted(spec.attributes),
            spec.expiry_minutes,
            spec.mode.value,
            spec.removal_policy.value,
            spec.max_requests_per_second,
            f", shard {spec.shard.index + 1} of {spec.shard.count}" if spec.shard else "",
        )
    if not _wait_for_earlier_chains(operation, lease):
        return _hand_on(operation, lease, physical_id, "an earlier operation on this resource is still at work")
    kept = OtherDeclarations(  # previous: the shard a contact that left the file was in
        clients.state.client,
        clients.state.name,
        request.logical_id,
        spec,
        clients.s3,
        previous=old_spec if same_target else None,
    ).kept
    try:
        connect = operation.connect(clients.connect, lease)
        if search_plan is not None:
            operation.search = search_plan.operation(connect, operation.checkpoint)
        if not operation.checkpoint.estimated:
            # Before any write: the instance exists in this Region (a search's first call tells it too).
            if search_plan is not None:
                problem = search_plan.problem(operation.search_totals(search_plan, connect))
            elif (problem := operation.estimate_problem()) is None:
                _probe_instance(connect)
            if problem is not None:
                raise ResourceFailed(problem)
            operation.checkpoint.estimated = True
        complete = operation.run(clients.connect, lease, kept)
    except ContactFileUnavailable as error:
        raise ResourceFailed(f"cannot read the contact file {error}"[:256]) from None
    except InstanceNotFound:
        raise ResourceFailed(instance_not_found_reason(spec)) from None
    except ConnectCallFailed as error:  # SearchContacts failed for good (a contact's own failure never gets here)
        done = operation.checkpoint.report.total
        raise ResourceFailed(f"{error}; {done} contacts were done before; deploy again to go on"[:256]) from None
    _raise_if_lost(lease)
    if lease.superseded:
        logger.warning("%s: stopped after %d contacts", SUPERSEDED, operation.checkpoint.report.total)
        raise ResourceFailed(SUPERSEDED)
    if not complete:
        return _hand_on(operation, lease, physical_id, "not finished")
    reason = failure_reason(operation.checkpoint.report, spec.missing_contacts, spec.max_failed_contacts)
    if reason is not None:
        raise ResourceFailed(reason)
    if (warning := tolerated_failures_warning(operation.checkpoint.report, spec.max_failed_contacts)) is not None:
        logger.warning("WARNING: %s", warning)
    return LifecycleResult(physical_id, operation.data(selections.old_selection_unavailable))


def _search_plan(
    spec: ResourceSpec,
    previous: ResourceSpec | None,
    operation: _Operation,
    selections: Selections,
    *,
    deleting: bool,
) -> SearchPlan | None:
    """The search side of an operation whose selection is (or was) a search; None for IDs and files only."""
    if not SearchPlan.involves_search(spec, previous):
        return None
    return SearchPlan(
        spec,
        previous,
        deleting=deleting,
        now=operation_time(operation.checkpoint),
        ids=selections.ids,
        old_ids=selections.old_ids,
    )


def instance_not_found_reason(spec: ResourceSpec) -> str:
    return (
        f"Amazon Connect instance {spec.instance_id} was not found in {spec.region} (Connect answered "
        "ResourceNotFoundException): check instance_id or instance_arn and its Region; nothing was written"
    )[:256]


def _probe_instance(connect: ConnectContacts) -> None:
    """One DescribeInstanceAttribute call before any write; only ResourceNotFoundException is decisive (raises
    InstanceNotFound): anything else (AccessDenied, say) is logged and the operation goes on."""
    try:
        connect.probe_instance()
    except (ConnectCallFailed, OutOfTime) as error:
        logger.warning("instance probe inconclusive (%s); going on", error)


def _hand_on(operation: _Operation, lease: ResourceLease, physical_id: str, why: str) -> HandOff:
    """Continues in a fresh invocation, or fails if the ServiceTimeout leaves no room for one."""
    spec = operation.spec
    if operation.service_timeout_binds:
        raise ResourceFailed(
            f"{why} at the end of the ServiceTimeout of {spec.service_timeout_seconds} s "
            f"({operation.checkpoint.report.total} contacts done); raise max_requests_per_second or split the selection"
        )
    if not lease.hand_off():
        raise Superseded(SUPERSEDED)
    return operation.hand_off(physical_id)


def delete(
    request: LifecycleRequest,
    time_available: InvocationTime,
    clients: AwsClients,
    *,
    checkpoint: Checkpoint | None = None,
) -> LifecycleResult | HandOff | Duplicate:
    """Undoes what the resource declared (under DESTROY); always answers SUCCESS so a stack is never stuck."""
    physical_id = request.physical_id or ""
    try:
        spec = parse_resource_spec(request.properties, request.default_region)
    except RuleViolation as error:
        logger.warning("Delete with invalid properties (%s): nothing to undo", error.field)
        return LifecycleResult(physical_id, {})
    if checkpoint is None and not is_own_physical_id(physical_id, spec):
        if not lease_exists(clients.state.client, clients.state.name, request.logical_id):
            logger.info(
                "Delete of a physical ID this handler did not issue, for a Create that never started: nothing to undo"
            )
            return LifecycleResult(physical_id, {})
        logger.info("Delete of a physical ID this handler did not issue, for a Create that started: undoing it")
    lease = _lease(clients.state, request, checkpoint)
    claim = _claim(lease, checkpoint, time_available)
    if claim is Claim.DUPLICATE:
        return Duplicate(physical_id)
    with lease:
        if claim is Claim.SUPERSEDED:
            logger.warning("Delete %s; answering SUCCESS", SUPERSEDED)
            return LifecycleResult(physical_id, {})
        try:
            held = HeldOperation(request, spec, physical_id, time_available, clients, lease, checkpoint)
            outcome = _delete(held)
        except LeaseLost:
            raise
        except Superseded:
            logger.warning("Delete %s; answering SUCCESS", SUPERSEDED)
            return LifecycleResult(physical_id, {})
        if isinstance(outcome, LifecycleResult):
            _record_end(held, ProgressState.DONE)
            own_physical_id = spec.physical_id(request.stack_id, request.logical_id)
            if remove_declaration(clients.state.client, clients.state.name, request.logical_id, own_physical_id):
                lease.delete()  # the resource is gone (not only a replaced resource's old physical ID)
        return outcome


def _delete(held: HeldOperation) -> LifecycleResult | HandOff:
    request, spec, physical_id, clients, lease = (held.request, held.spec, held.physical_id, held.clients, held.lease)
    time_available, checkpoint = held.time_available, held.checkpoint
    selections = Selections(clients.s3)

    def make_works() -> Iterator[ContactWork]:
        if operation.search is not None:  # the query as deployed, run again
            return operation.search.works()
        return works_for_delete(spec, selections)

    operation = _Operation(
        spec, make_works, time_available, checkpoint, started_at=lease.started_at, reporter=held.reporter
    )
    if not _wait_for_earlier_chains(operation, lease):
        if operation.service_timeout_binds:
            logger.warning("Delete: an earlier operation is still at work at the end of the ServiceTimeout")
            return LifecycleResult(physical_id, {})
        return _hand_on(operation, lease, physical_id, "an earlier operation on this resource is still at work")
    if spec.removal_policy is ValueRemovalPolicy.RETAIN:
        logger.info("Delete with RETAIN on instance %s: values left in place", spec.instance_id)
        return LifecycleResult(physical_id, {})
    kept = OtherDeclarations(clients.state.client, clients.state.name, request.logical_id, spec, clients.s3).kept
    try:
        search_plan = _search_plan(spec, None, operation, selections, deleting=True)
        if search_plan is not None:
            operation.search = search_plan.operation(operation.connect(clients.connect, lease), operation.checkpoint)
        if not operation.checkpoint.estimated:
            if search_plan is not None:
                problem = search_plan.problem(
                    operation.search_totals(search_plan, operation.connect(clients.connect, lease))
                )
            else:
                problem = operation.estimate_problem()
            if problem is not None:
                logger.warning("Delete leaves values in place so the stack is not stuck: %s", problem)
                return LifecycleResult(physical_id, {})
            operation.checkpoint.estimated = True
        complete = operation.run(clients.connect, lease, kept)
    except ContactFileUnavailable as error:
        logger.warning("Delete: the contact file %s cannot be read; values left in place", error)
        return LifecycleResult(physical_id, {})
    except InstanceNotFound:
        logger.warning("Delete: instance %s is not found in %s; nothing to clear", spec.instance_id, spec.region)
        return LifecycleResult(physical_id, {})
    except ConnectCallFailed as error:
        logger.warning("Delete: %s; the remaining values are left in place", error)
        return LifecycleResult(physical_id, response_data(operation.checkpoint.report))
    _raise_if_lost(lease)
    if lease.superseded:
        raise Superseded(SUPERSEDED)
    if not complete:
        if not operation.service_timeout_binds:
            return _hand_on(operation, lease, physical_id, "not finished")
        logger.warning("Delete stopped at the ServiceTimeout; the remaining values are left in place")
    report = operation.checkpoint.report
    if report.failed:
        logger.warning(
            "Delete could not clear %d contacts (first: %s); answering SUCCESS so the stack is not stuck",
            report.failed,
            [contact_id for contact_id, _ in report.failures],
        )
    return LifecycleResult(physical_id, response_data(report))
