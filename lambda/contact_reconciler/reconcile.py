"""Reconciles a set of contacts with their declared state: read, plan (contact_plan), write.

Contacts are worked on by a small thread pool; the RequestPacer inside ConnectContacts, not the
pool, limits the rate. Each contact's attribute changes go in one UpdateContactAttributes call,
and a contact whose attributes would exceed Connect's size limit is failed before anything of it
is written.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import Enum

from connect_contact_rules import CONTACT_ATTRIBUTES_MAX_BYTES, AttributeMode, ValueRemovalPolicy

from .connect_contacts import ConnectCallFailed, ConnectContacts, ContactNotFound
from .contact_plan import (
    ContactWork,
    ExpiryAction,
    needs_live_attributes,
    plan_attribute_changes,
    plan_expiry,
    size_after,
)
from .request_pacer import OutOfTime

logger = logging.getLogger(__name__)

MAX_WORKERS = 32


class Outcome(Enum):
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    MISSING = "MISSING"
    FAILED = "FAILED"


@dataclass(frozen=True)
class ContactResult:
    contact_id: str
    outcome: Outcome
    reason: str = ""
    expiry_skipped: bool = False


@dataclass
class ReconcileReport:
    """Counts of outcomes, and the failed and missing contact IDs in the order they were met."""

    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    failed: int = 0
    expiry_skipped: int = 0
    failures: list[ContactResult] = field(default_factory=list)
    missing_ids: list[str] = field(default_factory=list)

    def add(self, result: ContactResult) -> None:
        self.expiry_skipped += result.expiry_skipped
        if result.outcome is Outcome.UPDATED:
            self.updated += 1
        elif result.outcome is Outcome.UNCHANGED:
            self.unchanged += 1
        elif result.outcome is Outcome.MISSING:
            self.missing += 1
            self.missing_ids.append(result.contact_id)
        else:
            self.failed += 1
            self.failures.append(result)

    @property
    def total(self) -> int:
        return self.updated + self.unchanged + self.missing + self.failed


def reconcile_contact(
    work: ContactWork,
    connect: ConnectContacts,
    mode: AttributeMode,
    removal_policy: ValueRemovalPolicy,
) -> ContactResult:
    """Brings one contact to its declared state; never raises for a contact-level problem."""
    contact_id = work.contact_id
    reads_attributes = needs_live_attributes(work.desired, work.last_applied, removal_policy)
    try:
        description = connect.describe(contact_id) if work.expiry_minutes is not None else None
        live = connect.get_attributes(contact_id) if reads_attributes else {}
        changes = plan_attribute_changes(work.desired, work.last_applied, live, mode, removal_policy)
        expiry = (
            plan_expiry(work.expiry_minutes, description.channel, description.expiry_minutes)
            if description is not None
            else ExpiryAction.KEEP
        )
        if changes:
            size = size_after(live, changes)
            if size > CONTACT_ATTRIBUTES_MAX_BYTES:
                return ContactResult(
                    contact_id,
                    Outcome.FAILED,
                    f"attributes would take {size} UTF-8 bytes, over the limit of {CONTACT_ATTRIBUTES_MAX_BYTES}",
                )
            connect.update_attributes(contact_id, changes)
        if expiry is ExpiryAction.SET:
            connect.update_expiry(contact_id, work.expiry_minutes)  # type: ignore[arg-type]
    except ContactNotFound:
        return ContactResult(contact_id, Outcome.MISSING)
    except ConnectCallFailed as error:
        return ContactResult(contact_id, Outcome.FAILED, f"{error.operation} {error.code}")
    except OutOfTime:
        return ContactResult(contact_id, Outcome.FAILED, "not finished before the Lambda timeout")
    if changes or expiry is ExpiryAction.SET:
        logger.info(
            "contact %s: set %d key(s) %s%s",
            contact_id,
            len(changes),
            sorted(changes),
            ", expiry" if expiry is ExpiryAction.SET else "",
        )
        outcome = Outcome.UPDATED
    else:
        outcome = Outcome.UNCHANGED
    return ContactResult(contact_id, outcome, expiry_skipped=expiry is ExpiryAction.SKIP_CHANNEL)


def worker_count(max_requests_per_second: float) -> int:
    """Enough workers that the budget, not the latency of one call, limits the rate."""
    return max(2, min(MAX_WORKERS, math.ceil(max_requests_per_second)))


def reconcile_contacts(
    works: Iterable[ContactWork],
    connect: ConnectContacts,
    mode: AttributeMode,
    removal_policy: ValueRemovalPolicy,
    workers: int,
) -> ReconcileReport:
    """Works through the contacts with a bounded number in flight, so memory does not grow with the selection."""
    report = ReconcileReport()
    in_flight: set[Future[ContactResult]] = set()
    pending: Iterator[ContactWork] = iter(works)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="contact") as pool:
        for work in pending:
            if len(in_flight) >= workers * 2:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    report.add(future.result())
            in_flight.add(pool.submit(reconcile_contact, work, connect, mode, removal_policy))
        for future in in_flight:
            report.add(future.result())
    return report
