"""The Connect client wrapper against the emulator over HTTP: retries of 429/5xx, no retry of 4xx, the deadline."""

import boto3
import pytest
from botocore.config import Config

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact
from contact_reconciler.connect_contacts import ConnectCallFailed, ConnectContacts, ContactNotFound
from contact_reconciler.request_pacer import ApiPacers, Deadline, OutOfTime

INSTANCE = "inst-1"


@pytest.fixture
def emulator():
    with ConnectEmulator(seed=3) as running:
        running.add_contact(INSTANCE, SeedContact("c1", channel="EMAIL", attributes={"k": "v"}))
        running.add_contact(INSTANCE, SeedContact("v1", channel="VOICE"))
        yield running


def contacts(emulator, *, rate=1000.0, deadline=30.0):
    client = boto3.client(
        "connect",
        region_name="eu-west-2",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    return ConnectContacts(client, INSTANCE, ApiPacers(rate), Deadline(deadline), jitter=lambda: 0.1)


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
