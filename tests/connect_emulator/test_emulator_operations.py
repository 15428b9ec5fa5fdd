"""The four Connect operations through a real boto3 client: answers, stored state and errors."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from emulator_helpers import INSTANCE, error_of, make_client

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator

ARN = "arn:aws:connect:eu-west-2:123456789012:instance/11111111-2222-3333-4444-555555555555"


def expiry(minutes: object) -> dict:
    return {"connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": minutes}}}}


# --- DescribeContact ---


def test_describe_contact_returns_the_seeded_contact(client):
    contact = client.describe_contact(InstanceId=INSTANCE, ContactId="email-1")["Contact"]

    assert contact["Id"] == "email-1"
    assert contact["InitialContactId"] == "email-1"
    assert contact["Channel"] == "EMAIL"
    assert contact["InitiationMethod"] == "API"
    assert contact["Arn"] == f"arn:aws:connect:eu-west-2:123456789012:instance/{INSTANCE}/contact/email-1"
    assert contact["InitiationTimestamp"] == datetime.fromtimestamp(1_700_000_000.5, tz=UTC)
    assert contact["SegmentAttributes"] == {}
    assert contact["Attributes"] == {"existing": "x"}


def test_describe_contact_answers_only_fields_of_the_model(emulator, client):
    client.update_contact(
        InstanceId=INSTANCE, ContactId="task-1", Name="n", Description="d", SegmentAttributes=expiry(5)
    )
    request = urllib.request.Request(f"{emulator.endpoint_url}/contacts/{INSTANCE}/task-1")
    with urllib.request.urlopen(request) as response:
        raw = json.loads(response.read())

    model = botocore.session.get_session().get_service_model("connect")
    assert set(raw) == {"Contact"}
    assert set(raw["Contact"]) <= set(model.shape_for("Contact").members)
    assert isinstance(raw["Contact"]["InitiationTimestamp"], float)  # epoch seconds, as rest-json sends timestamps
    assert raw["Contact"]["Name"] == "n"
    assert raw["Contact"]["Description"] == "d"


# --- GetContactAttributes / UpdateContactAttributes ---


def test_get_contact_attributes(client):
    assert client.get_contact_attributes(InstanceId=INSTANCE, InitialContactId="voice-1")["Attributes"] == {"a": "1"}


def test_update_contact_attributes_merges_and_keeps_empty_values(emulator, client):
    response = client.update_contact_attributes(
        InstanceId=INSTANCE, InitialContactId="email-1", Attributes={"new": "v", "existing": ""}
    )

    assert set(response) == {"ResponseMetadata"}
    assert emulator.attributes(INSTANCE, "email-1") == {"existing": "", "new": "v"}
    read = client.get_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1")["Attributes"]
    assert read == {"existing": "", "new": "v"}


def test_concurrent_updates_of_one_contact_all_land(emulator):
    def update(worker: int) -> None:
        own_client = make_client(emulator.endpoint_url)
        for index in range(10):
            own_client.update_contact_attributes(
                InstanceId=INSTANCE, InitialContactId="task-1", Attributes={f"k{worker}_{index}": str(index)}
            )

    threads = [threading.Thread(target=update, args=(worker,)) for worker in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert emulator.attributes(INSTANCE, "task-1") == {f"k{w}_{i}": str(i) for w in range(5) for i in range(10)}


@pytest.mark.parametrize("key", ["a b", "a.b", "a:b", "caf\u00e9", "a/b", "key$"])
def test_attribute_keys_outside_the_allowed_characters_are_rejected(emulator, client, key):
    with pytest.raises(ClientError) as caught:
        client.update_contact_attributes(
            InstanceId=INSTANCE, InitialContactId="email-1", Attributes={"good": "1", key: "v"}
        )

    code, status, message = error_of(caught.value)
    assert (code, status) == ("InvalidParameterException", 400)
    assert "letters, digits, _ and -" in message
    assert emulator.attributes(INSTANCE, "email-1") == {"existing": "x"}


def test_allowed_key_characters_are_accepted(emulator, client):
    client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="chat-1", Attributes={"Az09_-": "v"})
    assert emulator.attributes(INSTANCE, "chat-1") == {"Az09_-": "v"}


def test_the_32768_byte_limit_counts_utf8_bytes_of_the_merged_attributes(emulator, client):
    # "existing" + "x" (9 bytes) are stored already; "\u00e9" is 2 bytes in UTF-8.
    key = "k"
    fits = "\u00e9" * 16_379  # 16,379 characters, far below the 32,767-character limit, but 32,758 bytes
    assert 9 + len(key) + len(fits.encode()) == 32_768
    client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1", Attributes={key: fits})
    assert emulator.attributes(INSTANCE, "email-1") == {"existing": "x", key: fits}  # exactly 32,768 bytes: stored

    for update, size in [({key: fits + "a"}, 32_769), ({"other": "new", key: fits + "\u00e9"}, 32_778)]:
        with pytest.raises(ClientError) as caught:
            client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="email-1", Attributes=update)

        code, status, message = error_of(caught.value)
        assert (code, status) == ("InvalidParameterException", 400)
        assert f"{size} UTF-8 bytes" in message
        assert emulator.attributes(INSTANCE, "email-1") == {"existing": "x", key: fits}  # nothing of it stored


def test_the_byte_limit_includes_attributes_already_stored(emulator, client):
    client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="task-1", Attributes={"a": "x" * 20_000})
    with pytest.raises(ClientError) as caught:
        client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="task-1", Attributes={"b": "y" * 13_000})

    assert error_of(caught.value)[:2] == ("InvalidParameterException", 400)
    assert emulator.attributes(INSTANCE, "task-1") == {"a": "x" * 20_000}


@pytest.mark.parametrize(
    ("attributes", "shown"),
    [({"k": "v" * 32_768}, "Attributes.k, length: 32768, valid max length: 32767"), ({"k" * 32_768: ""}, "(key: kkk")],
)
def test_values_and_keys_longer_than_the_model_allows_are_rejected(emulator, client, attributes, shown):
    with pytest.raises(ClientError) as caught:
        client.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="task-1", Attributes=attributes)

    code, status, message = error_of(caught.value)
    assert (code, status) == ("InvalidParameterException", 400)
    assert shown in message
    assert emulator.attributes(INSTANCE, "task-1") == {}


def test_too_long_ids_in_the_uri_are_rejected(client):
    with pytest.raises(ClientError) as caught:
        client.describe_contact(InstanceId=INSTANCE, ContactId="c" * 257)

    code, status, message = error_of(caught.value)
    assert (code, status) == ("InvalidParameterException", 400)
    assert "ContactId, length: 257, valid max length: 256" in message


# --- UpdateContact ---


@pytest.mark.parametrize("contact_id", ["email-1", "task-1"])
def test_contact_expiry_is_stored_on_email_and_task_contacts(emulator, client, contact_id):
    response = client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, SegmentAttributes=expiry(90))

    assert set(response) == {"ResponseMetadata"}
    assert emulator.expiry_minutes(INSTANCE, contact_id) == 90
    described = client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]
    assert described["SegmentAttributes"] == expiry(90)


def test_update_contact_merges_segment_attributes(emulator, client):
    client.update_contact(
        InstanceId=INSTANCE,
        ContactId="email-1",
        SegmentAttributes={"connect:Subtype": {"ValueString": "connect:Email"}},
    )
    client.update_contact(InstanceId=INSTANCE, ContactId="email-1", SegmentAttributes=expiry(10))
    client.update_contact(InstanceId=INSTANCE, ContactId="email-1", SegmentAttributes=expiry(20))

    segment_attributes = client.describe_contact(InstanceId=INSTANCE, ContactId="email-1")["Contact"][
        "SegmentAttributes"
    ]
    assert segment_attributes == {"connect:Subtype": {"ValueString": "connect:Email"}, **expiry(20)}
    assert emulator.expiry_minutes(INSTANCE, "email-1") == 20


@pytest.mark.parametrize("contact_id", ["voice-1", "chat-1"])
def test_contact_expiry_is_rejected_on_voice_and_chat_contacts(emulator, client, contact_id):
    with pytest.raises(ClientError) as caught:
        client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, SegmentAttributes=expiry(90))

    code, status, message = error_of(caught.value)
    assert (code, status) == ("InvalidRequestException", 400)
    assert "does not support contact expiry" in message
    assert emulator.expiry_minutes(INSTANCE, contact_id) is None
    assert emulator.contact(INSTANCE, contact_id).segment_attributes == {}


@pytest.mark.parametrize(
    "value",
    [
        {"ValueInteger": 5},
        {"ValueMap": {}},
        {"ValueMap": {"ExpiryDuration": {"ValueString": "5"}}},
        {"ValueMap": {"ExpiryDuration": {"ValueInteger": 0}}},
        {"ValueMap": {"ExpiryDuration": {"ValueInteger": -3}}},
    ],
)
def test_malformed_contact_expiry_is_an_invalid_parameter(emulator, client, value):
    with pytest.raises(ClientError) as caught:
        client.update_contact(
            InstanceId=INSTANCE, ContactId="email-1", SegmentAttributes={"connect:ContactExpiry": value}
        )

    assert error_of(caught.value)[:2] == ("InvalidParameterException", 400)
    assert emulator.contact(INSTANCE, "email-1").segment_attributes == {}


def test_update_contact_needs_at_least_one_field(client):
    with pytest.raises(ClientError) as caught:
        client.update_contact(InstanceId=INSTANCE, ContactId="email-1")

    assert error_of(caught.value) == (
        "InvalidRequestException",
        400,
        "At least one field to be updated must be present",
    )


def test_update_contact_stores_name_and_description(emulator, client):
    client.update_contact(InstanceId=INSTANCE, ContactId="voice-1", Name="Call", Description="About a bill")

    snapshot = emulator.contact(INSTANCE, "voice-1")
    assert (snapshot.name, snapshot.description) == ("Call", "About a bill")
    assert snapshot.last_update_timestamp is not None
    described = client.describe_contact(InstanceId=INSTANCE, ContactId="voice-1")["Contact"]
    assert (described["Name"], described["Description"]) == ("Call", "About a bill")


def test_update_contact_refuses_fields_it_does_not_emulate(emulator, client):
    with pytest.raises(ClientError) as caught:
        client.update_contact(
            InstanceId=INSTANCE, ContactId="email-1", Name="n", References={"r": {"Value": "v", "Type": "URL"}}
        )

    code, status, message = error_of(caught.value)
    assert (code, status) == ("InvalidRequestException", 400)
    assert "References" in message
    assert emulator.contact(INSTANCE, "email-1").name is None


def test_update_contact_name_longer_than_the_model_allows(client):
    with pytest.raises(ClientError) as caught:
        client.update_contact(InstanceId=INSTANCE, ContactId="email-1", Name="n" * 1025)

    assert error_of(caught.value)[:2] == ("InvalidParameterException", 400)


# --- not found and ARNs, for every operation ---

CALLS = {
    "DescribeContact": lambda client, instance, contact: client.describe_contact(
        InstanceId=instance, ContactId=contact
    ),
    "GetContactAttributes": lambda client, instance, contact: client.get_contact_attributes(
        InstanceId=instance, InitialContactId=contact
    ),
    "UpdateContactAttributes": lambda client, instance, contact: client.update_contact_attributes(
        InstanceId=instance, InitialContactId=contact, Attributes={"k": "v"}
    ),
    "UpdateContact": lambda client, instance, contact: client.update_contact(
        InstanceId=instance, ContactId=contact, SegmentAttributes=expiry(5)
    ),
}


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_unknown_contact_is_resource_not_found(client, operation):
    with pytest.raises(ClientError) as caught:
        CALLS[operation](client, INSTANCE, "no-such-contact")

    code, status, message = error_of(caught.value)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert "no-such-contact" in message


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_unknown_instance_is_resource_not_found(client, operation):
    with pytest.raises(ClientError) as caught:
        CALLS[operation](client, "no-such-instance", "email-1")

    code, status, message = error_of(caught.value)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert "no-such-instance" in message


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_an_instance_arn_is_not_an_instance_id(emulator, client, operation):
    with pytest.raises(ClientError) as caught:
        CALLS[operation](client, ARN, "email-1")

    assert error_of(caught.value) == ("InvalidRequestException", 400, "Invalid input for field InstanceId")
    assert emulator.attributes(INSTANCE, "email-1") == {"existing": "x"}
    assert emulator.expiry_minutes(INSTANCE, "email-1") is None


# --- requests boto3 would not send, and other paths ---


def raw_request(emulator: ConnectEmulator, method: str, path: str, body: bytes | None = None) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of an unsigned HTTP request."""
    request = urllib.request.Request(f"{emulator.endpoint_url}{path}", data=body, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/"), ("GET", "/no/such/path"), ("DELETE", "/contact/attributes")]
)
def test_unknown_paths_are_answered_404_unknown_operation(emulator, method, path):
    status, headers, body = raw_request(emulator, method, path)

    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert path in body["Message"]
    assert "DescribeContact" in body["Message"]


