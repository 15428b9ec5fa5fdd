"""The Connect client wrapper against the emulator over HTTP: retries of 429/5xx, no retry of 4xx, the deadline."""

import math
import socket
import time

import boto3
import pytest
from botocore.config import Config

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact
from contact_reconciler.connect_contacts import (
    UNREACHABLE_AFTER_SECONDS,
    ConnectCallFailed,
    ConnectContacts,
    ConnectUnreachable,
    ContactNotFound,
)
from contact_reconciler.request_pacer import ApiPacers, Deadline, OutOfTime

INSTANCE = "inst-1"


@pytest.fixture
def emulator():
    with ConnectEmulator(seed=3) as running:
        running.add_contact(INSTANCE, SeedContact("c1", channel="EMAIL", attributes={"k": "v"}))
        running.add_contact(INSTANCE, SeedContact("v1", channel="VOICE"))
        yield running


def make_client(emulator):
    return boto3.client(
        "connect",
        region_name="eu-west-2",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def contacts(emulator, *, rate=1000.0, deadline=30.0):
    return ConnectContacts(make_client(emulator), INSTANCE, ApiPacers(rate), Deadline(deadline), jitter=lambda: 0.1)


def test_reads_and_writes_through_the_api(emulator):
    connect = contacts(emulator)
    assert connect.get_attributes("c1") == {"k": "v"}
    connect.update_attributes("c1", {"a": "1"})
    connect.update_expiry("c1", 90)
    description = connect.describe("c1")
    assert (description.channel, description.expiry_minutes) == ("EMAIL", 90)
    assert emulator.attributes(INSTANCE, "c1") == {"k": "v", "a": "1"}
    assert connect.counts.calls == 4


def test_throttling_and_server_errors_are_retried_until_success(emulator):
    emulator.set_faults(throttle_share=0.4, error_share=0.3)
    connect = contacts(emulator)
    for i in range(10):
        connect.update_attributes("c1", {f"k{i}": "x"})
    assert all(emulator.attributes(INSTANCE, "c1")[f"k{i}"] == "x" for i in range(10))
    assert connect.counts.throttled > 0 and connect.counts.server_errors > 0
    assert connect.counts.calls == 10 + connect.counts.throttled + connect.counts.server_errors


def test_a_missing_contact_is_reported_as_not_found(emulator):
    with pytest.raises(ContactNotFound):
        contacts(emulator).get_attributes("nope")


def test_a_client_error_is_not_retried_and_names_operation_and_code(emulator):
    connect = contacts(emulator)
    with pytest.raises(ConnectCallFailed) as raised:
        connect.update_expiry("v1", 60)  # voice has no contact expiry
    assert str(raised.value) == "update_contact failed: InvalidRequestException (HTTP 400)"
    assert connect.counts.calls == 1


def test_retries_stop_at_the_deadline(emulator):
    emulator.set_faults(throttle_share=1.0)
    connect = contacts(emulator, deadline=1.0)
    with pytest.raises(OutOfTime):
        connect.get_attributes("c1")
    assert connect.counts.throttled == connect.counts.calls >= 2


def test_retries_draw_from_the_same_apis_budget(emulator):
    """A throttled call's retries are paced by its own API's budget, and leave the other APIs' budgets alone."""
    emulator.set_quota(rate=math.inf, burst=1)
    emulator.set_faults(throttle_share=0.5, seed=11)
    pacers = ApiPacers(5)
    connect = ConnectContacts(make_client(emulator), INSTANCE, pacers, Deadline(30), jitter=lambda: 0.0)
    for n in range(6):
        connect.update_attributes("c1", {f"k{n}": "x"})
    writes = sorted(r.time for r in emulator.requests if r.operation == "UpdateContactAttributes")
    assert len(writes) == 6 + connect.counts.throttled and connect.counts.throttled > 0
    # every attempt, retries included, was paced at 5/s: never more than 5 in any one second
    assert max(sum(1 for t in writes[i:] if t < start + 1.0) for i, start in enumerate(writes)) <= 5
    assert writes[-1] - writes[0] >= (len(writes) - 1) / 5 - 0.05
    started = time.monotonic()
    connect.get_attributes("c1")  # another API: its budget was not spent by those retries
    assert time.monotonic() - started < pacers.for_operation("get_contact_attributes").interval


def test_a_stop_signal_is_checked_before_every_call(emulator):
    class Stop(Exception):
        pass

    calls = []

    def before_call():
        calls.append(1)
        if len(calls) > 2:
            raise Stop

    client = make_client(emulator)
    connect = ConnectContacts(client, INSTANCE, ApiPacers(1000), Deadline(30), before_call=before_call)
    connect.get_attributes("c1")
    connect.update_attributes("c1", {"a": "1"})
    with pytest.raises(Stop):
        connect.update_attributes("c1", {"a": "2"})
    assert emulator.attributes(INSTANCE, "c1") == {"k": "v", "a": "1"}  # the third call was never sent


class ClosedPort:
    """An emulator stand-in whose endpoint is a port on 127.0.0.1 that nothing listens on."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.endpoint_url = f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_an_endpoint_that_never_answered_is_given_up_on_with_its_url():
    """Refused connections only: retried (backoff) for UNREACHABLE_AFTER_SECONDS, then ConnectUnreachable
    names the endpoint; nothing is counted as throttling."""
    closed = ClosedPort()
    slept: list[float] = []
    connect = ConnectContacts(make_client(closed), INSTANCE, ApiPacers(1000), Deadline(600), sleep=slept.append)
    with pytest.raises(ConnectUnreachable) as raised:
        connect.get_attributes("c1")
    assert closed.endpoint_url in str(raised.value) and raised.value.endpoint == closed.endpoint_url
    assert raised.value.operation == "get_contact_attributes" and raised.value.error_name == "EndpointConnectionError"
    assert sum(slept) >= UNREACHABLE_AFTER_SECONDS and len(slept) >= 3  # retried first: a blip is not fatal
    assert connect.counts.throttled == 0 and connect.counts.calls == len(slept) + 1


def test_an_endpoint_that_answered_once_is_retried_until_the_deadline(emulator):
    """Once Connect answered, connection errors are transient (as before): retried until the deadline."""
    connect = ConnectContacts(make_client(emulator), INSTANCE, ApiPacers(1000), Deadline(3), sleep=lambda _: None)
    assert connect.get_attributes("c1") == {"k": "v"}
    emulator.stop()
    with pytest.raises(OutOfTime):
        connect.get_attributes("c1")
