"""Run-time parsing of the properties CloudFormation sends (every scalar a string)."""

import pytest

from connect_contact_rules import AttributeMode, MissingContactPolicy, RuleViolation, ValueRemovalPolicy
from contact_reconciler.resource_spec import is_own_physical_id, parse_resource_spec

BASE = {
    "ServiceToken": "arn:aws:lambda:eu-west-2:123456789012:function:f",
    "InstanceId": "inst-1",
    "Region": "eu-central-1",
    "ContactIds": ["c1", "c2"],
    "Attributes": {"a": "1"},
    "Mode": "OVERWRITE",
    "ContactExpiryMinutes": "10080",
    "MissingContacts": "FAIL",
    "RemovalPolicy": "DESTROY",
    "MaxRequestsPerSecond": "2.5",
}


def test_parses_string_scalars_into_typed_values():
    spec = parse_resource_spec(BASE, "eu-west-2")
    assert spec.instance_id == "inst-1"
    assert spec.region == "eu-central-1"
    assert spec.contact_ids == ("c1", "c2")
    assert spec.attributes == {"a": "1"}
    assert spec.mode is AttributeMode.OVERWRITE
    assert spec.expiry_minutes == 10080
    assert spec.missing_contacts is MissingContactPolicy.FAIL
    assert spec.removal_policy is ValueRemovalPolicy.DESTROY
    assert spec.max_requests_per_second == 2.5


def test_defaults_for_optional_properties():
    spec = parse_resource_spec({"InstanceId": "i", "ContactIds": ["c"], "Attributes": {"a": ""}}, "eu-west-2")
    assert spec.region == "eu-west-2"
    assert spec.mode is AttributeMode.FILL_MISSING
    assert spec.expiry_minutes is None
    assert spec.missing_contacts is MissingContactPolicy.SKIP
    assert spec.removal_policy is ValueRemovalPolicy.RETAIN
    assert spec.max_requests_per_second == 5.0
    assert spec.max_failed_contacts == 0


def test_max_failed_contacts_arrives_as_a_string():
    assert parse_resource_spec({**BASE, "MaxFailedContacts": "12"}, "eu-west-2").max_failed_contacts == 12


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"InstanceId": ""}, "InstanceId", "required"),
        ({"InstanceId": "arn:aws:connect:eu-west-2:123456789012:instance/x"}, "InstanceId", "is an ARN"),
        ({"InstanceId": "i" * 101}, "InstanceId", "1 to 100"),
        ({"ContactIds": "c1"}, "ContactIds", "list of contact ID strings"),
        ({"ContactIds": []}, "ContactIds", "at least one"),
        ({"ContactIds": ["c1", "c1"]}, "ContactIds[1]", "duplicates ContactIds[0]"),
        ({"ContactIds": ["c" * 257]}, "ContactIds[0]", "1 to 256"),
        ({"ContactIds": ["c1", "c2, c3"]}, "ContactIds[1]", "holds a comma"),
        ({"Attributes": {"a b": "1"}}, "Attributes", "[A-Za-z0-9_-]"),
        ({"Attributes": {"a": "é" * 16_384}}, "Attributes", "32768"),
        ({"Attributes": {}, "ContactExpiryMinutes": ""}, "Attributes", "nothing is declared"),
        ({"ContactExpiryMinutes": "1.5"}, "ContactExpiryMinutes", "whole number of minutes"),
        ({"ContactExpiryMinutes": "0"}, "ContactExpiryMinutes", "1 to 2147483647"),
        ({"Mode": "MERGE"}, "Mode", "FILL_MISSING, OVERWRITE"),
        ({"RemovalPolicy": "SNAPSHOT"}, "RemovalPolicy", "RETAIN, DESTROY"),
        ({"MaxRequestsPerSecond": "0"}, "MaxRequestsPerSecond", "greater than 0"),
        ({"MaxRequestsPerSecond": "inf"}, "MaxRequestsPerSecond", "and finite"),
        ({"MaxRequestsPerSecond": "fast"}, "MaxRequestsPerSecond", "not a number"),
        ({"MaxFailedContacts": "-1"}, "MaxFailedContacts", "negative; it must be 0"),
        ({"MaxFailedContacts": "a few"}, "MaxFailedContacts", "not a whole number"),
    ],
)
def test_invalid_properties_name_the_property_and_the_limit(change, field, fragment):
    with pytest.raises(RuleViolation) as raised:
        parse_resource_spec({**BASE, **change}, "eu-west-2")
    assert raised.value.field == field
    assert fragment in str(raised.value)
    assert "é" not in str(raised.value)  # an attribute value is never quoted


def test_physical_id_is_stable_and_changes_with_the_instance():
    spec = parse_resource_spec(BASE, "eu-west-2")
    other = parse_resource_spec({**BASE, "InstanceId": "inst-2"}, "eu-west-2")
    changed_values = parse_resource_spec({**BASE, "Attributes": {"b": "2"}, "ContactIds": ["c9"]}, "eu-west-2")
    pid = spec.physical_id("stack-1", "Logical")
    assert pid == changed_values.physical_id("stack-1", "Logical")
    assert pid != other.physical_id("stack-1", "Logical")
    assert pid != spec.physical_id("stack-2", "Logical")
    assert is_own_physical_id(pid, spec)
    assert not is_own_physical_id(pid, other)
    assert not is_own_physical_id("Stack_Logical_ABCDEFGH", spec)