def test_operations_the_emulator_does_not_serve_are_named_in_the_error(client):
    with pytest.raises(ClientError) as caught:
        client.list_instances()

    code, status, message = error_of(caught.value)
    assert (code, status) == ("UnknownOperationException", 404)
    assert "ListInstances" in message
    assert client.get_contact_attributes(InstanceId=INSTANCE, InitialContactId="voice-1")["Attributes"] == {"a": "1"}


def test_a_body_that_is_not_json_is_an_invalid_request(emulator):
    status, headers, body = raw_request(emulator, "POST", "/contact/attributes", b"{not json")

    assert (status, headers["x-amzn-ErrorType"]) == (400, "InvalidRequestException")
    assert "not valid JSON" in body["Message"]


def test_missing_required_and_unknown_members_are_invalid_parameters(emulator):
    payload = json.dumps({"InstanceId": INSTANCE, "InitialContactId": "email-1", "Bogus": 1}).encode()
    status, headers, body = raw_request(emulator, "POST", "/contact/attributes", payload)

    assert (status, headers["x-amzn-ErrorType"]) == (400, "InvalidParameterException")
    assert "Missing required parameter" in body["Message"]
    assert "Attributes" in body["Message"]
    assert "Unknown parameter" in body["Message"]
    assert "Bogus" in body["Message"]


def test_attribute_values_must_be_strings(emulator):
    payload = json.dumps({"InstanceId": INSTANCE, "InitialContactId": "email-1", "Attributes": {"k": 1}}).encode()
    status, headers, _ = raw_request(emulator, "POST", "/contact/attributes", payload)

    assert (status, headers["x-amzn-ErrorType"]) == (400, "InvalidParameterException")
    assert emulator.attributes(INSTANCE, "email-1") == {"existing": "x"}


def test_the_endpoint_environment_variable_routes_a_plain_client(emulator, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", emulator.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)

    plain = boto3.client("connect", region_name="eu-west-2")
    plain.update_contact_attributes(InstanceId=INSTANCE, InitialContactId="voice-1", Attributes={"via": "env"})

    assert plain.meta.endpoint_url == emulator.endpoint_url
    assert emulator.attributes(INSTANCE, "voice-1") == {"a": "1", "via": "env"}
    assert emulator.requests[-1].operation == "UpdateContactAttributes"
