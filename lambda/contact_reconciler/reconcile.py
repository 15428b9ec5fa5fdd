"""Reconciles a set of contacts with their declared state: read, plan (contact_plan), write.

Contacts are worked on by a small thread pool; the RequestPacer inside ConnectContacts, not the
pool, limits the rate. Each contact's attribute changes go in one UpdateContactAttributes call,
and a contact whose attributes would exceed Connect's size limit is failed before anything of it
is written.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from connect_contact_rules import CONTACT_ATTRIBUTES_MAX_BYTES, AttributeMode, ValueRemovalPolicy

from .connect_contacts import ConnectCallFailed, ConnectContacts, ContactDescription, ContactNotFound
from .contact_plan import (
    ContactWork,
    ExpiryAction,
    needs_live_attributes,
    plan_attribute_changes,
    plan_expiry,
    size_after,
)
from .request_pacer import Deadline, OutOfTime
from .resource_lease import Superseded

KeptValues = Callable[[str], Mapping[str, Collection[str]]] | None
"""contact ID -> key -> values that other resources declare for that contact (never cleared), or None."""


logger = logging.getLogger(__name__)

MAX_WORKERS = 32
IDS_KEPT = 20
"""Failed and missing contact IDs kept for the Reason and the logs; the counts are always complete."""


class Outcome(Enum):
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    MISSING = "MISSING"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    """Ran out of this invocation's time part-way: not finished, so the next invocation does it again."""


@dataclass(frozen=True)
class ContactResult:
    contact_id: str
    outcome: Outcome
    reason: str = ""
    expiry_skipped: bool = False


