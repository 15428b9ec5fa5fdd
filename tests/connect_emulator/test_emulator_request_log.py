"""The request log: one record per request, rejected ones included."""

from __future__ import annotations

import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import INSTANCE, make_client

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, RequestRecord, SeedContact
from connect_contact_defaults.testing.connect_emulator.request_log import region_from_authorization


def test_every_request_is_recorded_with_its_fields():
    with ConnectEmulator(rate=0.0, burst=1) as emulator:  # one request per operation
        emulator.add_contact(INSTANCE, SeedContact("email-1", channel="EMAIL"))
        london = make_client(emulator.endpoint_url, region="eu-west-2")
        oregon = make_client(emulator.endpoint_url, region="us-west-2")
        before = time.monotonic()

        london.describe_contact(InstanceId=INSTANCE, ContactId="email-1")
        oregon.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1", Attributes={"k": "v"})
        with pytest.raises(ClientError):
            london.get_contact_attributes(InstanceId=INSTANCE, InitialContactId="missing")
        with pytest.raises(ClientError):
            london.update_contact(InstanceId=INSTANCE, ContactId="email-1")
        with pytest.raises(ClientError):  # same operation again at once: the bucket of 1 is empty
            london.update_contact(InstanceId=INSTANCE, ContactId="email-1")

        records = emulator.requests
        after = time.monotonic()

    assert [
        (r.operation, r.instance_id, r.contact_id, r.status, r.error_code, r.region, r.is_write) for r in records
    ] == [
        ("DescribeContact", INSTANCE, "email-1", 200, None, "eu-west-2", False),
        ("UpdateContactAttributes", INSTANCE, "email-1", 200, None, "us-west-2", True),
        ("GetContactAttributes", INSTANCE, "missing", 404, "ResourceNotFoundException", "eu-west-2", False),
        ("UpdateContact", INSTANCE, "email-1", 400, "InvalidRequestException", "eu-west-2", True),
        ("UpdateContact", INSTANCE, "email-1", 429, "ThrottlingException", "eu-west-2", True),
    ]
    times = [record.time for record in records]
    assert before <= times[0] and times[-1] <= after
    assert times == sorted(times)


def test_unknown_routes_and_unsigned_requests_are_recorded():
    with ConnectEmulator() as emulator:
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{emulator.endpoint_url}/nowhere")

        (record,) = emulator.requests

    assert record == RequestRecord(
        time=record.time,
        operation="UnknownOperation",
        instance_id=None,
        contact_id=None,
        status=404,
        error_code="UnknownOperationException",
        region=None,
        is_write=False,
        user_agent=f"Python-urllib/{sys.version_info.major}.{sys.version_info.minor}",
    )


def test_clear_requests_and_copies():
    with ConnectEmulator() as emulator:
        emulator.add_contact(INSTANCE, SeedContact("c"))
        client = make_client(emulator.endpoint_url)
        client.describe_contact(InstanceId=INSTANCE, ContactId="c")

        copy = emulator.requests
        copy.clear()
        assert len(emulator.requests) == 1
        emulator.clear_requests()
        assert emulator.requests == []
        client.describe_contact(InstanceId=INSTANCE, ContactId="c")
        assert [record.operation for record in emulator.requests] == ["DescribeContact"]


def test_the_log_is_complete_under_concurrency():
    with ConnectEmulator(rate=float("inf")) as emulator:
        emulator.add_contact(INSTANCE, SeedContact("c"))

        def worker() -> None:
            client = make_client(emulator.endpoint_url)
            for _ in range(25):
                client.get_contact_attributes(InstanceId=INSTANCE, InitialContactId="c")

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        records = emulator.requests

    assert len(records) == 100
    assert {(r.operation, r.status) for r in records} == {("GetContactAttributes", 200)}


@pytest.mark.parametrize(
    ("header", "region"),
    [
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-2/connect/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=abc",
            "eu-west-2",
        ),
        ("AWS4-HMAC-SHA256 Credential=ASIA123/20261122/ap-southeast-2/connect/aws4_request", "ap-southeast-2"),
        ("Bearer token", None),
        ("", None),
        (None, None),
    ],
)
def test_region_from_authorization(header, region):
    assert region_from_authorization(header) == region
