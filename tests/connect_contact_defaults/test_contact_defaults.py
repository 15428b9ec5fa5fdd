"""ContactDefaults: the property contract with the Lambda, token handling, synth-time validation."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aws_cdk.assertions import Template
from botocore.response import StreamingBody
from constructs import Construct
from contact_defaults_testing import (
    CONTACT_IDS,
    INSTANCE_ID,
    OTHER_INSTANCE_ARN,
    OTHER_INSTANCE_ID,
    build_file_app,
    cdk,
    handler_function,
    read_json,
    write_contact_file,
)

from connect_contact_defaults import (
    RESOURCE_TYPE,
    AttributeMode,
    ContactDefaults,
    ContactDefaultsValidationError,
    ContactSelection,
    MissingContactPolicy,
)
from connect_contact_defaults.contact_defaults import SERVICE_TIMEOUT
from connect_contact_defaults.contact_defaults_function import ContactDefaultsFunction
from connect_contact_rules import (
    ATTRIBUTE_KEY_MAX_LENGTH,
    ATTRIBUTE_VALUE_MAX_LENGTH,
    CONTACT_ATTRIBUTES_MAX_BYTES,
    CONTACT_ID_MAX_LENGTH,
    EXPIRY_MINUTES_MAX,
    INLINE_CONTACT_IDS_MAX,
    INSTANCE_ID_MAX_LENGTH,
    ContactFileFormat,
    Prop,
    Result,
)
from contact_reconciler.contact_source import iter_selection
from contact_reconciler.resource_spec import SERVICE_TIMEOUT_DEFAULT_SECONDS, ContactFile, parse_resource_spec

REGION_REF = {"Ref": "AWS::Region"}


def custom_resources(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    return Template.from_stack(stack).find_resources("Custom::ConnectContactDefaults")


def only_properties(stack: cdk.Stack) -> dict[str, Any]:
    (resource,) = custom_resources(stack).values()
    properties = dict(resource["Properties"])
    assert properties.pop("ServiceToken") == {"Fn::GetAtt": [function_logical_id(stack), "Arn"]}
    assert properties.pop("ServiceTimeout") == "3600"
    return properties


def function_logical_id(stack: cdk.Stack) -> str:
    logical_id, _ = handler_function(Template.from_stack(stack))
    return logical_id


# --- the property contract ---------------------------------------------------------------------


def test_properties_with_an_instance_id_and_the_defaults(stack):
    ContactDefaults(
        stack,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(CONTACT_IDS),
        attributes={"greetingPlayed": "false"},
    )
    assert only_properties(stack) == {
        Prop.INSTANCE_ID: INSTANCE_ID,
        Prop.REGION: REGION_REF,
        Prop.CONTACT_IDS: CONTACT_IDS,
        Prop.ATTRIBUTES: {"greetingPlayed": "false"},
        Prop.MODE: "FILL_MISSING",
        Prop.MISSING_CONTACTS: "SKIP",
        Prop.REMOVAL_POLICY: "RETAIN",
        Prop.MAX_REQUESTS_PER_SECOND: "5",
        Prop.SERVICE_TIMEOUT_SECONDS: "3600",
    }


def test_properties_with_every_prop_set_and_an_arn_in_another_region(stack):
    ContactDefaults(
        stack,
        "Defaults",
        instance_arn=OTHER_INSTANCE_ARN,
        contacts=ContactSelection.of_ids(CONTACT_IDS),
        attributes={"greetingPlayed": "false", "tier": ""},
        mode=AttributeMode.OVERWRITE,
        contact_expiry=cdk.Duration.days(7),
        missing_contacts=MissingContactPolicy.FAIL,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        max_requests_per_second=2.5,
    )
    assert only_properties(stack) == {
        Prop.INSTANCE_ID: OTHER_INSTANCE_ID,
        Prop.REGION: "us-east-1",
        Prop.CONTACT_IDS: CONTACT_IDS,
        Prop.ATTRIBUTES: {"greetingPlayed": "false", "tier": ""},
        Prop.MODE: "OVERWRITE",
        Prop.CONTACT_EXPIRY_MINUTES: "10080",
        Prop.MISSING_CONTACTS: "FAIL",
        Prop.REMOVAL_POLICY: "DESTROY",
        Prop.MAX_REQUESTS_PER_SECOND: "2.5",
        Prop.SERVICE_TIMEOUT_SECONDS: "3600",
    }


def test_expiry_only_sends_empty_attributes(stack):
    ContactDefaults(
        stack,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(CONTACT_IDS),
        contact_expiry=cdk.Duration.hours(2),
    )
    properties = only_properties(stack)
    assert properties[Prop.ATTRIBUTES] == {}
    assert properties[Prop.CONTACT_EXPIRY_MINUTES] == "120"


def test_no_expiry_omits_the_expiry_property(stack):
    ContactDefaults(
        stack, "Defaults", instance_id=INSTANCE_ID, contacts=ContactSelection.of_ids(CONTACT_IDS), attributes={"a": "b"}
    )
    assert Prop.CONTACT_EXPIRY_MINUTES not in only_properties(stack)


def test_an_environment_stack_sends_its_own_region():
    stack = cdk.Stack(cdk.App(), "EnvStack", env=cdk.Environment(account="123456789012", region="eu-west-2"))
    ContactDefaults(
        stack, "Defaults", instance_id=INSTANCE_ID, contacts=ContactSelection.of_ids(CONTACT_IDS), attributes={"a": "b"}
    )
    assert only_properties(stack)[Prop.REGION] == "eu-west-2"


def test_plain_strings_are_accepted_for_the_enums(stack):
    ContactDefaults(
        stack,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(CONTACT_IDS),
        attributes={"a": "b"},
        mode="OVERWRITE",
        missing_contacts="FAIL",
    )
    properties = only_properties(stack)
    assert (properties[Prop.MODE], properties[Prop.MISSING_CONTACTS]) == ("OVERWRITE", "FAIL")


def test_counts_are_getatts_of_the_response_data(stack):
    defaults = ContactDefaults(
        stack, "Defaults", instance_id=INSTANCE_ID, contacts=ContactSelection.of_ids(CONTACT_IDS), attributes={"a": "b"}
    )
    (logical_id,) = custom_resources(stack)
    resolved = [stack.resolve(t) for t in (defaults.updated_count, defaults.unchanged_count, defaults.missing_count)]
    assert resolved == [
        {"Fn::GetAtt": [logical_id, Result.UPDATED]},
        {"Fn::GetAtt": [logical_id, Result.UNCHANGED]},
        {"Fn::GetAtt": [logical_id, Result.MISSING]},
    ]
    assert all(isinstance(t, str) for t in (defaults.updated_count, defaults.unchanged_count, defaults.missing_count))


def test_props_are_keyword_only(stack):
    with pytest.raises(TypeError):
        ContactDefaults(stack, "Defaults", ContactSelection.of_ids(CONTACT_IDS))  # type: ignore[misc]


def test_service_timeout_is_cloudformations_maximum_and_the_handler_is_told_it(stack):
    assert SERVICE_TIMEOUT.to_seconds() == 3600 == SERVICE_TIMEOUT_DEFAULT_SECONDS  # the handler's upper bound
    ContactDefaults(
        stack, "Defaults", instance_id=INSTANCE_ID, contacts=ContactSelection.of_ids(CONTACT_IDS), attributes={"a": "b"}
    )
    (resource,) = custom_resources(stack).values()
    assert resource["Properties"]["ServiceTimeout"] == resource["Properties"][Prop.SERVICE_TIMEOUT_SECONDS] == "3600"


# --- the contract, read back by the Lambda's own parser ----------------------------------------

ACCOUNT, REGION = "123456789012", "eu-west-2"
PSEUDO = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws"}


def as_cloudformation_sends(value: Any) -> Any:
    """A resolved property as the handler receives it: intrinsics evaluated (pseudo parameters
    and GetAtt only), every scalar a string."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return PSEUDO[value["Ref"]]
        if set(value) == {"Fn::Sub"}:
            text = value["Fn::Sub"]
            for name, replacement in PSEUDO.items():
                text = text.replace("${" + name + "}", replacement)
            assert "${" not in text, text
            return text
        if set(value) == {"Fn::GetAtt"}:
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{value['Fn::GetAtt'][0]}"
        assert not any(key.startswith("Fn::") for key in value), value
        return {key: as_cloudformation_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_cloudformation_sends(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class AssetBucket:
    """An S3 client that serves the staged file assets (not zipped) of a cloud assembly, by bucket and key."""

    def __init__(self, outdir: Any, stack_name: str) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        for entry in read_json(outdir / f"{stack_name}.assets.json")["files"].values():
            if entry["source"].get("packaging") != "file":
                continue
            (destination,) = entry["destinations"].values()
            bucket = as_cloudformation_sends({"Fn::Sub": destination["bucketName"]})
            self.objects[(bucket, destination["objectKey"])] = (outdir / entry["source"]["path"]).read_bytes()

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # boto3's argument names
        data = self.objects[(Bucket, Key)]
        return {"Body": StreamingBody(io.BytesIO(data), len(data))}


@pytest.mark.parametrize(
    ("name", "csv_header", "file_format"),
    [("contacts.txt", None, ContactFileFormat.LINES), ("contacts.csv", "Queue,ContactId", ContactFileFormat.CSV)],
    ids=["lines", "csv"],
)
def test_the_lambda_reads_what_the_construct_writes_for_a_file(tmp_path, name, csv_header, file_format):
    ids = [f"contact-{n:03d}" for n in range(250)]
    out = tmp_path / "cdk.out"
    app, stack = build_file_app(write_contact_file(tmp_path / name, ids, csv_header=csv_header), outdir=str(out))
    app.synth()
    (resource,) = [
        r for r in read_json(out / "FileStack.template.json")["Resources"].values() if r["Type"] == RESOURCE_TYPE
    ]
    properties = as_cloudformation_sends(resource["Properties"])
    key = stack.node.find_child("Greeting").node.find_child("ContactFile").s3_object_key

    spec = parse_resource_spec(properties, default_region="us-east-1")
    assert spec.contact_file == ContactFile(f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}", key, file_format)
    assert spec.contact_ids == ()
    assert spec.service_timeout_seconds == 3600
    assert (spec.instance_id, spec.region, dict(spec.attributes)) == (INSTANCE_ID, REGION, {"greetingPlayed": "false"})
    # The object the properties name is the file the construct checked, and the Lambda reads the same IDs.
    assert list(iter_selection(spec, lambda: AssetBucket(out, "FileStack"))) == ids


def test_the_lambda_reads_what_the_construct_writes_inline(stack):
    ContactDefaults(
        stack,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(CONTACT_IDS),
        contact_expiry=cdk.Duration.days(7),
        max_requests_per_second=2.5,
    )
    (resource,) = custom_resources(stack).values()
    spec = parse_resource_spec(as_cloudformation_sends(resource["Properties"]), default_region="us-east-1")
    assert (spec.contact_ids, spec.contact_file) == (tuple(CONTACT_IDS), None)
    assert (spec.expiry_minutes, spec.max_requests_per_second, spec.service_timeout_seconds) == (10080, 2.5, 3600)


# --- tokens skip synth-time checks -------------------------------------------------------------


def test_token_instance_arn_is_split_at_deploy_time(stack):
    arn = cdk.CfnParameter(stack, "InstanceArn").value_as_string
    ContactDefaults(
        stack, "Defaults", instance_arn=arn, contacts=ContactSelection.of_ids(CONTACT_IDS), attributes={"a": "b"}
    )
    properties = only_properties(stack)
    assert properties[Prop.INSTANCE_ID] == {
        "Fn::Select": [1, {"Fn::Split": ["/", {"Fn::Select": [5, {"Fn::Split": [":", {"Ref": "InstanceArn"}]}]}]}]
    }
    assert properties[Prop.REGION] == {"Fn::Select": [3, {"Fn::Split": [":", {"Ref": "InstanceArn"}]}]}


def test_tokens_pass_through_unchecked(stack):
    instance_id = cdk.CfnParameter(stack, "InstanceId").value_as_string
    contact_ids = cdk.CfnParameter(stack, "ContactIds", type="CommaDelimitedList").value_as_list
    value = cdk.CfnParameter(stack, "Value").value_as_string
    minutes = cdk.CfnParameter(stack, "Minutes", type="Number").value_as_number
    rate = cdk.CfnParameter(stack, "Rate", type="Number").value_as_number
    ContactDefaults(
        stack,
        "Defaults",
        instance_id=instance_id,
        contacts=ContactSelection.of_ids(contact_ids),
        attributes={"fromParameter": value},
        contact_expiry=cdk.Duration.minutes(minutes),
        max_requests_per_second=rate,
    )
    properties = only_properties(stack)
    assert properties[Prop.INSTANCE_ID] == {"Ref": "InstanceId"}
    assert properties[Prop.CONTACT_IDS] == {"Ref": "ContactIds"}
    assert properties[Prop.ATTRIBUTES] == {"fromParameter": {"Ref": "Value"}}
    assert properties[Prop.CONTACT_EXPIRY_MINUTES] == {"Ref": "Minutes"}
    assert properties[Prop.MAX_REQUESTS_PER_SECOND] == {"Ref": "Rate"}


def test_concrete_parts_beside_tokens_are_still_checked(stack):
    token = cdk.CfnParameter(stack, "ContactId").value_as_string
    with pytest.raises(ContactDefaultsValidationError, match=r"contacts\[1\]"):
        ContactDefaults(
            stack,
            "Defaults",
            instance_id=INSTANCE_ID,
            contacts=ContactSelection.of_ids([token, "x" * (CONTACT_ID_MAX_LENGTH + 1)]),
            attributes={"a": "b"},
        )


# --- one function per stack --------------------------------------------------------------------


def test_one_function_serves_every_contact_defaults_of_a_stack():
    app = cdk.App()
    stacks = [cdk.Stack(app, f"Stack{n}") for n in range(2)]
    for stack in stacks:
        group = Construct(stack, "Group")  # deeper in the tree: still the stack's one function
        for scope, name in ((stack, "First"), (stack, "Second"), (group, "Third")):
            ContactDefaults(
                scope,
                name,
                instance_id=INSTANCE_ID,
                contacts=ContactSelection.of_ids(CONTACT_IDS),
                attributes={"a": name},
            )
    for stack in stacks:
        template = Template.from_stack(stack)
        # The handler and its on-failure destination, each with its own role and log group.
        template.resource_count_is("AWS::Lambda::Function", 2)
        template.resource_count_is("AWS::Lambda::EventInvokeConfig", 1)
        template.resource_count_is("AWS::IAM::Role", 2)
        # DefaultPolicy, SelfInvokePolicy, RetriesExhaustedInvokePolicy, one per resource, the destination's
        template.resource_count_is("AWS::IAM::Policy", 7)
        template.resource_count_is("AWS::Logs::LogGroup", 2)
        template.resource_count_is("AWS::DynamoDB::Table", 1)
        template.resource_count_is("Custom::ConnectContactDefaults", 3)
        handler_function(template)  # one of the two functions is the handler
        singleton = stack.node.find_child(ContactDefaultsFunction.SINGLETON_ID)
        assert ContactDefaultsFunction.of(stack) is singleton
    assert ContactDefaultsFunction.of(stacks[0]) is not ContactDefaultsFunction.of(stacks[1])


def test_the_singleton_id_taken_by_another_construct_is_an_error(stack):
    cdk.Resource(stack, ContactDefaultsFunction.SINGLETON_ID)
    with pytest.raises(TypeError, match="ConnectContactDefaultsHandler"):
        ContactDefaultsFunction.of(stack)


def test_custom_resource_waits_for_the_role_policies(stack):
    ContactDefaults(
        stack, "Defaults", instance_id=INSTANCE_ID, contacts=ContactSelection.of_ids(CONTACT_IDS), attributes={"a": "b"}
    )
    template = Template.from_stack(stack)
    policy_ids = sorted(template.find_resources("AWS::IAM::Policy"))
    (
        destination_invoke_policy_id,
        destination_policy_id,
        default_policy_id,
        invoke_policy_id,
        own_policy_id,
    ) = policy_ids
    assert destination_invoke_policy_id.startswith("ConnectContactDefaultsHandlerRetriesExhaustedInvokePolicy")
    assert destination_policy_id.startswith("ConnectContactDefaultsHandlerRetriesExhaustedRoleDefaultPolicy")
    assert default_policy_id.startswith("ConnectContactDefaultsHandlerRoleDefaultPolicy")
    assert invoke_policy_id.startswith("ConnectContactDefaultsHandlerSelfInvokePolicy")
    assert own_policy_id.startswith("DefaultsGrants")
    (config_id, config), *others = template.find_resources("AWS::Lambda::EventInvokeConfig").items()
    assert not others
    # The invoke config (retries, on-failure destination) needs the permission to invoke the destination.
    assert config["DependsOn"] == [destination_invoke_policy_id]
    (resource,) = custom_resources(stack).values()
    assert sorted(resource["DependsOn"]) == sorted([default_policy_id, invoke_policy_id, own_policy_id, config_id])
    _, function = handler_function(template)
    assert default_policy_id in function["DependsOn"]
    assert invoke_policy_id not in function["DependsOn"]  # it names the function: that would be a cycle
    # CloudFormation still sends Delete to the handler; what happens to the values is RemovalPolicy's.
    assert resource["DeletionPolicy"] == "Delete"


# --- synth-time validation ---------------------------------------------------------------------

SECRET = "SECRET-VALUE-4242"
"""An attribute value: it must never appear in an error message."""
BASE: dict[str, Any] = {"instance_id": INSTANCE_ID, "attributes": {"greetingPlayed": "false"}}


def _contacts(ids: list[str]) -> dict[str, Any]:
    return {"contacts": ContactSelection.of_ids(ids)}


INVALID = [
    # id, props (over BASE + CONTACT_IDS), field named, limit/advice named
    ("no-instance", {"instance_id": None}, "instance_id/instance_arn", "exactly one"),
    ("both-instance", {"instance_arn": OTHER_INSTANCE_ARN}, "instance_id/instance_arn", "exactly one"),
    ("id-is-arn", {"instance_id": OTHER_INSTANCE_ARN}, "instance_id", "bare instance ID"),
    ("id-empty", {"instance_id": ""}, "instance_id", f"1 to {INSTANCE_ID_MAX_LENGTH}"),
    ("id-long", {"instance_id": "i" * 101}, "instance_id", f"1 to {INSTANCE_ID_MAX_LENGTH}"),
    (
        "arn-form",
        {"instance_id": None, "instance_arn": "arn:aws:connect:us-east-1:123456789012:queue/x"},
        "instance_arn",
        "arn:<partition>:connect:<region>:<account>:instance/<instance-id>",
    ),
    (
        "arn-id-long",
        {"instance_id": None, "instance_arn": "arn:aws:connect:us-east-1:123456789012:instance/" + "i" * 101},
        "instance_arn",
        f"1 to {INSTANCE_ID_MAX_LENGTH}",
    ),
    ("contacts-none", _contacts([]), "contacts", "at least one"),
    ("contact-empty", _contacts(["c1", ""]), "contacts[1]", f"1 to {CONTACT_ID_MAX_LENGTH}"),
    ("contact-long", _contacts(["c" * 257]), "contacts[0]", f"1 to {CONTACT_ID_MAX_LENGTH}"),
    ("contact-duplicate", _contacts(["c1", "c2", "c1"]), "contacts[2]", "duplicates contacts[0]"),
    (
        "contacts-too-many",
        _contacts([f"contact-{n}" for n in range(INLINE_CONTACT_IDS_MAX + 1)]),
        "contacts",
        f"at most {INLINE_CONTACT_IDS_MAX}: use ContactSelection.from_file",
    ),
    ("contacts-not-selection", {"contacts": CONTACT_IDS}, "contacts", "ContactSelection.of_ids"),
    ("key-empty", {"attributes": {"": SECRET}}, "attributes", f"1 to {ATTRIBUTE_KEY_MAX_LENGTH}"),
    ("key-long", {"attributes": {"k" * 32_768: SECRET}}, "attributes", f"1 to {ATTRIBUTE_KEY_MAX_LENGTH}"),
    ("key-chars", {"attributes": {"greeting played": SECRET}}, "'greeting played'", "[A-Za-z0-9_-]"),
    ("key-chars-dot", {"attributes": {"a.b": SECRET}}, "attributes", "[A-Za-z0-9_-]"),
    (
        "value-long",
        {"attributes": {"note": SECRET * (ATTRIBUTE_VALUE_MAX_LENGTH // len(SECRET) + 1)}},
        "'note'",
        f"at most {ATTRIBUTE_VALUE_MAX_LENGTH}",
    ),
    ("value-not-string", {"attributes": {"count": 3}}, "'count'", "is an int; values are strings"),
    ("timeout-not-duration", {"service_timeout": 3600}, "service_timeout", "is an int; give a Duration"),
    (
        # 1 + 2 x 16,384 = 32,769 bytes in only 16,385 characters: the limit counts bytes.
        "bytes-total",
        {"attributes": {"n": "é" * 16_384}},
        "attributes",
        f"32769 UTF-8 bytes together; a contact holds at most {CONTACT_ATTRIBUTES_MAX_BYTES}",
    ),
    ("nothing-declared", {"attributes": None}, "attributes", "give attributes, contact_expiry, or both"),
    ("nothing-declared-empty", {"attributes": {}}, "attributes", "give attributes, contact_expiry, or both"),
    ("expiry-fraction", {"contact_expiry": cdk.Duration.seconds(90)}, "contact_expiry", "whole number of minutes"),
    ("expiry-subminute", {"contact_expiry": cdk.Duration.seconds(30)}, "contact_expiry", "at least 1"),
    ("expiry-zero", {"contact_expiry": cdk.Duration.minutes(0)}, "contact_expiry", f"1 to {EXPIRY_MINUTES_MAX}"),
    (
        "expiry-huge",
        {"contact_expiry": cdk.Duration.minutes(EXPIRY_MINUTES_MAX + 1)},
        "contact_expiry",
        f"1 to {EXPIRY_MINUTES_MAX}",
    ),
    ("rate-zero", {"max_requests_per_second": 0}, "max_requests_per_second", "greater than 0"),
    ("rate-negative", {"max_requests_per_second": -2}, "max_requests_per_second", "greater than 0"),
    ("rate-infinite", {"max_requests_per_second": float("inf")}, "max_requests_per_second", "finite"),
    ("rate-not-number", {"max_requests_per_second": "5"}, "max_requests_per_second", "not a number"),
    (
        "removal-snapshot",
        {"removal_policy": cdk.RemovalPolicy.SNAPSHOT},
        "removal_policy",
        "use RemovalPolicy.RETAIN (keep the values) or RemovalPolicy.DESTROY",
    ),
    (
        "removal-retain-on-update",
        {"removal_policy": cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE},
        "removal_policy",
        "RemovalPolicy.RETAIN",
    ),
    ("mode", {"mode": "SOMETIMES"}, "mode", "AttributeMode.FILL_MISSING, AttributeMode.OVERWRITE"),
    ("max-failed-negative", {"max_failed_contacts": -1}, "max_failed_contacts", "-1 is negative; it must be 0"),
    ("max-failed-fraction", {"max_failed_contacts": 2.5}, "max_failed_contacts", "not a whole number"),
    ("missing", {"missing_contacts": "IGNORE"}, "missing_contacts", "MissingContactPolicy.SKIP"),
]


@pytest.mark.parametrize(("props", "field", "limit"), [row[1:] for row in INVALID], ids=[row[0] for row in INVALID])
def test_invalid_props_name_path_field_and_limit(stack, props, field, limit):
    kwargs = {**BASE, **_contacts(CONTACT_IDS), **props}
    with pytest.raises(ContactDefaultsValidationError) as raised:
        ContactDefaults(stack, "Defaults", **kwargs)
    message = str(raised.value)
    assert message.startswith("TestStack/Defaults: "), message
    assert field in message, message
    assert limit in message, message
    assert SECRET not in message, "an attribute value leaked into the error message"
    assert len(message) < 500, "error messages quote identifiers shortened"
    # Nothing was half-built into the template's role by the failed construct.
    if stack.node.try_find_child(ContactDefaultsFunction.SINGLETON_ID) is not None:
        Template.from_stack(stack).resource_count_is("Custom::ConnectContactDefaults", 0)


def test_validation_error_is_a_value_error_with_its_parts(stack):
    with pytest.raises(ValueError) as raised:
        ContactDefaults(stack, "Defaults", **{**BASE, **_contacts(["c1", "c1"])})
    error = raised.value
    assert isinstance(error, ContactDefaultsValidationError)
    assert (error.path, error.field) == ("TestStack/Defaults", "contacts[1]")


def test_limits_are_inclusive(stack):
    ContactDefaults(
        stack,
        "AtTheLimits",
        instance_id="i" * INSTANCE_ID_MAX_LENGTH,
        contacts=ContactSelection.of_ids(
            ["c" * CONTACT_ID_MAX_LENGTH] + [f"contact-{n}" for n in range(INLINE_CONTACT_IDS_MAX - 1)]
        ),
        attributes={"k": "v" * ATTRIBUTE_VALUE_MAX_LENGTH},  # 32,768 bytes with the key
        contact_expiry=cdk.Duration.minutes(1),
        max_requests_per_second=0.5,
    )
    properties = only_properties(stack)
    assert len(properties[Prop.CONTACT_IDS]) == INLINE_CONTACT_IDS_MAX
    assert properties[Prop.CONTACT_EXPIRY_MINUTES] == "1"
    assert properties[Prop.MAX_REQUESTS_PER_SECOND] == "0.5"
