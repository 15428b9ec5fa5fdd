"""What one deployment does to the contacts of each ContactDefaults: the operation CloudFormation will send
its custom resource, and, per contact, what the handler would write.

The operation follows CloudFormation and the handler (contact_reconciler.lifecycle): a resource only in
the assembly is a Create; one only in the deployed template a Delete; one whose properties changed an
Update, or a replacement when its instance or Region changed (the new one is created, then the old one
deleted); unchanged properties mean CloudFormation does not call the handler at all. The contacts each
operation touches come from lifecycle's own works_for_create/update/delete (a search's from
contact_search.SearchPlan, run read-only), and each contact is planned by planned_changes (the handler's
read+plan step) over a read-only Connect client.
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from connect_contact_rules import (
    RATE_HEADROOM,
    SEARCH_CONTACTS_RATE,
    Prop,
    RuleViolation,
    ValueRemovalPolicy,
    contacts_within,
    estimated_seconds,
)
from contact_reconciler.checkpoint import Checkpoint
from contact_reconciler.connect_contacts import (
    UNREACHABLE_CODE,
    ConnectCallFailed,
    ConnectUnreachable,
    InstanceNotFound,
)
from contact_reconciler.contact_plan import ContactWork, needs_calls
from contact_reconciler.contact_search import SearchPlan, operation_time
from contact_reconciler.contact_source import ContactFileUnavailable
from contact_reconciler.contact_works import Selections, works_for_create, works_for_delete, works_for_update
from contact_reconciler.lifecycle import instance_not_found_reason
from contact_reconciler.progress_record import duration_text
from contact_reconciler.reconcile import Outcome, ReconcileReport, worker_count
from contact_reconciler.resource_spec import ResourceSpec, parse_resource_spec
from contact_reconciler.response_summary import failure_reason

from .aws_clients import AwsClients
from .cloud_assembly import ContactDefaultsResource
from .command_errors import ACCESS_DENIED_CODES, PlanError, access_denied, aws_call_failed, unreachable
from .contact_files import AssemblyFirstS3
from .planned_changes import LiveValues, PlannedContact, planned_contact, read_only_contacts
from .sample_estimate import SAMPLED_COUNTS, Estimate, extrapolate, sample_positions
from .template_values import StackEnvironment, Unresolvable, resolve, string_properties

FIRST_CONTACTS = 10
"""Contact IDs listed per resource (the first to be written, in the handler's order)."""
SERVICE_TOKEN = "ServiceToken"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NONE = "none"


@dataclass(frozen=True)
class Phase:
    """One event the handler will receive for the resource, and the contacts it works on."""

    event: str
    """Create, Update, Delete, or Redeploy (drift: an Update whose old and new properties are the same)."""
    spec: ResourceSpec
    works: Callable[[Selections], Iterator[ContactWork]]
    previous: ResourceSpec | None = None
    """The deployed declaration an Update (or Redeploy) reconciles from: a search's contacts that leave it."""
    deleting: bool = False


@dataclass
class ResourcePlan:
    path: str
    logical_id: str
    action: Action
    write: int = 0
    unchanged: int = 0
    missing: int = 0
    would_fail: int = 0
    expiry_skipped: int = 0
    expiry_set: int = 0
    keys_set: Counter[str] = field(default_factory=Counter)
    keys_clear: Counter[str] = field(default_factory=Counter)
    first_contacts: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(contact ID, reason) of the first contacts that would fail."""
    missing_ids: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    """What each event works on: instance, Region, contacts read and the budget, for the text report."""
    fails: str | None = None
    """The deployment of this resource would fail: why (the Reason CloudFormation would show, where known)."""
    unknown: str | None = None
    """What the plan could not tell, and why."""
    notes: list[str] = field(default_factory=list)
    values: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """--show-values only: first contacts -> key -> (value now, value to write)."""
    sampled: list[tuple[int, int]] = field(default_factory=list)
    """--sample: (contacts read, contacts of the selection) per event; the counts are then estimates."""
    estimates: dict[str, Estimate] = field(default_factory=dict)
    """--sample: count name (write, unchanged, missing, would_fail, expiry_set) -> its estimate and 95% interval."""

    @property
    def has_changes(self) -> bool:
        return (
            self.action is not Action.NONE
            or bool(self.write or self.would_fail or self.expiry_set)
            or self.fails is not None
            or self.unknown is not None
        )


def coarse_action(new: ContactDefaultsResource | None, old: ContactDefaultsResource | None) -> Action:
    """The action as far as the templates alone tell (an update may still turn out to be a replacement)."""
    if old is None:
        return Action.CREATE
    if new is None:
        return Action.DELETE
    return Action.NONE if dict(old.properties) == dict(new.properties) else Action.UPDATE


def _resolved_spec(resource: ContactDefaultsResource, environment: StackEnvironment) -> ResourceSpec:
    """The properties as the handler receives them (intrinsics resolved, scalars as strings), parsed."""
    properties = {key: value for key, value in resource.properties.items() if key != SERVICE_TOKEN}
    return parse_resource_spec(string_properties(resolve(properties, environment)), environment.region)


def plan_phases(
    new: ContactDefaultsResource | None,
    old: ContactDefaultsResource | None,
    new_environment: StackEnvironment,
    old_environment: StackEnvironment,
) -> tuple[Action, list[Phase], str | None]:
    """The operation CloudFormation sends for one logical ID, as (action, events, why it would fail or None).

    Raises Unresolvable when a property cannot be known before deployment.
    """
    if coarse_action(new, old) is Action.NONE:
        return Action.NONE, [], None  # CloudFormation does not call the handler
    if new is None and old is not None and old.properties.get(Prop.REMOVAL_POLICY) == ValueRemovalPolicy.RETAIN.value:
        return Action.DELETE, [], None  # the handler makes no Connect call
    old_spec: ResourceSpec | None = None
    if old is not None:
        try:
            old_spec = _resolved_spec(old, old_environment)
        except RuleViolation:
            old_spec = None  # the handler treats invalid old properties as absent (Update -> Create, Delete -> nothing)
    if new is None:
        if old_spec is None or old_spec.removal_policy is ValueRemovalPolicy.RETAIN:
            return Action.DELETE, [], None  # the handler makes no Connect call
        spec = old_spec
        return (
            Action.DELETE,
            [Phase("Delete", spec, lambda selections: works_for_delete(spec, selections), deleting=True)],
            None,
        )
    try:
        new_spec = _resolved_spec(new, new_environment)
    except RuleViolation as violation:
        action = Action.CREATE if old is None else Action.UPDATE
        return action, [], f"invalid property {violation}"
    create = Phase("Create", new_spec, lambda selections: works_for_create(new_spec, selections))
    if old is None:
        return Action.CREATE, [create], None
    if old_spec is None:
        return Action.UPDATE, [create], None
    if (old_spec.instance_id, old_spec.region) == (new_spec.instance_id, new_spec.region):
        previous = old_spec
        update = Phase(
            "Update", new_spec, lambda selections: works_for_update(previous, new_spec, selections), previous
        )
        return Action.UPDATE, [update], None
    phases = [create]
    if old_spec.removal_policy is ValueRemovalPolicy.DESTROY:
        gone = old_spec
        phases.append(Phase("Delete", gone, lambda selections: works_for_delete(gone, selections), deleting=True))
    return Action.REPLACE, phases, None


def drift_phases(deployed: ContactDefaultsResource, environment: StackEnvironment) -> list[Phase]:
    """A redeploy of the deployed declaration: an Update whose old and new properties are the same."""
    spec = _resolved_spec(deployed, environment)
    return [Phase("Redeploy", spec, lambda selections: works_for_update(spec, spec, selections), spec)]


COUNTS = ("write", "unchanged", "missing", "would_fail", "expiry_set", "expiry_skipped")
assert len(COUNTS) == SAMPLED_COUNTS  # the intervals are simultaneous over these counts


def _add_counts(plan: ResourcePlan, counted: ResourcePlan, read: int, population: int) -> None:
    """Adds one event's counts to the plan: as read, or (a sample) extrapolated to the selection, with intervals."""
    plan.first_contacts.extend(counted.first_contacts[: FIRST_CONTACTS - len(plan.first_contacts)])
    plan.values.update(counted.values)
    if read == population:
        for name in COUNTS:
            setattr(plan, name, getattr(plan, name) + getattr(counted, name))
        plan.keys_set.update(counted.keys_set)
        plan.keys_clear.update(counted.keys_clear)
        return
    plan.sampled.append((read, population))
    for name in COUNTS:
        estimate = extrapolate(getattr(counted, name), read, population)
        setattr(plan, name, getattr(plan, name) + estimate.value)
        before = plan.estimates.get(name, Estimate(0, 0, 0))
        plan.estimates[name] = Estimate(
            before.value + estimate.value, before.low + estimate.low, before.high + estimate.high
        )
    for mine, theirs in ((plan.keys_set, counted.keys_set), (plan.keys_clear, counted.keys_clear)):
        for key, count in theirs.items():
            mine[key] += extrapolate(count, read, population).value


def _progress_bar() -> Progress:
    """The reading's progress bar on stderr, drawn only when stderr is a terminal (nothing in a pipe or a log)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TextColumn("contacts"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        disable=not sys.stderr.isatty(),
    )


class SearchRefused(Exception):
    """The handler would stop a search operation before any write: the Reason it would answer."""


def _aws_action(operation: str) -> str:
    return "connect:" + "".join(part.title() for part in operation.split("_"))


class ContactPlanner:
    """Plans the contacts of each phase: reads them (read-only, paced) and applies the handler's rules."""

    def __init__(
        self,
        clients: AwsClients,
        *,
        stack_region: str,
        file_assets: Mapping[str, Any],
        max_requests_per_second: float | None,
        show_values: bool,
        sample: int | None = None,
        sample_seed: int | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self._clients = clients
        self._stack_region = stack_region
        self._file_assets = file_assets
        self._rate = max_requests_per_second
        self._show_values = show_values
        self._sample = sample
        self._sample_seed = sample_seed
        self._announce = announce

    def plan(self, resource_plan: ResourcePlan, phases: list[Phase]) -> ResourcePlan:
        for phase in phases:
            self._plan_phase(resource_plan, phase)
        return resource_plan

    def _selections(self) -> Selections:
        region = self._stack_region
        return Selections(lambda: AssemblyFirstS3(self._file_assets, lambda: self._clients.s3(region)))

    def _works(self, phase: Phase, selections: Selections, rate: float) -> list[ContactWork]:
        spec = phase.spec
        try:
            if SearchPlan.involves_search(spec, phase.previous):
                return self._search_works(phase, selections, rate)
            return [work for work in phase.works(selections) if needs_calls(work, spec.removal_policy)]
        except ContactFileUnavailable as error:
            raise Unresolvable(
                f"the contact file {error} is neither in the assembly nor readable in S3; "
                "run the plan on the assembly `cdk deploy` will deploy"
            ) from None
        except RuleViolation as violation:
            raise Unresolvable(f"the contact file breaks a rule: {violation}") from None
        except (ClientError, BotoCoreError) as error:
            file = spec.contact_file.source if spec.contact_file else "the contact file"
            raise aws_call_failed("s3:GetObject", file, error) from None

    def _search_works(self, phase: Phase, selections: Selections, rate: float) -> list[ContactWork]:
        """The handler's search side (contact_search.SearchPlan) run read-only: its checks before any write, then
        the contacts it would list, now (a relative window ends when the plan runs)."""
        spec = phase.spec
        started = Checkpoint(started_at=time.time())
        search = SearchPlan(
            spec,
            phase.previous,
            deleting=phase.deleting,
            now=operation_time(started),
            ids=selections.ids,
            old_ids=selections.old_ids,
        )
        seconds = spec.service_timeout_seconds
        client = self._clients.connect(spec.region, 1)
        connect = read_only_contacts(client, spec.instance_id, rate, seconds, {"search_contacts": SEARCH_CONTACTS_RATE})
        try:
            problem = search.problem(search.totals(connect))
            if problem is not None:
                raise SearchRefused(problem)
            operation = search.operation(connect, started)
            works = list(operation.works())
        except InstanceNotFound:
            raise SearchRefused(instance_not_found_reason(spec)) from None
        except ConnectUnreachable as error:
            raise self._unreachable(error.endpoint, spec) from None
        except ConnectCallFailed as error:
            if error.code in ACCESS_DENIED_CODES:
                raise access_denied("connect:SearchContacts", f"instance {spec.instance_id} ({spec.region})") from None
            raise PlanError(f"the search of instance {spec.instance_id} ({spec.region}): {error}") from None
        if operation.interrupted:
            raise PlanError(
                f"Connect kept throttling (HTTP 429) or failing SearchContacts on instance {spec.instance_id} for "
                f"{seconds} s; retry later"
            )
        return works

    def _plan_phase(self, plan: ResourcePlan, phase: Phase) -> None:
        spec = phase.spec
        selections = self._selections()
        rate = self._rate or spec.max_requests_per_second
        try:
            works = self._works(phase, selections, rate)
        except SearchRefused as refused:  # the handler stops before any write (a Delete leaves the values)
            if phase.event == "Delete":
                plan.notes.append(f"{refused}: the handler's Delete leaves the values in place")
            else:
                plan.fails = str(refused)
            return
        if selections.old_selection_unavailable:
            plan.unknown = (
                "the deployed contact file cannot be read: planned as the handler does then (contacts only "
                "it held are left as they are, the others are taken to hold the deployed declaration)"
            )
        plan.targets.append(
            f"{phase.event}: instance {spec.instance_id} ({spec.region}), {len(works)} contacts to read "
            f"at {rate:g} requests/s"
        )
        if not works:
            return
        within = contacts_within(spec.max_requests_per_second, spec.service_timeout_seconds)
        if len(works) > within:  # the handler's estimate: it stops before any Connect call
            estimate = (
                f"{len(works)} contacts do not fit within the ServiceTimeout of {spec.service_timeout_seconds} s at "
                f"max_requests_per_second={spec.max_requests_per_second:g} (at most {within})"
            )
            if phase.event == "Delete":
                plan.notes.append(f"{estimate}: the handler's Delete leaves the values in place")
            else:
                plan.fails = f"{estimate}: the handler fails before writing anything"
            return
        population = len(works)
        if self._sample is not None and self._sample < population:
            works = [works[position] for position in sample_positions(population, self._sample, self._sample_seed)]
        if self._announce is not None:
            sampled = f" (a sample of {len(works):,} of {population:,})" if len(works) < population else ""
            self._announce(
                f"{plan.path} {phase.event}: reading {len(works):,} contacts{sampled} at {rate:g} requests/s, "
                f"about {duration_text(estimated_seconds(len(works), rate))}"
            )
        planned = self._read(works, spec, rate, f"{plan.path} {phase.event}")
        report = ReconcileReport()
        counted = ResourcePlan(plan.path, plan.logical_id, plan.action)
        for work, contact in zip(works, planned, strict=True):
            report.add(contact.result)
            self._count(counted, work, contact)
        _add_counts(plan, counted, len(works), population)
        plan.failures.extend(report.failures[: FIRST_CONTACTS - len(plan.failures)])
        plan.missing_ids.extend(report.missing_ids[: FIRST_CONTACTS - len(plan.missing_ids)])
        if phase.event != "Delete" and plan.fails is None:  # a Delete always answers SUCCESS
            if len(works) == population:
                plan.fails = failure_reason(report, spec.missing_contacts, spec.max_failed_contacts)
            else:
                failed = extrapolate(report.failed, len(works), population).value
                reason = failure_reason(
                    report, spec.missing_contacts, spec.max_failed_contacts if failed <= spec.max_failed_contacts else 0
                )
                if reason is not None:
                    plan.fails = f"estimated from a sample of {len(works):,} of {population:,} contacts: {reason}"

    def _count(self, plan: ResourcePlan, work: ContactWork, contact: PlannedContact) -> None:
        outcome = contact.result.outcome
        plan.expiry_skipped += contact.result.expiry_skipped
        if outcome is Outcome.MISSING:
            plan.missing += 1
        elif outcome is Outcome.FAILED:
            plan.would_fail += 1
        elif outcome is Outcome.UNCHANGED:
            plan.unchanged += 1
        else:
            plan.write += 1
            plan.expiry_set += contact.sets_expiry
            for key, value in contact.attributes.items():
                (plan.keys_set if value != "" else plan.keys_clear)[key] += 1
            if len(plan.first_contacts) < FIRST_CONTACTS:
                plan.first_contacts.append(work.contact_id)
                if self._show_values:
                    plan.values[work.contact_id] = {
                        key: (contact.live.get(key, ""), value) for key, value in sorted(contact.attributes.items())
                    }

    def _read(self, works: list[ContactWork], spec: ResourceSpec, rate: float, label: str) -> list[PlannedContact]:
        """Plans every contact with at most worker_count(rate) in flight; the pacer, not the pool, sets the rate."""
        workers = worker_count(rate)
        seconds = 2 * len(works) / (rate * RATE_HEADROOM) + 300  # each API read once a contact; room for retries
        connect = read_only_contacts(self._clients.connect(spec.region, workers), spec.instance_id, rate, seconds)
        live_values = LiveValues(connect) if self._show_values else None
        results: list[PlannedContact | None] = [None] * len(works)
        in_flight: dict[Future[PlannedContact], int] = {}
        bar = _progress_bar()
        task = bar.add_task(label, total=len(works))

        def collect(done: set[Future[PlannedContact]]) -> None:
            for future in done:
                position = in_flight.pop(future)
                try:
                    contact = future.result()
                except BotoCoreError as error:  # no credentials, no Region, an endpoint that cannot be reached
                    where = f"the contacts of instance {spec.instance_id} ({spec.region})"
                    raise aws_call_failed("connect:GetContactAttributes", where, error) from None
                results[position] = contact
                bar.advance(task)
                if contact.result.reason.endswith(f" {UNREACHABLE_CODE}"):
                    raise self._unreachable(connect.endpoint, spec)
                self._stop_on(contact, spec, seconds)

        with bar, ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan") as pool:
            try:
                for position, work in enumerate(works):
                    if len(in_flight) >= workers:
                        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                        collect(done)
                    planning = pool.submit(planned_contact, work, connect, spec.mode, spec.removal_policy, live_values)
                    in_flight[planning] = position
                collect(set(in_flight))
            except PlanError:
                for future in in_flight:
                    future.cancel()
                raise
        return [contact for contact in results if contact is not None]

    def _unreachable(self, endpoint: str, spec: ResourceSpec) -> PlanError:
        origin = self._clients.endpoint_origin("connect", spec.region)
        return unreachable(f"Connect, instance {spec.instance_id} in {spec.region}", endpoint, origin)

    @staticmethod
    def _stop_on(contact: PlannedContact, spec: ResourceSpec, seconds: float) -> None:
        """AccessDenied and reads that kept being throttled stop the plan: its counts would be wrong."""
        result = contact.result
        if result.outcome is Outcome.INTERRUPTED:
            raise PlanError(
                f"Connect kept throttling (HTTP 429) or failing the reads of instance {spec.instance_id} for "
                f"{math.ceil(seconds)} s (contact {result.contact_id}); retry later or lower --max-requests-per-second"
            )
        if result.outcome is Outcome.FAILED:
            operation, _, code = result.reason.partition(" ")
            if code in ACCESS_DENIED_CODES:
                raise access_denied(
                    _aws_action(operation), f"the contacts of instance {spec.instance_id} ({spec.region})"
                )
