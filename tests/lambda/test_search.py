"""Search selections (ContactSelection.search) through the synthesized asset against the Connect emulator:
which contacts are stamped, the cap, Update and Delete, listings across invocations, throttling, calls per
contact, and the instance probe that tells a missing instance from missing contacts."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import resource_properties, string_properties

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
T0 = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
WINDOW = {"InitiatedAfter": "2026-10-01T00:00:00Z", "InitiatedBefore": "2026-10-02T00:00:00Z"}


def search_properties(query, attributes=None, **options):
    properties = resource_properties(
        INSTANCE, ["placeholder"], {"a": "1"} if attributes is None else attributes, **options
    )
    del properties["ContactIds"]
    properties["ContactSearch"] = string_properties({"MaxContacts": 10_000, **query})
    return properties


def seed(emulator, *contacts):
    emulator.add_contacts(INSTANCE, [SeedContact(**contact) for contact in contacts])


def contact(contact_id, seconds, channel="EMAIL", **fields):
    return {"contact_id": contact_id, "initiation_timestamp": T0 + seconds, "channel": channel, **fields}


def stamped(emulator, ids, key="a"):
    return {contact_id for contact_id in ids if emulator.attributes(INSTANCE, contact_id).get(key)}


def calls(emulator, since=0):
    return Counter(r.operation for r in emulator.requests[since:] if r.status != 429)


@pytest.fixture
def fast_search(emulator):
    """The emulator's SearchContacts quota lifted: the handler still paces it at 0.5/s itself."""
    emulator.set_quota(rate=math.inf, operation="SearchContacts")
    return emulator


EVERYONE = [
    contact("before-start", -0.001),
    contact("at-start", 0, queue_id="billing"),
    contact("task", 10, channel="TASK", queue_id="billing"),
    contact("voice", 20, channel="VOICE", queue_id="billing"),
    contact("sales", 30, queue_id="sales"),
    contact("inbound", 40, queue_id="billing", initiation_method="INBOUND"),
    contact("last", 86_399.999, queue_id="billing"),
    contact("at-end", 86_400, queue_id="billing"),
]
ALL_IDS = [c["contact_id"] for c in EVERYONE]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"at-start", "task", "voice", "sales", "inbound", "last"}),
        ({"Channels": ["EMAIL", "TASK"]}, {"at-start", "task", "sales", "inbound", "last"}),
        ({"QueueIds": ["billing"]}, {"at-start", "task", "voice", "inbound", "last"}),
        ({"InitiationMethods": ["INBOUND"]}, {"inbound"}),
        ({"Channels": ["EMAIL"], "QueueIds": ["billing"], "InitiationMethods": ["API"]}, {"at-start", "last"}),
    ],
    ids=["window-edges", "channels", "queues", "methods", "all-filters"],
)
def test_only_the_contacts_the_search_returns_are_stamped(lambda_runner, fast_search, filters, expected):
    seed(fast_search, *EVERYONE)
    result = lambda_runner.send(lambda_runner.event("Create", search_properties({**WINDOW, **filters})))
    assert result.status == "SUCCESS", result.response
    assert stamped(fast_search, ALL_IDS) == expected
    assert result.data["Updated"] == str(len(expected))


def test_a_relative_window_ends_when_the_operation_runs(lambda_runner, fast_search):
    now = time.time()
    fast_search.add_contacts(
        INSTANCE,
        [
            SeedContact("recent", channel="TASK", initiation_timestamp=now - 3_600),
            SeedContact("old", channel="TASK", initiation_timestamp=now - 3 * 86_400),
            SeedContact("future", channel="TASK", initiation_timestamp=now + 3_600),
        ],
    )
    result = lambda_runner.send(
        lambda_runner.event("Create", search_properties({"InitiatedWithinSeconds": 2 * 86_400}))
    )
    assert result.status == "SUCCESS", result.response
    assert stamped(fast_search, ["recent", "old", "future"]) == {"recent"}


