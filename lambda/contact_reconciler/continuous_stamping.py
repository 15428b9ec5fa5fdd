"""Continuous stamping: the declaration applied to new contacts, from their events and from a sweep.

The same rules as a deployment (contact_plan via reconcile.reconcile_contact): FILL_MISSING never overwrites a
value somebody else wrote, OVERWRITE sets the declared value, the expiry goes on email and task contacts only.
Nothing was applied before by the stream (``last_applied`` is empty): a contact is read, and written only where
it lacks the declaration, so a duplicate event, a redelivered message or a sweep over a stamped contact makes no
write. The events consumed are INITIATED (and QUEUED for a queue filter); our own writes cause
CONTACT_DATA_UPDATED events, which the rule never matches, so no write of ours causes another.

Each invocation paces every Connect API at its share of the budget (connect_contact_rules.continuous_invocation_rate):
at most CONTINUOUS_MAX_CONCURRENCY consumers and one sweep run at once, so together they stay within it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connect_contact_rules import (
    CONTACT_EVENT_INITIATED,
    CONTACT_EVENT_QUEUED,
    SEARCH_CONTACTS_RATE,
    AttributeMode,
    ContinuousProp,
    RuleViolation,
    SearchQuery,
    ValueRemovalPolicy,
    check_attributes,
    check_max_requests_per_second,
    continuous_invocation_rate,
)

from .connect_contacts import ConnectContacts
from .contact_event import ContactEvent, MalformedEvent
from .contact_plan import ContactWork, ListedFacts
from .contact_search import SearchListing
from .reconcile import Outcome, Progress, ReconcileReport, reconcile_contact, reconcile_contacts, worker_count
from .request_pacer import ApiPacers, Deadline

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContinuousDeclaration:
    """What the continuous function applies, from its CONTINUOUS_DECLARATION environment variable."""

    instance_id: str
    instance_arn: str
    attributes: Mapping[str, str]
    mode: AttributeMode
    expiry_minutes: int | None
    channels: tuple[str, ...]
    queue_ids: tuple[str, ...]
    initiation_methods: tuple[str, ...]
    max_requests_per_second: float
    sweep_window: timedelta

    @classmethod
    def from_json(cls, text: str) -> ContinuousDeclaration:
        """:raises RuleViolation: the declaration is unreadable or breaks a rule (the field is named)."""
        try:
            data = json.loads(text)
            expiry = data.get(ContinuousProp.CONTACT_EXPIRY_MINUTES)
            declaration = cls(
                instance_id=str(data[ContinuousProp.INSTANCE_ID]),
                instance_arn=str(data[ContinuousProp.INSTANCE_ARN]),
                attributes=dict(data[ContinuousProp.ATTRIBUTES]),
                mode=AttributeMode(data[ContinuousProp.MODE]),
                expiry_minutes=None if expiry is None else int(expiry),
                channels=tuple(data.get(ContinuousProp.CHANNELS) or ()),
                queue_ids=tuple(data.get(ContinuousProp.QUEUE_IDS) or ()),
                initiation_methods=tuple(data.get(ContinuousProp.INITIATION_METHODS) or ()),
                max_requests_per_second=float(data[ContinuousProp.MAX_REQUESTS_PER_SECOND]),
                sweep_window=timedelta(seconds=int(data[ContinuousProp.SWEEP_WINDOW_SECONDS])),
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, RuleViolation):
                raise
            raise RuleViolation("CONTINUOUS_DECLARATION", f"unreadable ({type(error).__name__})") from None
        check_attributes(declaration.attributes, "Attributes")
        check_max_requests_per_second(declaration.max_requests_per_second, "MaxRequestsPerSecond")
        return declaration

    @property
    def event_types(self) -> tuple[str, ...]:
        """INITIATED; with a queue filter also QUEUED (the queue is known only once the contact is queued)."""
        return (CONTACT_EVENT_INITIATED, CONTACT_EVENT_QUEUED) if self.queue_ids else (CONTACT_EVENT_INITIATED,)

    def query(self) -> SearchQuery:
        """The sweep's search: the contacts initiated within the sweep window that match the filters."""
        return SearchQuery(
            within=self.sweep_window,
            after=None,
            before=None,
            channels=self.channels,
            queue_ids=self.queue_ids,
            initiation_methods=self.initiation_methods,
        )

    def pacers(self) -> ApiPacers:
        rate = continuous_invocation_rate(self.max_requests_per_second)
        return ApiPacers(rate, {"search_contacts": SEARCH_CONTACTS_RATE})

    def works(self, event: ContactEvent) -> list[ContactWork]:
        """The attributes go on the initial contact (UpdateContactAttributes' key), the expiry on this segment."""
        facts = ListedFacts(event.channel, None)
        if event.initial_contact_id == event.contact_id:
            return [ContactWork(event.contact_id, self.attributes, {}, self.expiry_minutes, facts)]
        works = []
        if self.attributes:
            works.append(ContactWork(event.initial_contact_id, self.attributes, {}, None))
        if self.expiry_minutes is not None:
            works.append(ContactWork(event.contact_id, {}, {}, self.expiry_minutes, facts))
        return works