@dataclass
class ReconcileReport:
    """Counts of outcomes (complete), the first failed and missing contact IDs, and how often each failure reason occurred."""

    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    failed: int = 0
    expiry_skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(contact ID, reason) of the first IDS_KEPT failed contacts."""
    failure_reasons: Counter[str] = field(default_factory=Counter)
    missing_ids: list[str] = field(default_factory=list)
    """The first IDS_KEPT missing contacts."""

    def add(self, result: ContactResult) -> None:
        self.expiry_skipped += result.expiry_skipped
        if result.outcome is Outcome.UPDATED:
            self.updated += 1
        elif result.outcome is Outcome.UNCHANGED:
            self.unchanged += 1
        elif result.outcome is Outcome.MISSING:
            self.missing += 1
            if len(self.missing_ids) < IDS_KEPT:
                self.missing_ids.append(result.contact_id)
        else:
            self.failed += 1
            self.failure_reasons[result.reason] += 1
            if len(self.failures) < IDS_KEPT:
                self.failures.append((result.contact_id, result.reason))

    @property
    def total(self) -> int:
        return self.updated + self.unchanged + self.missing + self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "updated": self.updated,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "failed": self.failed,
            "expirySkipped": self.expiry_skipped,
            "failures": [list(failure) for failure in self.failures],
            "failureReasons": dict(self.failure_reasons),
            "missingIds": self.missing_ids,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReconcileReport:
        return cls(
            updated=data["updated"],
            unchanged=data["unchanged"],
            missing=data["missing"],
            failed=data["failed"],
            expiry_skipped=data["expirySkipped"],
            failures=[(contact_id, reason) for contact_id, reason in data["failures"]],
            failure_reasons=Counter(data["failureReasons"]),
            missing_ids=list(data["missingIds"]),
        )


@dataclass
class Progress:
    """Which positions of the ordered selection are finished: all before next_position, and finished_beyond."""

    next_position: int = 0
    finished_beyond: set[int] = field(default_factory=set)

    def is_finished(self, position: int) -> bool:
        return position < self.next_position or position in self.finished_beyond

    def finish(self, position: int) -> None:
        self.finished_beyond.add(position)
        while self.next_position in self.finished_beyond:
            self.finished_beyond.remove(self.next_position)
            self.next_position += 1


@dataclass(frozen=True)
class ContactChange:
    """What reconciling one contact would write, planned from its live state (nothing written yet)."""

    contact_id: str
    attributes: dict[str, str]
    """Key -> value to write ("" clears); empty when no attribute changes."""
    expiry: ExpiryAction
    expiry_minutes: int | None
    failure: str = ""
    """Why the contact cannot be reconciled (nothing of it is written), or ""."""

    @property
    def writes(self) -> bool:
        return not self.failure and (bool(self.attributes) or self.expiry is ExpiryAction.SET)


def plan_contact(
    work: ContactWork,
    connect: ConnectContacts,
    mode: AttributeMode,
    removal_policy: ValueRemovalPolicy,
    kept: KeptValues = None,
) -> ContactChange:
    """Reads what one contact holds (only the calls its declaration needs) and plans its writes; writes nothing.

    DescribeContact (needed for an expiry) also answers with the attributes where its response carries an
    `Attributes` key: then GetContactAttributes is skipped. kept(contact_id) gives the values other resources
    declare for the contact: a value equal to one of them is never cleared.
    :raises ContactNotFound: the contact does not exist.
    """
    contact_id = work.contact_id
    if _only_clears_what_others_declare(work, kept):
        return ContactChange(contact_id, {}, ExpiryAction.KEEP, None, "")
    known = work.known_channel_and_expiry()  # a search result may already tell (no DescribeContact)
    description = None
    if work.expiry_minutes is not None:
        description = ContactDescription(*known, attributes=None) if known is not None else connect.describe(contact_id)
    live: dict[str, str] = {}
    if needs_live_attributes(work.desired, work.last_applied, removal_policy):
        if description is not None and description.attributes is not None:
            live = description.attributes
        else:
            live = connect.get_attributes(contact_id)
    changes = plan_attribute_changes(work.desired, work.last_applied, live, mode, removal_policy)
    if kept is not None and any(key not in work.desired for key in changes):  # it would clear: ask the others
        changes = plan_attribute_changes(
            work.desired, work.last_applied, live, mode, removal_policy, kept=kept(contact_id)
        )
    expiry = (
        plan_expiry(work.expiry_minutes, description.channel, description.expiry_minutes)
        if description is not None
        else ExpiryAction.KEEP
    )
    failure = ""
    if changes and (size := size_after(live, changes)) > CONTACT_ATTRIBUTES_MAX_BYTES:
        failure = f"attributes would take {size} UTF-8 bytes, over the limit of {CONTACT_ATTRIBUTES_MAX_BYTES}"
    return ContactChange(contact_id, changes, expiry, work.expiry_minutes, failure)


def _only_clears_what_others_declare(work: ContactWork, kept: KeptValues) -> bool:
    """Whether the work would at most clear values that other resources declare for the contact (a Delete, or a
    contact that left the selection, after a rename or a move between shards): nothing can change, so the
    contact is not read (it counts as unchanged, even where it no longer exists)."""
    if kept is None or work.desired or work.expiry_minutes is not None or not work.last_applied:
        return False
    others = kept(work.contact_id)
    return all(value in others.get(key, ()) for key, value in work.last_applied.items())


def apply_change(change: ContactChange, connect: ConnectContacts) -> None:
    """Writes a planned change: all attribute changes in one UpdateContactAttributes call, then the expiry."""
    if change.attributes:
        connect.update_attributes(change.contact_id, change.attributes)
    if change.expiry is ExpiryAction.SET and change.expiry_minutes is not None:
        connect.update_expiry(change.contact_id, change.expiry_minutes)


def planned_result(
    work: ContactWork,
    connect: ConnectContacts,
    mode: AttributeMode,
    removal_policy: ValueRemovalPolicy,
    kept: KeptValues = None,
) -> tuple[ContactResult, ContactChange | None]:
    """plan_contact with contact-level problems as outcomes: what reconciling the contact reports if its
    writes succeed (UPDATED), or already knows (UNCHANGED, MISSING, FAILED, INTERRUPTED). Writes nothing."""
    contact_id = work.contact_id
    try:
        change = plan_contact(work, connect, mode, removal_policy, kept)
    except ContactNotFound:
        return ContactResult(contact_id, Outcome.MISSING), None
    except ConnectCallFailed as error:
        return ContactResult(contact_id, Outcome.FAILED, f"{error.operation} {error.code}"), None
    except (OutOfTime, Superseded):
        return ContactResult(contact_id, Outcome.INTERRUPTED), None
    if change.failure:
        return ContactResult(contact_id, Outcome.FAILED, change.failure), change
    outcome = Outcome.UPDATED if change.writes else Outcome.UNCHANGED
    return ContactResult(contact_id, outcome, expiry_skipped=change.expiry is ExpiryAction.SKIP_CHANNEL), change


def reconcile_contact(
    work: ContactWork,
    connect: ConnectContacts,
    mode: AttributeMode,
    removal_policy: ValueRemovalPolicy,
    kept: KeptValues = None,
) -> ContactResult:
    """Brings one contact to its declared state; never raises for a contact-level problem."""
    result, change = planned_result(work, connect, mode, removal_policy, kept)
    if change is None or result.outcome is not Outcome.UPDATED:
        return result
    contact_id = work.contact_id
    try:
        apply_change(change, connect)
    except ContactNotFound:
        return ContactResult(contact_id, Outcome.MISSING)
    except ConnectCallFailed as error:
        return ContactResult(contact_id, Outcome.FAILED, f"{error.operation} {error.code}")
    except (OutOfTime, Superseded):
        return ContactResult(contact_id, Outcome.INTERRUPTED)
    logger.info(
        "contact %s: set %d key(s) %s%s",
        contact_id,
        len(change.attributes),
        sorted(change.attributes),
        ", expiry" if change.expiry is ExpiryAction.SET else "",
    )
    return result


def worker_count(max_requests_per_second: float) -> int:
    """Enough workers that the budget, not the latency of one call, limits the rate."""
    return max(2, min(MAX_WORKERS, math.ceil(max_requests_per_second)))


def reconcile_contacts(
    works: Iterable[ContactWork],
    connect: ConnectContacts,
    mode: AttributeMode,
    removal_policy: ValueRemovalPolicy,
    workers: int,
    *,
    report: ReconcileReport,
    progress: Progress,
    stop_starting: Deadline,
    stopped: Callable[[], bool] = lambda: False,
    kept: KeptValues = None,
) -> bool:
    """Works through the unfinished contacts in order, at most `workers` in flight, so memory does not grow
    with the selection. Starts no contact after stop_starting or once stopped() (a superseded chain).
    Returns whether every contact is finished."""
    complete = True
    in_flight: dict[Future[ContactResult], int] = {}

    def collect(futures: Iterable[Future[ContactResult]]) -> None:
        nonlocal complete
        for future in futures:
            position = in_flight.pop(future)
            result = future.result()
            if result.outcome is Outcome.INTERRUPTED:
                complete = False
            else:
                report.add(result)
                progress.finish(position)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="contact") as pool:
        for position, work in enumerate(works):
            if progress.is_finished(position):
                continue
            if stop_starting.remaining() <= 0 or stopped():
                complete = False
                break
            if len(in_flight) >= workers:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                collect(done)
            in_flight[pool.submit(reconcile_contact, work, connect, mode, removal_policy, kept)] = position
        collect(list(in_flight))
    return complete