def test_more_matches_than_max_contacts_fail_before_any_write(lambda_runner, fast_search):
    seed(fast_search, *EVERYONE)
    result = lambda_runner.send(lambda_runner.event("Create", search_properties({**WINDOW, "MaxContacts": 5})))
    assert result.status == "FAILED"
    reason = result.response["Reason"]
    assert reason.startswith("the search selects 6 contacts, more than max_contacts=5")
    assert "split it by time window into 2 resources" in reason and "raise max_contacts" in reason
    assert len(reason) <= 256
    assert calls(fast_search) == Counter({"SearchContacts": 1})  # TotalCount only, then nothing


def test_a_search_that_cannot_finish_within_the_service_timeout_fails_before_any_write(lambda_runner, fast_search):
    seed(fast_search, *EVERYONE)
    properties = search_properties(WINDOW, max_requests_per_second=0.05)
    properties["ServiceTimeoutSeconds"] = "60"
    result = lambda_runner.send(lambda_runner.event("Create", properties))
    assert result.status == "FAILED"
    reason = result.response["Reason"]
    assert reason.startswith("6 contacts (the search's 6, up to 0 leaving it) cannot finish within the ServiceTimeout")
    assert "of 60 s at max_requests_per_second=0.05 (about 2 can)" in reason
    assert "split the search by time window into 3 resources" in reason
    assert calls(fast_search) == Counter({"SearchContacts": 1})


def test_update_clears_the_contacts_the_old_query_matches_and_the_new_one_does_not(lambda_runner, fast_search):
    seed(fast_search, *EVERYONE)
    old = search_properties({**WINDOW, "Channels": ["EMAIL"]}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", old))
    assert stamped(fast_search, ALL_IDS) == {"at-start", "sales", "inbound", "last"}

    new = search_properties({**WINDOW, "QueueIds": ["billing"]}, {"a": "2"}, removal_policy="DESTROY")
    updated = lambda_runner.send(
        lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id)
    )
    assert updated.status == "SUCCESS", updated.response
    values = {contact_id: fast_search.attributes(INSTANCE, contact_id).get("a") for contact_id in ALL_IDS}
    assert values == {
        "before-start": None,
        "at-start": "2",  # in both: follows the new declaration
        "task": "2",  # new
        "voice": "2",
        "sales": "",  # left the selection: cleared
        "inbound": "2",
        "last": "2",
        "at-end": None,
    }