@dataclass
class BatchReport:
    """What one SQS batch came to (counts and contact IDs only)."""

    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    missing: int = 0
    failed: int = 0
    malformed: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(self.__dict__)


def stamp_events(
    records: Iterable[Mapping[str, Any]],
    declaration: ContinuousDeclaration,
    connect: ConnectContacts,
    *,
    report: BatchReport,
) -> list[str]:
    """Applies the declaration to the contacts of a batch of SQS messages; returns the message IDs that failed
    (ReportBatchItemFailures: Lambda returns only those to the queue, the rest are deleted).

    A malformed message fails (after its retries it goes to the dead-letter queue) without holding up the others;
    a contact that no longer exists is counted missing and its message succeeds. Messages of one contact in one
    batch are worked once.
    """
    failed: list[str] = []
    by_contact: dict[tuple[str, str], list[str]] = {}
    events: dict[tuple[str, str], ContactEvent] = {}
    for record in records:
        message_id = str(record.get("messageId", ""))
        try:
            event = ContactEvent.from_message_body(record.get("body"))  # type: ignore[arg-type]
        except MalformedEvent as error:
            logger.warning("message %s: %s", message_id, error)
            report.malformed += 1
            failed.append(message_id)
            continue
        if not event.selected_by(
            declaration.instance_arn,
            declaration.event_types,
            declaration.channels,
            declaration.queue_ids,
            declaration.initiation_methods,
        ):
            report.ignored += 1
            logger.info("contact %s: %s event not selected, ignored", event.contact_id, event.event_type)
            continue
        key = (event.initial_contact_id, event.contact_id)
        by_contact.setdefault(key, []).append(message_id)
        events.setdefault(key, event)

    def stamp(key: tuple[str, str]) -> Outcome:
        outcomes = [
            reconcile_contact(work, connect, declaration.mode, ValueRemovalPolicy.RETAIN).outcome
            for work in declaration.works(events[key])
        ]
        for outcome in (Outcome.FAILED, Outcome.INTERRUPTED, Outcome.MISSING, Outcome.UPDATED):
            if outcome in outcomes:
                return outcome
        return Outcome.UNCHANGED

    workers = max(
        1, min(len(by_contact), worker_count(continuous_invocation_rate(declaration.max_requests_per_second)))
    )
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="event") as pool:
        outcomes = dict(zip(by_contact, pool.map(stamp, by_contact), strict=True))
    for key, outcome in outcomes.items():
        if outcome in (Outcome.FAILED, Outcome.INTERRUPTED):
            report.failed += 1
            failed.extend(by_contact[key])
        elif outcome is Outcome.MISSING:
            report.missing += 1
            logger.info("contact %s does not exist (any more): nothing to stamp", key[1])
        elif outcome is Outcome.UPDATED:
            report.updated += 1
        else:
            report.unchanged += 1
    return failed


def sweep(
    declaration: ContinuousDeclaration,
    connect: ConnectContacts,
    *,
    now: datetime,
    stop_starting: Deadline,
    report: ReconcileReport,
    stopped: Callable[[], bool] = lambda: False,
) -> bool:
    """Stamps the matching contacts initiated within the sweep window that lack the declaration (the events that
    were lost). SearchContacts at its own quota, pages of 100. Returns whether every listed contact was done."""
    listing = SearchListing(connect, declaration.query(), now.astimezone(UTC), phase=1)
    works = (
        work
        for _, contact in listing.contacts(None)
        for work in [
            ContactWork(contact.contact_id, declaration.attributes, {}, declaration.expiry_minutes, contact.facts)
        ]
    )
    return reconcile_contacts(
        works,
        connect,
        declaration.mode,
        ValueRemovalPolicy.RETAIN,
        worker_count(continuous_invocation_rate(declaration.max_requests_per_second)),
        report=report,
        progress=Progress(),
        stop_starting=stop_starting,
        stopped=stopped,
    )
