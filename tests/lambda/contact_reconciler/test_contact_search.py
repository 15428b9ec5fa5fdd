"""The search listing against the emulator over HTTP: key order with ties across pages, each contact once,
resuming from a cursor without fetching finished pages, the cursor's round trip, and the first-invocation checks."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact
from connect_contact_rules import SearchQuery, ValueRemovalPolicy
from contact_reconciler.checkpoint import Checkpoint
from contact_reconciler.connect_contacts import ConnectContacts, InstanceNotFound
from contact_reconciler.contact_search import SearchCursor, SearchListing, SearchPlan, SearchTotals
from contact_reconciler.reconcile import Progress
from contact_reconciler.request_pacer import ApiPacers, Deadline
from contact_reconciler.resource_spec import parse_resource_spec

INSTANCE = "inst-1"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
QUERY = SearchQuery(None, T0, T0 + timedelta(days=1))


@pytest.fixture
def emulator():
    with ConnectEmulator(rate=math.inf) as running:
        running.set_quota(rate=math.inf, operation="SearchContacts")
        yield running


def connect(emulator: ConnectEmulator, instance: str = INSTANCE) -> ConnectContacts:
    client = boto3.client(
        "connect",
        region_name="eu-west-2",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    return ConnectContacts(client, instance, ApiPacers(1000), Deadline(30))


def seed_pairs(emulator: ConnectEmulator, count: int) -> list[str]:
    """``count`` contacts, two per initiation second, seeded against ID order (so Connect's order is not ID order)."""
    ids = [f"c{i:03d}" for i in range(count)]
    emulator.add_contacts(
        INSTANCE,
        [
            SeedContact(ids[i], channel="TASK", initiation_timestamp=(T0 + timedelta(seconds=i // 2)).timestamp())
            for i in reversed(range(count))
        ],
    )
    return ids


def test_contacts_come_in_initiation_time_then_id_order_across_pages(emulator):
    ids = seed_pairs(emulator, 250)  # the pair at 49 s straddles the first page boundary (100 per page)
    listing = SearchListing(connect(emulator), QUERY, NOW, phase=1)
    assert listing.total() == 250
    listed = list(listing.contacts(None))
    assert [contact.contact_id for _, contact in listed] == ids
    assert [key for key, _ in listed] == sorted(key for key, _ in listed)
    assert listing.pages == 3  # the page total() read is the listing's first


def test_a_contact_listed_twice_comes_once(emulator, caplog):
    ids = seed_pairs(emulator, 120)
    contacts = SearchListing(connect(emulator), QUERY, NOW, phase=1).contacts(None)
    first = [next(contacts)[1].contact_id for _ in range(98)]  # page 1 read; its last pair is held back
    # a contact indexed late, earlier than the page boundary: Connect's next page (by offset) repeats c099
    emulator.add_contacts(
        INSTANCE, [SeedContact("late", initiation_timestamp=(T0 + timedelta(seconds=0.5)).timestamp())]
    )
    rest = [contact.contact_id for _, contact in contacts]
    assert first + rest == ids  # each once, in order; the late one was not in the part already listed
    assert "listed 1 contacts twice or out of order" in caplog.text


def test_resuming_after_a_key_fetches_from_its_time_and_skips_what_is_finished(emulator):
    ids = seed_pairs(emulator, 250)
    listing = SearchListing(connect(emulator), QUERY, NOW, phase=1)
    listed = list(listing.contacts(None))
    cursor_key = listed[201][0]  # c201 at 100 s
    emulator.clear_requests()
    resumed = SearchListing(connect(emulator), QUERY, NOW, phase=1)
    rest = [contact.contact_id for _, contact in resumed.contacts(cursor_key)]
    assert rest == ids[202:]
    assert resumed.pages == 1  # from 99 s on: 52 contacts, one page


def test_the_cursor_round_trips_through_json():
    cursor = SearchCursor(
        after=(1, 1_790_000_000_123_456, "c1"), finished={(1, 1_790_000_001_000_000, "c9"), (2, 3, "x")}
    )
    assert SearchCursor.from_json(cursor.to_json()) == cursor
    assert SearchCursor.from_json(None) == SearchCursor()
    assert cursor.is_finished((1, 1_790_000_000_123_456, "c0")) and cursor.is_finished((2, 3, "x"))
    assert not cursor.is_finished((1, 1_790_000_000_123_457, "a"))


def spec(query: dict, removal: str = "DESTROY", **extra):
    properties = {
        "InstanceId": INSTANCE,
        "Region": "eu-west-2",
        "ContactSearch": {"MaxContacts": "10000", **query},
        "Attributes": {"a": "1"},
        "RemovalPolicy": removal,
        **extra,
    }
    return parse_resource_spec(properties, "eu-west-2")


WINDOW = {"InitiatedAfter": "2026-10-01T00:00:00Z", "InitiatedBefore": "2026-10-02T00:00:00Z"}


def plan(new, old=None, deleting=False):
    return SearchPlan(
        new, old, deleting=deleting, now=NOW, ids=lambda s: s.contact_ids, old_ids=lambda s: set(s.contact_ids)
    )


def test_an_operation_resumes_from_its_saved_cursor_with_fresh_positions(emulator):
    ids = seed_pairs(emulator, 30)
    search_plan = plan(spec(WINDOW))
    checkpoint = Checkpoint(started_at=NOW.timestamp())
    operation = search_plan.operation(connect(emulator), checkpoint)
    works = operation.works()
    first = [next(works).contact_id for _ in range(10)]
    assert first == ids[:10]
    checkpoint.progress = Progress(next_position=8, finished_beyond={9})  # 8 done in order, 9 done, 8 interrupted
    operation.save(checkpoint)
    assert checkpoint.progress == Progress()
    resumed = plan(spec(WINDOW)).operation(connect(emulator), checkpoint)
    assert [work.contact_id for work in resumed.works()] == [ids[8], *ids[10:]]


def test_totals_count_the_selection_and_what_may_leave_it(emulator):
    seed_pairs(emulator, 30)
    emulator.add_contacts(INSTANCE, [SeedContact("e1", channel="EMAIL", initiation_timestamp=T0.timestamp())])
    new, old = spec({**WINDOW, "Channels": ["TASK"]}), spec({**WINDOW, "Channels": ["EMAIL"]})
    client = connect(emulator)
    assert plan(new, old).totals(client) == SearchTotals(selected=30, leaving_at_most=1, listed=31)
    retained = spec({**WINDOW, "Channels": ["TASK"]}, removal="RETAIN")
    assert plan(retained, old).totals(client) == SearchTotals(selected=30, leaving_at_most=0, listed=30)
    same = spec({**WINDOW, "Channels": ["TASK"], "Revision": "2"})
    assert plan(same, new).totals(client).leaving_at_most == 0


def test_problems_before_any_write(emulator):
    capped = spec({**WINDOW, "MaxContacts": "10"})
    assert (
        plan(capped)
        .problem(SearchTotals(11, 0, 11))
        .startswith("the search selects 11 contacts, more than max_contacts=10")
    )
    assert "raise max_contacts" not in plan(spec(WINDOW)).problem(SearchTotals(10_001, 0, 10_001))
    slow = spec(WINDOW, MaxRequestsPerSecond="1", ServiceTimeoutSeconds="600")
    assert plan(slow).problem(SearchTotals(400, 0, 400)) is None
    problem = plan(slow).problem(SearchTotals(400, 100, 400))
    assert problem.startswith("500 contacts (the search's 400, up to 100 leaving it) cannot finish")
    assert "(about 433 can)" in problem and "at least 2" in problem and len(problem) <= 256


def test_an_unknown_instance_is_instance_not_found(emulator):
    with pytest.raises(InstanceNotFound):
        plan(spec(WINDOW)).totals(connect(emulator, "no-such-instance"))
    with pytest.raises(InstanceNotFound):
        connect(emulator, "no-such-instance").probe_instance()
    emulator.add_instance(INSTANCE)
    connect(emulator).probe_instance()


def test_removal_policy_is_read_from_the_new_spec():
    assert spec(WINDOW).removal_policy is ValueRemovalPolicy.DESTROY
