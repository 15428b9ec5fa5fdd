"""The lease against DynamoDB's API (moto's server mode over HTTP): one chain per resource, whatever is delivered twice."""

import threading
import time

import pytest

from contact_reconciler.resource_lease import Claim, LeaseLost, ResourceLease, Superseded, lease_exists


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def lease(dynamodb, table, request_id, invocation=1, clock=None, logical_id="Defaults1", heartbeat_seconds=5.0):
    return ResourceLease(
        dynamodb,
        table,
        logical_id,
        request_id,
        invocation,
        clock=clock or time.time,
        heartbeat_seconds=heartbeat_seconds,
    )


def others_at_work(held):
    """Whether another chain may still write: wait_for_others answers at once when none may."""
    return not held.wait_for_others(0)


def test_the_first_delivery_holds_and_a_second_delivery_of_the_same_event_stops(dynamodb, state_table):
    first = lease(dynamodb, state_table, "create-1")
    assert not lease_exists(dynamodb, state_table, "Defaults1")
    assert first.acquire(time.time() + 60) is Claim.HELD
    assert lease_exists(dynamodb, state_table, "Defaults1")
    again = lease(dynamodb, state_table, "create-1")
    assert again.acquire(time.time() + 60) is Claim.DUPLICATE  # its holder's heartbeat is fresh
    assert first.wait_for_others(0)  # only create-1's own chain is at work


def test_a_hand_off_is_claimed_once(dynamodb, state_table):
    first = lease(dynamodb, state_table, "op-1")
    assert first.acquire(time.time() + 60) is Claim.HELD
    assert first.hand_off()
    second = lease(dynamodb, state_table, "op-1", invocation=2)
    assert second.claim(time.time() + 60) is Claim.HELD
    assert lease(dynamodb, state_table, "op-1", invocation=2).claim(time.time() + 60) is Claim.DUPLICATE
    assert lease(dynamodb, state_table, "op-1", invocation=1).claim(time.time() + 60) is Claim.DUPLICATE
    assert not first.hand_off()  # invocation 1 no longer holds it


def test_a_retry_takes_over_once_the_holders_heartbeat_is_stale_not_before(dynamodb, state_table):
    clock = Clock()
    holder = lease(dynamodb, state_table, "op-1", clock=clock)
    assert holder.acquire(clock.now + 900) is Claim.HELD
    started = clock.now
    clock.now += 20
    holder.beat()  # alive at +20 s
    retry = lease(dynamodb, state_table, "op-1", clock=clock)
    clock.now += 29  # 29 s after the last heartbeat: not yet stale (6 beats of 5 s)
    assert retry.acquire(clock.now + 900) is Claim.DUPLICATE
    assert not retry.took_over
    clock.now += 2  # 31 s: the holder died (a live one writes every 5 s), long before its Lambda deadline
    assert retry.acquire(clock.now + 900) is Claim.HELD
    assert retry.took_over
    assert retry.started_at == started  # the ServiceTimeout still counts from the first attempt
    with pytest.raises(Superseded):
        holder.beat()  # had it been alive after all, it learns it lost the lease at its next beat


def test_a_retry_of_a_hand_off_takes_over_from_its_dead_holder_with_the_operations_start(dynamodb, state_table):
    clock = Clock()
    first = lease(dynamodb, state_table, "op-1", clock=clock)
    assert first.acquire(clock.now + 900) is Claim.HELD
    started = clock.now
    clock.now += 800
    assert first.hand_off()
    second = lease(dynamodb, state_table, "op-1", invocation=2, clock=clock)
    assert second.claim(clock.now + 900) is Claim.HELD
    assert not second.took_over and second.started_at == started
    clock.now += 31  # invocation 2 died
    retry = lease(dynamodb, state_table, "op-1", invocation=2, clock=clock)
    assert retry.claim(clock.now + 900) is Claim.HELD
    assert retry.took_over and retry.started_at == started


