"""The contacts of a search selection (ContactSelection.search), as ContactWork in an order that survives hand-offs.

Window. Every listing of one operation searches the same window: a relative window ends when the
operation started (the checkpoint's started_at), an absolute one at its end or then, whichever is earlier.

Order. A listing asks SearchContacts for pages of 100 sorted by INITIATION_TIMESTAMP ascending; contacts
with the same initiation time are put in contact ID order here (a run of equal times is held until a later
time shows up). Each contact has a key (phase, initiation time in microseconds, contact ID) and the works
come in key order: it depends on which contacts match, not on how Connect pages them. A key that is not
after the previous one (a contact listed twice) is skipped, so each contact comes once.

Continuation. A hand-off stores a SearchCursor: the key up to which every contact is finished and the few
finished beyond it (at most one per worker). The next invocation searches again from the cursor's
initiation time, less RESUME_OVERLAP whatever Connect's StartTime boundary is, and skips every key up to
the cursor: pages already worked through are not fetched again, and no NextToken (up to 100,000
characters) goes into the hand-off event, which stays a few kilobytes however large the tokens. A contact
inside the window that Connect indexes only after the cursor passed its time is not picked up.

Phases of an operation, in order:
1. the selection: the new search's contacts (or, after a change from a search to IDs or a file, those IDs);
2. on an Update under DESTROY whose selection changed, the contacts that left it: those the old query
   matches now (or the old IDs) that the new selection does not hold. Whether a listed contact is held by
   the other query is decided from its summary (initiation time, channel, queue, initiation method), so
   neither listing has to be kept whole.

What a summary already tells saves calls: the channel (no expiry work for voice and chat) and, where its
segment attributes hold connect:ContactExpiry, the current expiry (no DescribeContact).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connect_contact_rules import (
    SEARCH_MAX_CONTACTS_LIMIT,
    SearchQuery,
    ValueRemovalPolicy,
    contacts_within,
    search_listing_seconds,
    service_timeout_margin_seconds,
)

from .checkpoint import Checkpoint
from .connect_contacts import ConnectContacts, read_expiry_minutes
from .contact_plan import ContactWork, ListedFacts, needs_calls
from .reconcile import Progress
from .request_pacer import OutOfTime
from .resource_spec import ResourceSpec

logger = logging.getLogger(__name__)

Key = tuple[int, int, str]
"""(phase, initiation time in microseconds or position in a list of IDs, contact ID)."""

RESUME_OVERLAP = timedelta(seconds=1)
REASON_MAX_CHARACTERS = 256


def _micros(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


@dataclass(frozen=True)
class ListedContact:
    """A contact as a SearchContacts summary describes it."""

    contact_id: str
    initiated: datetime
    channel: str
    queue_id: str | None
    initiation_method: str
    expiry_minutes: int | None

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> ListedContact:
        initiated = summary.get("InitiationTimestamp")
        return cls(
            contact_id=summary["Id"],
            initiated=initiated.astimezone(UTC) if isinstance(initiated, datetime) else datetime.fromtimestamp(0, UTC),
            channel=summary.get("Channel", ""),
            queue_id=(summary.get("QueueInfo") or {}).get("Id"),
            initiation_method=summary.get("InitiationMethod", ""),
            expiry_minutes=read_expiry_minutes(summary.get("SegmentAttributes") or {}),
        )

    def selected_by(self, query: SearchQuery, now: datetime) -> bool:
        return query.matches(self.initiated, self.channel, self.queue_id, self.initiation_method, now)

    @property
    def facts(self) -> ListedFacts:
        return ListedFacts(self.channel, self.expiry_minutes)


@dataclass
class SearchCursor:
    """Every key up to ``after`` is finished, and so is each key in ``finished``."""

    after: Key | None = None
    finished: set[Key] = field(default_factory=set)

    def is_finished(self, key: Key) -> bool:
        return (self.after is not None and key <= self.after) or key in self.finished

    def to_json(self) -> dict[str, Any]:
        return {"after": None if self.after is None else list(self.after), "finished": sorted(map(list, self.finished))}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SearchCursor:
        if not data:
            return cls()
        after = data.get("after")
        return cls(
            after=None if after is None else (int(after[0]), int(after[1]), str(after[2])),
            finished={(int(phase), int(order), str(contact_id)) for phase, order, contact_id in data["finished"]},
        )


class SearchListing:
    """One query's contacts in key order, page by page (SearchContacts at its own pace)."""

    def __init__(self, connect: ConnectContacts, query: SearchQuery, now: datetime, phase: int) -> None:
        self._connect = connect
        self._start, self._end = query.window(now)
        self._criteria = query.criteria()
        self._phase = phase
        self._first_page: dict[str, Any] | None = None
        self.pages = 0

    def total(self) -> int:
        """TotalCount of the query: one call, whose page the listing then starts from."""
        if self._first_page is None:
            self._first_page = self._page(self._start, None)
        return int(self._first_page.get("TotalCount") or 0)

    def _page(self, start: datetime, token: str | None) -> dict[str, Any]:
        self.pages += 1
        return self._connect.search_contacts(start, self._end, self._criteria, next_token=token)

    def contacts(self, resume_after: Key | None) -> Iterator[tuple[Key, ListedContact]]:
        """The contacts after ``resume_after`` (a key of this phase), each once, in key order."""
        start = self._start
        if resume_after is not None:
            start = max(start, datetime.fromtimestamp(resume_after[1] / 1_000_000, UTC) - RESUME_OVERLAP)
        last = resume_after
        skipped = 0
        run: list[ListedContact] = []  # contacts of one initiation time, put in ID order once the time moves on
        for contact in self._listed(start, from_first_page=resume_after is None):
            if run and _micros(contact.initiated) != _micros(run[0].initiated):
                for key, held in self._in_key_order(run):
                    if last is None or key > last:
                        last = key
                        yield key, held
                    elif resume_after is None or key > resume_after:
                        skipped += 1  # listed twice, or out of initiation-time order
                run = []
            run.append(contact)
        for key, held in self._in_key_order(run):
            if last is None or key > last:
                last = key
                yield key, held
            elif resume_after is None or key > resume_after:
                skipped += 1
        if skipped:
            logger.warning("SearchContacts listed %d contacts twice or out of order; each was taken once", skipped)

    def _listed(self, start: datetime, *, from_first_page: bool) -> Iterator[ListedContact]:
        page = self._first_page if from_first_page and self._first_page is not None else self._page(start, None)
        self._first_page = None
        while True:
            for summary in page.get("Contacts") or []:
                yield ListedContact.from_summary(summary)
            token = page.get("NextToken")
            if not token:
                return
            page = self._page(start, token)

    def _in_key_order(self, run: list[ListedContact]) -> list[tuple[Key, ListedContact]]:
        keyed = (((self._phase, _micros(contact.initiated), contact.contact_id), contact) for contact in run)
        return sorted(keyed, key=lambda item: item[0])


