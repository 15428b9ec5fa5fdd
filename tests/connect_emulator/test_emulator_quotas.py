"""Token buckets per operation and fault injection, through a real boto3 client."""

from __future__ import annotations

import math
import threading
import time

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import INSTANCE, error_of, make_client

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact
from connect_contact_defaults.testing.connect_emulator.quotas import Fault, FaultInjector, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def seeded(emulator: ConnectEmulator) -> ConnectEmulator:
    emulator.add_contacts(
        INSTANCE,
        [SeedContact("email-1", channel="EMAIL", attributes={"a": "1"}), SeedContact("task-1", channel="TASK")],
    )
    return emulator


def statuses(calls: int, call) -> list[int]:
    """HTTP status of each of ``calls`` calls: 200, or the ClientError's status."""
    result = []
    for _ in range(calls):
        try:
            response = call()
            result.append(response["ResponseMetadata"]["HTTPStatusCode"])
        except ClientError as error:
            result.append(error_of(error)[1])
    return result


def get_attributes(client):
    return lambda: client.get_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1")


# --- the bucket itself ---


def test_token_bucket_gives_the_burst_then_refills_at_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=10.0, burst=15, clock=clock)

    assert [bucket.try_take() for _ in range(16)] == [True] * 15 + [False]
    clock.now += 0.1  # one token
    assert [bucket.try_take() for _ in range(2)] == [True, False]
    clock.now += 0.25  # two and a half tokens
    assert [bucket.try_take() for _ in range(3)] == [True, True, False]
    clock.now += 100.0  # never more than the burst
    assert sum(bucket.try_take() for _ in range(20)) == 15


def test_token_bucket_with_infinite_rate_never_runs_dry():
    bucket = TokenBucket(rate=math.inf, burst=1)
    assert all(bucket.try_take() for _ in range(1000))


@pytest.mark.parametrize(("rate", "burst"), [(-1.0, 5), (1.0, 0), (1.0, 2.5), (float("nan"), 1)])
def test_invalid_quotas_are_refused(rate, burst):
    with pytest.raises(ValueError):
        TokenBucket(rate, burst)


# --- quotas through the API ---


def test_default_quota_gives_a_burst_of_15_then_429():
    clock = FakeClock()  # frozen: no token comes back during the burst, however slow the machine
    with seeded(ConnectEmulator(clock=clock)) as emulator:
        client = make_client(emulator.endpoint_url)

        assert emulator.quota("GetContactAttributes") == (10.0, 15)
        results = statuses(20, get_attributes(client))

        assert results == [200] * 15 + [429] * 5
        with pytest.raises(ClientError) as caught:
            get_attributes(client)()
        assert error_of(caught.value) == ("ThrottlingException", 429, "Rate exceeded")
        logged = [(record.status, record.error_code) for record in emulator.requests]
        assert logged == [(200, None)] * 15 + [(429, "ThrottlingException")] * 6

        clock.now += 0.1  # 10 per second: one token back
        assert statuses(2, get_attributes(client)) == [200, 429]
        clock.now += 1.0
        assert statuses(12, get_attributes(client)) == [200] * 10 + [429] * 2


def test_each_operation_has_its_own_bucket():
    with seeded(ConnectEmulator(rate=0.0, burst=2, clock=FakeClock())) as emulator:
        client = make_client(emulator.endpoint_url)
        assert statuses(3, get_attributes(client)) == [200, 200, 429]

        describe = lambda: client.describe_contact(InstanceId=INSTANCE, ContactId="email-1")  # noqa: E731
        assert statuses(3, describe) == [200, 200, 429]


def test_update_contact_attributes_is_throttled_too_although_the_model_lists_no_throttling():
    with seeded(ConnectEmulator(rate=0.0, burst=1)) as emulator:
        client = make_client(emulator.endpoint_url)
        client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1", Attributes={"b": "1"})
        with pytest.raises(ClientError) as caught:
            client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1", Attributes={"c": "1"})

        assert error_of(caught.value)[:2] == ("ThrottlingException", 429)
        assert emulator.attributes(INSTANCE, "email-1") == {"a": "1", "b": "1"}


def test_tokens_refill_in_real_time():
    with seeded(ConnectEmulator(rate=4.0, burst=1)) as emulator:
        client = make_client(emulator.endpoint_url)
        assert statuses(2, get_attributes(client)) == [200, 429]  # the second comes far sooner than 250 ms
        time.sleep(0.3)
        assert statuses(1, get_attributes(client)) == [200]