def test_a_holder_that_cannot_write_its_heartbeat_stops_calling_connect_before_anyone_may_take_over(
    dynamodb, state_table
):
    clock = Clock()
    holder = lease(dynamodb, state_table, "op-1", clock=clock)
    assert holder.acquire(clock.now + 900) is Claim.HELD
    clock.now += 15  # 3 beats without a successful heartbeat (the table unreachable, say)
    holder.check()
    clock.now += 0.1
    with pytest.raises(LeaseLost):
        holder.check()
    assert holder.lost
    retry = lease(dynamodb, state_table, "op-1", clock=clock)
    assert retry.acquire(clock.now + 900) is Claim.DUPLICATE  # 15 s: the fenced holder is not yet taken for dead
    clock.now += 15.1
    assert retry.acquire(clock.now + 900) is Claim.HELD  # 15 s after the holder stopped calling Connect


def test_the_heartbeat_stores_the_progress_record_and_the_watcher_writes_it(dynamodb, state_table):
    holder = lease(dynamodb, state_table, "op-1", heartbeat_seconds=0.2)
    assert holder.acquire(time.time() + 60) is Claim.HELD
    holder.progress = lambda: {"M": {"done": {"N": "7"}}}
    with holder:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            item = dynamodb.get_item(
                TableName=state_table, Key={"pk": {"S": "lease"}, "sk": {"S": "Defaults1"}}, ConsistentRead=True
            )["Item"]
            if "progress" in item:
                break
            time.sleep(0.05)
        assert item["progress"] == {"M": {"done": {"N": "7"}}}
        assert float(item["chain:op-1"]["M"]["heartbeat"]["N"]) > float(item["chain:op-1"]["M"]["started"]["N"])
        holder.check()
    item = dynamodb.get_item(TableName=state_table, Key={"pk": {"S": "lease"}, "sk": {"S": "Defaults1"}})["Item"]
    assert "chain:op-1" not in item  # leaving the block released the chain
    assert "progress" in item  # the record outlives the chain


def test_a_later_operation_supersedes_and_waits_until_the_earlier_chain_stopped(dynamodb, state_table):
    earlier = lease(dynamodb, state_table, "create-1")
    assert earlier.acquire(time.time() + 60) is Claim.HELD
    earlier.start_watch()
    later = lease(dynamodb, state_table, "delete-1")
    assert later.acquire(time.time() + 60) is Claim.HELD
    assert later.wait_for_others(0.2) is False  # the earlier chain has not stopped yet

    deadline = time.monotonic() + 5
    while not earlier.superseded and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(Superseded):
        earlier.check()
    threading.Timer(0.3, earlier.release).start()
    started = time.monotonic()
    assert later.wait_for_others(10) is True
    assert 0.2 <= time.monotonic() - started < 5
    later.check()  # still the owner


def test_a_handed_off_invocation_that_starts_after_a_later_operation_is_superseded(dynamodb, state_table):
    forward = lease(dynamodb, state_table, "update-1")
    assert forward.acquire(time.time() + 60) is Claim.HELD
    assert forward.hand_off()
    rollback = lease(dynamodb, state_table, "rollback-1")
    assert rollback.acquire(time.time() + 60) is Claim.HELD
    assert others_at_work(rollback)  # handed off, not yet started: it may still start
    late = lease(dynamodb, state_table, "update-1", invocation=2)
    assert late.claim(time.time() + 60) is Claim.SUPERSEDED
    late.release()
    assert rollback.wait_for_others(1) is True


def test_a_dead_chain_blocks_a_later_operation_only_until_its_heartbeat_is_stale(dynamodb, state_table):
    clock = Clock()
    assert lease(dynamodb, state_table, "create-1", clock=clock).acquire(clock.now + 900) is Claim.HELD
    later = lease(dynamodb, state_table, "delete-1", clock=clock)
    assert later.acquire(clock.now + 900) is Claim.HELD
    assert others_at_work(later)
    clock.now += 31  # the chain died without releasing: its stale heartbeat ends the wait, not its deadline
    assert later.wait_for_others(0) is True


def test_delete_removes_the_lease_unless_a_later_operation_holds_it(dynamodb, state_table):
    first = lease(dynamodb, state_table, "delete-1")
    assert first.acquire(time.time() + 60) is Claim.HELD
    assert lease(dynamodb, state_table, "create-2").acquire(time.time() + 60) is Claim.HELD
    first.delete()
    assert lease_exists(dynamodb, state_table, "Defaults1")
    last = lease(dynamodb, state_table, "delete-2")
    assert last.acquire(time.time() + 60) is Claim.HELD
    last.delete()
    assert not lease_exists(dynamodb, state_table, "Defaults1")