def test_update_with_only_a_new_revision_reapplies_and_leaves_contacts_that_fell_out_of_the_window(
    lambda_runner, fast_search
):
    now = time.time()
    fast_search.add_contacts(INSTANCE, [SeedContact("aging", channel="TASK", initiation_timestamp=now - 60)])
    old = search_properties({"InitiatedWithinSeconds": 86_400, "Revision": "1"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", old))
    assert stamped(fast_search, ["aging"]) == {"aging"}
    # a day later: "aging" has left the window and a new contact has arrived
    fast_search.add_contacts(
        INSTANCE,
        [
            SeedContact("aging", channel="TASK", initiation_timestamp=now - 2 * 86_400, attributes={"a": "1"}),
            SeedContact("fresh", channel="TASK", initiation_timestamp=now - 60),
        ],
    )
    new = search_properties({"InitiatedWithinSeconds": 86_400, "Revision": "2"}, removal_policy="DESTROY")
    mark = len(fast_search.requests)
    updated = lambda_runner.send(
        lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id)
    )
    assert updated.status == "SUCCESS", updated.response
    assert fast_search.attributes(INSTANCE, "aging") == {"a": "1"}  # kept: the old window, now, does not hold it
    assert fast_search.attributes(INSTANCE, "fresh") == {"a": "1"}
    assert calls(fast_search, mark)["SearchContacts"] == 1  # same query: no listing of contacts that left


def test_an_update_from_ids_to_a_search_and_back(lambda_runner, fast_search):
    seed(fast_search, *EVERYONE)
    ids = resource_properties(INSTANCE, ["before-start", "at-start"], {"a": "1"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", ids))
    search = search_properties({**WINDOW, "Channels": ["TASK", "VOICE"]}, removal_policy="DESTROY")
    shown = ("before-start", "at-start", "task", "voice")
    for old, new, values in ((ids, search, ("", "", "1", "1")), (search, ids, ("1", "1", "", ""))):
        updated = lambda_runner.send(
            lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id)
        )
        assert updated.status == "SUCCESS", updated.response
        assert tuple(fast_search.attributes(INSTANCE, c).get("a") for c in shown) == values


def test_delete_with_destroy_runs_the_deployed_query_again(lambda_runner, fast_search):
    seed(fast_search, *EVERYONE)
    properties = search_properties({**WINDOW, "Channels": ["TASK"]}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", properties))
    fast_search.add_contacts(INSTANCE, [SeedContact("task-later", channel="TASK", initiation_timestamp=T0 + 50)])
    deleted = lambda_runner.send(lambda_runner.event("Delete", properties, physical_id=created.physical_id))
    assert deleted.status == "SUCCESS"
    assert fast_search.attributes(INSTANCE, "task") == {"a": ""}
    assert fast_search.attributes(INSTANCE, "task-later") == {}  # never held our value: nothing to clear
    assert deleted.data["Updated"] == "1" and deleted.data["Unchanged"] == "1"

    retained = search_properties({**WINDOW, "Channels": ["TASK"]})
    mark = len(fast_search.requests)
    lambda_runner.send(lambda_runner.event("Delete", retained, physical_id=created.physical_id))
    assert fast_search.requests[mark:] == []  # RETAIN: no call at all


def test_a_listing_spans_several_invocations_with_the_largest_tokens_and_small_hand_offs(lambda_runner, fast_search):
    fast_search.set_quota(rate=1000, burst=1000)
    fast_search.set_next_token_length(100_000)
    ids = [f"c{i:04d}" for i in range(450)]
    # pairs of contacts share an initiation time, seeded against ID order
    fast_search.add_contacts(
        INSTANCE,
        [SeedContact(ids[i], channel="TASK", initiation_timestamp=T0 + (i // 2)) for i in reversed(range(450))],
    )
    properties = search_properties(WINDOW, {"a": "1", "b": "2"}, max_requests_per_second=100)
    result = lambda_runner.send(lambda_runner.event("Create", properties), timeout_seconds=7)

    assert result.status == "SUCCESS", result.response
    assert result.data["Updated"] == "450" and result.data["Failed"] == "0"
    assert len(result.invocation_starts) >= 2
    writes = Counter(
        r.contact_id for r in fast_search.requests if r.operation == "UpdateContactAttributes" and r.status == 200
    )
    assert writes == Counter({contact_id: 1 for contact_id in ids})  # each once, none redone
    payloads = [len(json.dumps(invocation.payload)) for invocation in lambda_runner.lambda_service.invocations]
    assert payloads and max(payloads) < 20_000  # the cursor, never a 100,000-character NextToken
    # pages already worked through are not fetched again: 5 pages, plus at most one overlap per hand-off
    searches = sum(1 for r in fast_search.requests if r.operation == "SearchContacts")
    assert searches <= 5 + 2 * len(result.hand_offs)
    assert all(fast_search.attributes(INSTANCE, c) == {"a": "1", "b": "2"} for c in ids)


def test_throttled_search_contacts_calls_are_retried(lambda_runner, emulator):
    emulator.set_quota(rate=0.3, burst=1, operation="SearchContacts")  # below the 0.5/s the handler assumes
    emulator.add_contacts(
        INSTANCE, [SeedContact(f"t{i:03d}", channel="TASK", initiation_timestamp=T0 + i) for i in range(250)]
    )
    emulator.set_quota(rate=1000, burst=1000, operation="GetContactAttributes")
    emulator.set_quota(rate=1000, burst=1000, operation="UpdateContactAttributes")
    result = lambda_runner.send(
        lambda_runner.event("Create", search_properties(WINDOW, max_requests_per_second=200)), timeout_seconds=60
    )
    assert result.status == "SUCCESS", result.response
    assert result.data["Updated"] == "250"
    searches = [r for r in emulator.requests if r.operation == "SearchContacts"]
    assert any(r.status == 429 for r in searches)
    assert sum(r.status == 200 for r in searches) == 3


def test_the_search_result_saves_describe_contact_calls(lambda_runner, fast_search):
    seed(
        fast_search,
        contact("e1", 1),
        contact("t1", 2, channel="TASK"),
        contact("v1", 3, channel="VOICE"),
        contact("c1", 4, channel="CHAT"),
    )
    ids = ["e1", "t1", "v1", "c1"]
    expiry_only = search_properties(WINDOW, {}, expiry_minutes=60)
    created = lambda_runner.send(lambda_runner.event("Create", expiry_only))
    assert created.status == "SUCCESS", created.response
    assert created.data["ExpirySkipped"] == "2"
    # voice and chat: the search result tells the channel, so no call at all; email and task have no expiry yet
    assert calls(fast_search) == Counter({"SearchContacts": 1, "DescribeContact": 2, "UpdateContact": 2})
    mark = len(fast_search.requests)
    repeat = lambda_runner.send(lambda_runner.event("Create", expiry_only))
    assert repeat.data["Unchanged"] == "4"
    # the search results now carry connect:ContactExpiry: nothing to read
    assert calls(fast_search, mark) == Counter({"SearchContacts": 1})

    # the same contacts as an ID list: one DescribeContact each, every time (and the instance probe)
    listed = resource_properties(INSTANCE, ids, {}, expiry_minutes=60)
    mark = len(fast_search.requests)
    lambda_runner.send(lambda_runner.event("Create", listed, logical_id="Listed"))
    assert calls(fast_search, mark) == Counter({"DescribeInstanceAttribute": 1, "DescribeContact": 4})

    # with attributes too, a contact is read once either way (DescribeContact carries its attributes)
    both = search_properties(WINDOW, {"a": "1"}, expiry_minutes=60)
    mark = len(fast_search.requests)
    lambda_runner.send(lambda_runner.event("Create", both, logical_id="Both"))
    assert calls(fast_search, mark) == Counter(
        {"SearchContacts": 1, "GetContactAttributes": 4, "UpdateContactAttributes": 4}
    )


def test_a_missing_instance_or_another_region_fails_before_any_write_naming_both(lambda_runner, emulator):
    emulator.add_instance(INSTANCE, region="eu-central-1")
    emulator.add_contacts(INSTANCE, [SeedContact("c1", channel="TASK", initiation_timestamp=T0)])
    for properties in (
        resource_properties(INSTANCE, ["c1"], {"a": "1"}),  # the stack's Region (eu-west-2): not there
        resource_properties("no-such-instance", ["c1"], {"a": "1"}, region="eu-central-1"),
        search_properties(WINDOW),
    ):
        result = lambda_runner.send(lambda_runner.event("Create", properties))
        assert result.status == "FAILED"
        instance, region = properties["InstanceId"], properties["Region"]
        assert result.response["Reason"].startswith(f"Amazon Connect instance {instance} was not found in {region}")
        assert "nothing was written" in result.response["Reason"]
    # IDs: the one DescribeInstanceAttribute of the instance probe; a search: its own first SearchContacts call
    assert [r.operation for r in emulator.requests] == ["DescribeInstanceAttribute"] * 2 + ["SearchContacts"]
    assert emulator.attributes(INSTANCE, "c1") == {}

    # the right Region: the instance answers, and a contact it does not hold is missing, not a failure
    found = lambda_runner.send(
        lambda_runner.event("Create", resource_properties(INSTANCE, ["c1", "gone"], {"a": "1"}, region="eu-central-1"))
    )
    assert found.status == "SUCCESS", found.response
    assert found.data["Updated"] == "1" and found.data["Missing"] == "1"


def test_an_instance_probe_that_is_denied_is_inconclusive_and_the_operation_goes_on(lambda_runner, emulator):
    """Only ResourceNotFoundException is decisive: a missing grant (AccessDenied) is logged, not a failure."""
    emulator.add_instance(INSTANCE)
    emulator.add_contacts(INSTANCE, [SeedContact("c1", channel="TASK", initiation_timestamp=T0)])
    emulator.denied_operations.add("DescribeInstanceAttribute")
    result = lambda_runner.send(lambda_runner.event("Create", resource_properties(INSTANCE, ["c1"], {"a": "1"})))
    assert result.status == "SUCCESS", result.response
    assert result.data["Updated"] == "1"
    assert emulator.attributes(INSTANCE, "c1") == {"a": "1"}
    assert "instance probe inconclusive" in result.logs
