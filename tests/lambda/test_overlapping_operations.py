"""Operations that overlap on one resource, and deliveries Lambda repeats: one chain may write at a time.

The synthesized asset against the Connect emulator, with the state table in moto's DynamoDB and the runner's
local Lambda Invoke API: a hand-off starts as soon as it is invoked, in parallel with anything else, as on Lambda.
Each call in the emulator's request log carries its chain's RequestId in its User-Agent.
"""

import time
from collections import Counter

import pytest

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import resource_properties

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
CFN_GENERATED_ID = "ContactDefaultsExampleStack-GreetingDefaults-1X2Y3Z4W5V6U"
"""What CloudFormation sends as the physical ID of a Create that never answered."""


def seed_tasks(emulator, count, attributes=None):
    ids = [f"task-{n:03d}" for n in range(count)]
    emulator.add_contacts(INSTANCE, (SeedContact(c, channel="TASK", attributes=dict(attributes or {})) for c in ids))
    return ids


def of_request(record, event):
    return f"request/{event['RequestId']}" in record.user_agent


def writes_of(emulator, event):
    return [r for r in emulator.requests if r.is_write and r.status == 200 and of_request(r, event)]


def first_call_of(emulator, event):
    return min(r.time for r in emulator.requests if of_request(r, event))


def wait_until(predicate, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def busiest_second_per_api(records):
    """The most calls to one API that arrived within any one second, per API (retries included)."""
    by_api = {}
    for record in records:
        by_api.setdefault(record.operation, []).append(record.time)
    busiest = {}
    for operation, times in by_api.items():
        times.sort()
        busiest[operation] = max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))
    return busiest


def test_a_hand_off_and_a_first_event_delivered_twice_run_as_one_chain(lambda_runner, emulator):
    ids = seed_tasks(emulator, 40)
    props = resource_properties(INSTANCE, ids, {"a": "1"}, max_requests_per_second=8)
    lambda_runner.hand_off_deliveries = 2  # Lambda delivers each hand-off twice, at once
    event = lambda_runner.event("Create", props)
    result = lambda_runner.send(event, deliveries=2, timeout_seconds=6)  # and CloudFormation's event too

    assert result.status == "SUCCESS", result.response
    assert len(result.responses) == 1  # one response to CloudFormation in all
    assert result.data["Updated"] == "40"
    assert len(result.hand_offs) >= 1
    assert len(result.invocation_starts) == 2 * (1 + len(result.hand_offs))  # every delivery ran...
    # ...and every second delivery stopped at once: no Connect call, no response
    assert result.logs.count("already at work (a second delivery): stopping") == 1 + len(result.hand_offs)
    writes = Counter(r.contact_id for r in emulator.requests if r.operation == "UpdateContactAttributes")
    assert writes == Counter(dict.fromkeys(ids, 1))  # each contact written once
    assert all(count <= 8 for count in busiest_second_per_api(emulator.requests).values())


@pytest.mark.parametrize("removal_policy", ["DESTROY", "RETAIN"])
def test_a_cancelled_create_is_undone_by_its_delete_while_its_chain_is_still_at_work(
    lambda_runner, emulator, removal_policy
):
    ids = seed_tasks(emulator, 40)
    props = resource_properties(INSTANCE, ids, {"a": "1"}, removal_policy=removal_policy, max_requests_per_second=6)
    create = lambda_runner.event("Create", props)
    create_chain = lambda_runner.start(create, timeout_seconds=6)  # hands off every few seconds
    wait_until(lambda: len(writes_of(emulator, create)) >= 10)

    # another resource failed: CloudFormation cancels the Create and at once sends the Delete, with an ID of its own
    delete = lambda_runner.event("Delete", props, physical_id=CFN_GENERATED_ID)
    deleted = lambda_runner.send(delete, timeout_seconds=6)
    cancelled = create_chain.result()

    assert deleted.status == "SUCCESS"
    assert deleted.physical_id == CFN_GENERATED_ID
    assert len(cancelled.responses) == 1 and cancelled.status == "FAILED"  # ignored by CloudFormation
    assert "superseded by a later operation" in cancelled.response["Reason"]
    written = {r.contact_id for r in writes_of(emulator, create)}
    assert 10 <= len(written) < 40  # the Create's chain stopped part-way
    delete_began = first_call_of(emulator, delete) if removal_policy == "DESTROY" else time.monotonic()
    assert [r for r in writes_of(emulator, create) if r.time > delete_began] == []
    if removal_policy == "DESTROY":  # nothing the rolled-back Create wrote remains
        assert all(emulator.attributes(INSTANCE, c).get("a", "") == "" for c in ids)
    else:  # RETAIN: what it wrote stays; the Delete made no Connect call
        assert not any(of_request(r, delete) for r in emulator.requests)
        assert {c for c in ids if emulator.attributes(INSTANCE, c) == {"a": "1"}} == written
    assert all(count <= 6 for count in busiest_second_per_api(emulator.requests).values())


def test_a_cancelled_update_is_undone_by_its_rollback_while_its_chain_is_still_at_work(lambda_runner, emulator):
    ids = seed_tasks(emulator, 40)
    old = resource_properties(INSTANCE, ids, {"a": "old"}, removal_policy="DESTROY", max_requests_per_second=100)
    created = lambda_runner.send(lambda_runner.event("Create", old))
    new = resource_properties(INSTANCE, ids, {"a": "new"}, removal_policy="DESTROY", max_requests_per_second=6)
    old = {**old, "MaxRequestsPerSecond": "6"}

    update = lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id)
    mark = len(emulator.requests)
    update_chain = lambda_runner.start(update, timeout_seconds=6)
    wait_until(lambda: len(writes_of(emulator, update)) >= 10)
    rollback = lambda_runner.event("Update", old, old_properties=new, physical_id=created.physical_id)
    rolled_back = lambda_runner.send(rollback, timeout_seconds=6)
    cancelled = update_chain.result()

    assert rolled_back.status == "SUCCESS", rolled_back.response
    assert len(cancelled.responses) == 1 and cancelled.status == "FAILED"
    assert all(emulator.attributes(INSTANCE, c) == {"a": "old"} for c in ids)  # the old declaration, everywhere
    rollback_began = first_call_of(emulator, rollback)
    assert [r for r in writes_of(emulator, update) if r.time > rollback_began] == []
    moved = {r.contact_id for r in writes_of(emulator, update)}
    assert {r.contact_id for r in writes_of(emulator, rollback)} == moved  # it put back exactly what moved
    both_chains = emulator.requests[mark:]
    assert any(of_request(r, update) for r in both_chains)
    assert all(count <= 6 for count in busiest_second_per_api(both_chains).values())


def test_a_delete_for_a_create_that_never_started_makes_no_call(lambda_runner, emulator):
    ids = seed_tasks(emulator, 3, {"a": "1"})
    props = resource_properties(INSTANCE, ids, {"a": "1"}, removal_policy="DESTROY")
    deleted = lambda_runner.send(
        lambda_runner.event("Delete", props, physical_id=CFN_GENERATED_ID, logical_id="NeverCreated0A1B2C")
    )
    assert deleted.status == "SUCCESS"
    assert deleted.physical_id == CFN_GENERATED_ID
    assert emulator.requests == []
    assert all(emulator.attributes(INSTANCE, c) == {"a": "1"} for c in ids)
    assert "for a Create that never started" in deleted.logs
