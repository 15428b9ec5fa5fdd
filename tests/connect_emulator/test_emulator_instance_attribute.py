"""DescribeInstanceAttribute through a real boto3 client: what the handler's instance probe relies on."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import INSTANCE, REGION, error_of, make_client

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator


@pytest.fixture
def emulator():
    with ConnectEmulator() as running:
        running.add_instance(INSTANCE)
        running.add_instance("regional", region="eu-central-1")
        yield running


def test_a_known_instance_answers_its_attribute(emulator):
    client = make_client(emulator.endpoint_url)
    answer = client.describe_instance_attribute(InstanceId=INSTANCE, AttributeType="INBOUND_CALLS")
    assert answer["Attribute"] == {"AttributeType": "INBOUND_CALLS", "Value": "true"}
    answer = client.describe_instance_attribute(InstanceId=INSTANCE, AttributeType="CONTACT_LENS")
    assert answer["Attribute"]["Value"] == "false"
    home = make_client(emulator.endpoint_url, "eu-central-1")
    assert home.describe_instance_attribute(InstanceId="regional", AttributeType="INBOUND_CALLS")["Attribute"]


@pytest.mark.parametrize("instance", ["no-such-instance", "regional"])
def test_an_unknown_instance_or_one_in_another_region_is_resource_not_found(emulator, instance):
    with pytest.raises(ClientError) as caught:
        make_client(emulator.endpoint_url, REGION).describe_instance_attribute(
            InstanceId=instance, AttributeType="INBOUND_CALLS"
        )
    code, status, message = error_of(caught.value)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert instance in message


def test_an_unknown_attribute_type_is_refused_before_the_instance_is_looked_up(emulator):
    client = make_client(emulator.endpoint_url)
    client.meta.events.register_first(  # botocore does not check enums itself: send the value anyway
        "before-parameter-build.connect.DescribeInstanceAttribute",
        lambda params, **_: params.update(AttributeType="NOT_AN_ATTRIBUTE"),
    )
    with pytest.raises(ClientError) as caught:
        client.describe_instance_attribute(InstanceId="no-such-instance", AttributeType="INBOUND_CALLS")
    code, status, _ = error_of(caught.value)
    assert status == 400 and code != "ResourceNotFoundException"


def test_it_is_logged_as_a_read_and_can_be_denied(emulator):
    client = make_client(emulator.endpoint_url)
    client.describe_instance_attribute(InstanceId=INSTANCE, AttributeType="INBOUND_CALLS")
    (record,) = emulator.requests
    assert (record.operation, record.instance_id, record.is_write) == ("DescribeInstanceAttribute", INSTANCE, False)
    emulator.denied_operations.add("DescribeInstanceAttribute")
    with pytest.raises(ClientError) as caught:
        client.describe_instance_attribute(InstanceId=INSTANCE, AttributeType="INBOUND_CALLS")
    assert error_of(caught.value)[:2] == ("AccessDeniedException", 403)