def test_set_quota_for_one_operation_and_for_all():
    clock = FakeClock()
    with seeded(ConnectEmulator(clock=clock)) as emulator:
        client = make_client(emulator.endpoint_url)

        emulator.set_quota(rate=0.0, burst=3, operation="GetContactAttributes")
        assert emulator.quota("GetContactAttributes") == (0.0, 3)
        assert emulator.quota("DescribeContact") == (10.0, 15)
        assert statuses(4, get_attributes(client)) == [200, 200, 200, 429]

        emulator.set_quota(burst=2)  # every operation; the rate is kept
        assert emulator.quota("GetContactAttributes") == (0.0, 2)
        assert emulator.quota("UpdateContact") == (10.0, 2)
        assert statuses(3, get_attributes(client)) == [200, 200, 429]

        emulator.set_quota(rate=math.inf)
        assert statuses(30, get_attributes(client)) == [200] * 30

        with pytest.raises(ValueError, match="ListInstances"):
            emulator.set_quota(rate=1.0, operation="ListInstances")


def test_quotas_are_shared_by_all_callers():
    with seeded(ConnectEmulator(rate=0.0, burst=10)) as emulator:
        results: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            own = statuses(5, get_attributes(make_client(emulator.endpoint_url)))
            with lock:
                results.extend(own)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(results) == [200] * 10 + [429] * 10


# --- fault injection ---


def test_throttle_share_of_one_throttles_everything_and_writes_nothing():
    with seeded(ConnectEmulator(rate=math.inf, throttle_share=1.0)) as emulator:
        client = make_client(emulator.endpoint_url)
        calls = [
            lambda: client.update_contact_attributes(
                InstanceId=INSTANCE, InitialContactId="email-1", Attributes={"b": "2"}
            ),
            lambda: client.update_contact(
                InstanceId=INSTANCE,
                ContactId="email-1",
                SegmentAttributes={"connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 5}}}},
            ),
            get_attributes(client),
        ]
        for call in calls:
            with pytest.raises(ClientError) as caught:
                call()
            assert error_of(caught.value)[:2] == ("ThrottlingException", 429)

        assert emulator.attributes(INSTANCE, "email-1") == {"a": "1"}
        assert emulator.expiry_minutes(INSTANCE, "email-1") is None
        assert [record.status for record in emulator.requests] == [429, 429, 429]


def test_error_share_answers_500_internal_service_exception_and_writes_nothing():
    with seeded(ConnectEmulator(rate=math.inf, error_share=1.0)) as emulator:
        client = make_client(emulator.endpoint_url)
        with pytest.raises(ClientError) as caught:
            client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1", Attributes={"b": "2"})

        assert error_of(caught.value)[:2] == ("InternalServiceException", 500)
        assert emulator.attributes(INSTANCE, "email-1") == {"a": "1"}

        emulator.set_faults(error_share=0.0)
        client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1", Attributes={"b": "2"})
        assert emulator.attributes(INSTANCE, "email-1") == {"a": "1", "b": "2"}


def test_fault_shares_are_repeatable_for_a_seed():
    def run(seed: int) -> list[int]:
        with seeded(ConnectEmulator(rate=math.inf, throttle_share=0.3, error_share=0.3, seed=seed)) as emulator:
            return statuses(40, get_attributes(make_client(emulator.endpoint_url)))

    first, again, other = run(7), run(7), run(8)

    assert first == again
    assert first != other
    assert set(first) == {200, 429, 500}


def test_fault_injector_draws_in_proportion():
    injector = FaultInjector(throttle_share=0.25, error_share=0.5, seed=1)
    draws = [injector.draw() for _ in range(10_000)]

    assert 2_300 < draws.count(Fault.THROTTLE) < 2_700
    assert 4_700 < draws.count(Fault.ERROR) < 5_300
    assert 2_300 < draws.count(None) < 2_700


@pytest.mark.parametrize(
    "settings",
    [{"throttle_share": 1.5}, {"error_share": -0.1}, {"throttle_share": 0.6, "error_share": 0.6}, {"latency_s": -1.0}],
)
def test_invalid_fault_settings_are_refused(settings):
    emulator = ConnectEmulator()
    with pytest.raises(ValueError):
        emulator.set_faults(**settings)


def test_latency_is_added_to_every_answer_without_serialising_requests():
    with seeded(ConnectEmulator(rate=math.inf)) as emulator:
        client = make_client(emulator.endpoint_url)
        get_attributes(client)()  # connection set up
        started = time.perf_counter()
        get_attributes(client)()
        baseline = time.perf_counter() - started

        emulator.set_faults(latency_s=0.3)
        started = time.perf_counter()
        get_attributes(client)()
        assert time.perf_counter() - started >= 0.3
        assert baseline < 0.3

        clients = [make_client(emulator.endpoint_url) for _ in range(5)]
        threads = [threading.Thread(target=get_attributes(each)) for each in clients]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        assert 0.3 <= elapsed < 1.2  # five requests sleeping in parallel, not one after another (1.5 s)
        assert [record.status for record in emulator.requests][-5:] == [200] * 5