MakeListedWork = Callable[[ListedContact], ContactWork | None]
MakeIdWork = Callable[[str], ContactWork | None]


@dataclass
class _ListingPhase:
    number: int
    listing: SearchListing
    make_work: MakeListedWork

    def keyed_works(self, resume_after: Key | None) -> Iterator[tuple[Key, ContactWork]]:
        for key, contact in self.listing.contacts(resume_after):
            work = self.make_work(contact)
            if work is not None:
                yield key, work


@dataclass
class _IdPhase:
    number: int
    contact_ids: Callable[[], Iterable[str]]
    make_work: MakeIdWork

    def keyed_works(self, resume_after: Key | None) -> Iterator[tuple[Key, ContactWork]]:
        for position, contact_id in enumerate(self.contact_ids()):
            key = (self.number, position, contact_id)
            work = None if resume_after is not None and key <= resume_after else self.make_work(contact_id)
            if work is not None:
                yield key, work


class SearchOperation:
    """The works of a Create, Update or Delete whose selection is (or was) a search, and its continuation."""

    def __init__(
        self, phases: list[_ListingPhase | _IdPhase], removal_policy: ValueRemovalPolicy, checkpoint: Checkpoint
    ) -> None:
        self._phases = phases
        self._removal_policy = removal_policy
        self._cursor = SearchCursor.from_json(checkpoint.search_cursor)
        self._keys: list[Key] = []
        self.interrupted = False
        """A search call found no slot before this invocation's deadline: the listing stopped short."""
        checkpoint.progress = Progress()  # positions count this invocation's works only

    def works(self) -> Iterator[ContactWork]:
        """The unfinished works that make Connect calls, in key order; the i-th is position i of this invocation."""
        self._keys = []
        cursor = self._cursor
        try:
            for phase in self._phases:
                if cursor.after is not None and cursor.after[0] > phase.number:
                    continue  # finished in an earlier invocation: not listed again
                resume = cursor.after if cursor.after is not None and cursor.after[0] == phase.number else None
                for key, work in phase.keyed_works(resume):
                    if cursor.is_finished(key) or not needs_calls(work, self._removal_policy):
                        continue
                    self._keys.append(key)
                    yield work
        except OutOfTime:
            self.interrupted = True

    def save(self, checkpoint: Checkpoint) -> None:
        """Turns this invocation's progress (positions) into the cursor the next invocation resumes from."""
        progress = checkpoint.progress
        after = self._keys[progress.next_position - 1] if progress.next_position > 0 else self._cursor.after
        finished = {self._keys[position] for position in progress.finished_beyond}
        finished |= {key for key in self._cursor.finished if after is None or key > after}
        checkpoint.search_cursor = SearchCursor(after, finished).to_json()
        checkpoint.progress = Progress()


