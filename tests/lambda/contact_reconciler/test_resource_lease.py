"""The lease against DynamoDB's API (moto's server mode over HTTP): one chain per resource, whatever is delivered twice."""

import threading
import time

import pytest

from contact_reconciler.reconcile import Superseded
from contact_reconciler.resource_lease import Claim, ResourceLease, lease_exists


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def lease(dynamodb, table, request_id, invocation=1, clock=None, logical_id="Defaults1"):
    return ResourceLease(dynamodb, table, logical_id, request_id, invocation, clock=clock or time.time)


def test_the_first_delivery_holds_and_a_second_delivery_of_the_same_event_stops(dynamodb, state_table):
    first = lease(dynamodb, state_table, "create-1")
    assert not lease_exists(dynamodb, state_table, "Defaults1")
    assert first.acquire(time.time() + 60) is Claim.HELD
    assert lease_exists(dynamodb, state_table, "Defaults1")
    again = lease(dynamodb, state_table, "create-1")
    assert again.acquire(time.time() + 60) is Claim.DUPLICATE  # its holder's deadline has not passed
    assert again.others_at_work() == {}  # only create-1's own chain is at work


def test_a_hand_off_is_claimed_once(dynamodb, state_table):
    first = lease(dynamodb, state_table, "op-1")
    assert first.acquire(time.time() + 60) is Claim.HELD
    assert first.hand_off()
    second = lease(dynamodb, state_table, "op-1", invocation=2)
    assert second.claim(time.time() + 60) is Claim.HELD
    assert lease(dynamodb, state_table, "op-1", invocation=2).claim(time.time() + 60) is Claim.DUPLICATE
    assert lease(dynamodb, state_table, "op-1", invocation=1).claim(time.time() + 60) is Claim.DUPLICATE
    assert not first.hand_off()  # invocation 1 no longer holds it


def test_a_retry_after_the_holder_died_takes_over(dynamodb, state_table):
    clock = Clock()
    assert lease(dynamodb, state_table, "op-1", clock=clock).acquire(clock.now + 900) is Claim.HELD
    retry = lease(dynamodb, state_table, "op-1", clock=clock)
    assert retry.acquire(clock.now + 900) is Claim.DUPLICATE
    clock.now += 901  # the first delivery's Lambda deadline has passed: it cannot be at work any more
    assert retry.acquire(clock.now + 900) is Claim.HELD


def test_a_later_operation_supersedes_and_waits_until_the_earlier_chain_stopped(dynamodb, state_table):
    earlier = lease(dynamodb, state_table, "create-1")
    assert earlier.acquire(time.time() + 60) is Claim.HELD
    earlier.start_watch()
    later = lease(dynamodb, state_table, "delete-1")
    assert later.acquire(time.time() + 60) is Claim.HELD
    assert set(later.others_at_work()) == {"create-1"}
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
    assert "update-1" in rollback.others_at_work()  # handed off, not yet started: it may still start
    late = lease(dynamodb, state_table, "update-1", invocation=2)
    assert late.claim(time.time() + 60) is Claim.SUPERSEDED
    late.release()
    assert rollback.wait_for_others(1) is True


def test_a_stale_chain_blocks_a_later_operation_only_until_its_deadline(dynamodb, state_table):
    clock = Clock()
    assert lease(dynamodb, state_table, "create-1", clock=clock).acquire(clock.now + 30) is Claim.HELD
    later = lease(dynamodb, state_table, "delete-1", clock=clock)
    assert later.acquire(clock.now + 900) is Claim.HELD
    assert later.others_at_work() == {"create-1": clock.now + 30}
    clock.now += 31  # the chain died without releasing: its deadline bounds the wait
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