@dataclass(frozen=True)
class SearchTotals:
    """What the first invocation learns before any write."""

    selected: int
    """Contacts of the new selection (TotalCount of its search, or its number of IDs)."""
    leaving_at_most: int
    """An upper bound of the contacts that left the selection (0 unless an Update under DESTROY changed it)."""
    listed: int
    """Contacts SearchContacts will list (for the time its pages take)."""


class SearchPlan:
    """Builds the phases of an operation with a search on either side, and checks it before any write."""

    def __init__(
        self,
        spec: ResourceSpec,
        old_spec: ResourceSpec | None,
        *,
        deleting: bool,
        now: datetime,
        ids: Callable[[ResourceSpec], Iterable[str]],
        old_ids: Callable[[ResourceSpec], set[str] | None],
    ) -> None:
        self.spec = spec
        self.old_spec = old_spec
        self.deleting = deleting
        self.now = now
        self._ids = ids
        self._old_ids = old_ids
        self._old_id_set: set[str] | None = None
        self._old_id_set_read = False
        self._listings: dict[int, SearchListing] = {}

    def _listing(self, connect: ConnectContacts, query: SearchQuery, phase: int) -> SearchListing:
        """The listing of a phase, shared by totals() and the phase (which starts from the page totals() read)."""
        if phase not in self._listings:
            self._listings[phase] = SearchListing(connect, query, self.now, phase)
        return self._listings[phase]

    @staticmethod
    def involves_search(spec: ResourceSpec, old_spec: ResourceSpec | None) -> bool:
        return spec.search is not None or (old_spec is not None and old_spec.search is not None)

    def _old_held(self) -> set[str] | None:
        """The previous selection's IDs (IDs or a file), read once; None when its file is gone."""
        if not self._old_id_set_read:
            assert self.old_spec is not None
            self._old_id_set = self._old_ids(self.old_spec)
            self._old_id_set_read = True
        return self._old_id_set

    def _leaving_phase_needed(self) -> bool:
        old, new = self.old_spec, self.spec
        if self.deleting or old is None or new.removal_policy is not ValueRemovalPolicy.DESTROY:
            return False
        return not (old.search is not None and new.search is not None and old.search.selects_as(new.search))

    def phases(self, connect: ConnectContacts) -> list[_ListingPhase | _IdPhase]:
        spec, old, now = self.spec, self.old_spec, self.now
        if self.deleting:
            assert spec.search is not None
            return [
                _ListingPhase(
                    1,
                    self._listing(connect, spec.search, 1),
                    lambda c: ContactWork(c.contact_id, {}, spec.attributes, None, c.facts),
                )
            ]
        phases: list[_ListingPhase | _IdPhase] = []
        if spec.search is not None:

            def held_before(contact: ListedContact) -> bool:
                if old is None:
                    return False
                if old.search is not None:
                    return contact.selected_by(old.search, now)
                held = self._old_held()
                return held is None or contact.contact_id in held

            phases.append(
                _ListingPhase(
                    1,
                    self._listing(connect, spec.search, 1),
                    lambda c: ContactWork(
                        c.contact_id,
                        spec.attributes,
                        old.attributes if old is not None and held_before(c) else {},
                        spec.expiry_minutes,
                        c.facts,
                    ),
                )
            )
        else:  # a search before, IDs or a file now: whether the old query held a contact is not known here
            assert old is not None
            phases.append(
                _IdPhase(
                    1,
                    lambda: self._ids(spec),
                    lambda contact_id: ContactWork(contact_id, spec.attributes, old.attributes, spec.expiry_minutes),
                )
            )
        if not self._leaving_phase_needed():
            return phases
        assert old is not None
        if old.search is not None:
            new_search = spec.search
            new_ids: set[str] | None = None

            def still_selected(contact: ListedContact) -> bool:
                nonlocal new_ids
                if new_search is not None:
                    return contact.selected_by(new_search, now)
                if new_ids is None:
                    new_ids = set(self._ids(spec))
                return contact.contact_id in new_ids

            phases.append(
                _ListingPhase(
                    2,
                    self._listing(connect, old.search, 2),
                    lambda c: (
                        None if still_selected(c) else ContactWork(c.contact_id, {}, old.attributes, None, c.facts)
                    ),
                )
            )
        else:  # IDs or a file before, a search now: the new search is listed whole (at most max_contacts IDs)
            assert spec.search is not None
            search = spec.search

            def leaving_ids() -> list[str]:
                held = self._old_held() or set()
                listed = {c.contact_id for _, c in SearchListing(connect, search, now, 2).contacts(None)}
                return sorted(held - listed)

            phases.append(
                _IdPhase(2, leaving_ids, lambda contact_id: ContactWork(contact_id, {}, old.attributes, None))
            )
        return phases

    def operation(self, connect: ConnectContacts, checkpoint: Checkpoint) -> SearchOperation:
        return SearchOperation(self.phases(connect), self.spec.removal_policy, checkpoint)

    def totals(self, connect: ConnectContacts) -> SearchTotals:
        """Counts before any write: one SearchContacts call per search (TotalCount), the IDs otherwise."""
        spec, old = self.spec, self.old_spec
        listed = 0
        if spec.search is not None:
            selected = self._listing(connect, spec.search, 1).total()
            listed += selected
        else:
            selected = sum(1 for _ in self._ids(spec))
        leaving = 0
        if self._leaving_phase_needed():
            assert old is not None
            if old.search is not None:
                leaving = self._listing(connect, old.search, 2).total()
                listed += leaving
            else:
                leaving = len(self._old_held() or ())
                listed += selected  # the new search is listed whole once more to find them
        return SearchTotals(selected, leaving, listed)

    def problem(self, totals: SearchTotals) -> str | None:
        """Why the operation must not start (over max_contacts, or longer than the ServiceTimeout), or None."""
        spec = self.spec
        search = spec.search
        if search is not None and totals.selected > search.max_contacts:
            parts = math.ceil(totals.selected / search.max_contacts)
            raise_it = "" if search.max_contacts >= SEARCH_MAX_CONTACTS_LIMIT else " or raise max_contacts"
            return (
                f"the search selects {totals.selected} contacts, more than max_contacts={search.max_contacts}: "
                f"narrow it (a shorter window, fewer channels or queues), split it by time window into {parts} "
                f"resources{raise_it}; nothing was written"
            )[:REASON_MAX_CHARACTERS]
        rate = spec.max_requests_per_second
        contacts = totals.selected + totals.leaving_at_most
        capacity = contacts_within(rate, spec.service_timeout_seconds)
        usable = spec.service_timeout_seconds - service_timeout_margin_seconds(spec.service_timeout_seconds)
        listing = search_listing_seconds(totals.listed, rate)
        logger.info(
            "search: %d contacts selected, up to %d leaving; %d fit within the ServiceTimeout; listing takes about %.0f s",
            totals.selected,
            totals.leaving_at_most,
            capacity,
            listing,
        )
        if contacts <= capacity and listing <= usable:
            return None
        needed = math.ceil(rate * contacts / max(capacity, 1)) if capacity else math.ceil(contacts)
        parts = math.ceil(max(contacts / max(capacity, 1), listing / usable))
        return (
            f"{contacts} contacts (the search's {totals.selected}, up to {totals.leaving_at_most} leaving it) "
            f"cannot finish within the ServiceTimeout of {spec.service_timeout_seconds} s at "
            f"max_requests_per_second={rate:g} (about {capacity} can). Raise max_requests_per_second to at least "
            f"{needed} or split the search by time window into {parts} resources; nothing was written"
        )[:REASON_MAX_CHARACTERS]


def operation_time(checkpoint: Checkpoint) -> datetime:
    """When the operation started: a relative window ends then, in every invocation of the operation."""
    return datetime.fromtimestamp(checkpoint.started_at, UTC)
