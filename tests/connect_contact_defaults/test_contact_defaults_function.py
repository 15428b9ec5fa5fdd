"""ContactDefaultsFunction: the Lambda, its log group, and the exact IAM policy of its role."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template
from contact_defaults_testing import CONTACT_IDS, INSTANCE_ID, OTHER_INSTANCE_ARN, cdk

from connect_contact_defaults import ContactDefaults, ContactSelection
from connect_contact_defaults import contact_defaults_function as function_module
from connect_contact_defaults.contact_defaults_function import flatten_cfn_reference

CONTACT_ACTIONS = ["connect:GetContactAttributes", "connect:UpdateContactAttributes"]
EXPIRY_ACTIONS = ["connect:DescribeContact", "connect:UpdateContact"]
DEFAULT_POLICY_PREFIX = "ConnectContactDefaultsHandlerRoleDefaultPolicy"


def contacts_arn_of_stack_instance(instance_id: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":connect:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":instance/{instance_id}/contact/*",
            ],
        ]
    }


def logs_statement(template: Template) -> dict[str, Any]:
    (log_group_id,) = template.find_resources("AWS::Logs::LogGroup")
    return {
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
    }


def connect_statement(actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Action": sorted(actions), "Effect": "Allow", "Resource": resource}


def role_policy_document(stack: cdk.Stack) -> tuple[Template, dict[str, Any]]:
    """The one policy of the template (asserted attached to the one role), actions sorted."""
    template = Template.from_stack(stack)
    (role_id,) = template.find_resources("AWS::IAM::Role")
    policies = template.find_resources("AWS::IAM::Policy")
    assert all(p["Properties"]["Roles"] == [{"Ref": role_id}] for p in policies.values())
    (policy,) = [p for logical_id, p in policies.items() if logical_id.startswith(DEFAULT_POLICY_PREFIX)]
    document = policy["Properties"]["PolicyDocument"]
    for statement in document["Statement"]:
        if isinstance(statement["Action"], list):
            statement["Action"] = sorted(statement["Action"])
    return template, document


def add(stack: cdk.Stack, construct_id: str, **props: Any) -> ContactDefaults:
    props.setdefault("contacts", ContactSelection.of_ids(CONTACT_IDS))
    if "instance_arn" not in props:
        props.setdefault("instance_id", INSTANCE_ID)
    return ContactDefaults(stack, construct_id, **props)


def test_policy_for_one_instance_with_attributes_only(stack):
    add(stack, "Defaults", attributes={"greetingPlayed": "false"})
    template, document = role_policy_document(stack)
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            logs_statement(template),
            connect_statement(CONTACT_ACTIONS, contacts_arn_of_stack_instance(INSTANCE_ID)),
        ],
    }


def test_policy_for_one_instance_with_expiry(stack):
    add(stack, "Defaults", attributes={"greetingPlayed": "false"}, contact_expiry=cdk.Duration.days(7))
    template, document = role_policy_document(stack)
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            logs_statement(template),
            connect_statement(CONTACT_ACTIONS + EXPIRY_ACTIONS, contacts_arn_of_stack_instance(INSTANCE_ID)),
        ],
    }


@pytest.mark.parametrize("expiry_first", [True, False], ids=["expiry-first", "expiry-second"])
def test_constructs_on_one_instance_share_one_statement(expiry_first):
    """Three ContactDefaults on two instances: one statement per instance, expiry actions only where declared."""
    stack = cdk.Stack(cdk.App(), "TestStack")
    with_expiry = {"contact_expiry": cdk.Duration.minutes(30)}
    add(stack, "A", attributes={"a": "1"}, **(with_expiry if expiry_first else {}))
    add(stack, "B", attributes={"b": "2"}, **({} if expiry_first else with_expiry))
    add(stack, "C", instance_arn=OTHER_INSTANCE_ARN, attributes={"c": "3"})
    template, document = role_policy_document(stack)
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            logs_statement(template),
            connect_statement(CONTACT_ACTIONS + EXPIRY_ACTIONS, contacts_arn_of_stack_instance(INSTANCE_ID)),
            connect_statement(CONTACT_ACTIONS, f"{OTHER_INSTANCE_ARN}/contact/*"),
        ],
    }


def test_actions_keep_a_fixed_order_whatever_the_construct_order():
    documents = []
    for expiry_first in (True, False):
        stack = cdk.Stack(cdk.App(), "TestStack")
        add(stack, "A", attributes={"a": "1"}, **({"contact_expiry": cdk.Duration.minutes(5)} if expiry_first else {}))
        add(stack, "B", attributes={"b": "2"}, **({} if expiry_first else {"contact_expiry": cdk.Duration.minutes(5)}))
        policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
        (policy,) = [p for logical_id, p in policies.items() if logical_id.startswith(DEFAULT_POLICY_PREFIX)]
        documents.append(policy["Properties"]["PolicyDocument"])
    assert documents[0] == documents[1]
    assert documents[0]["Statement"][1]["Action"] == CONTACT_ACTIONS + EXPIRY_ACTIONS


def test_policy_for_a_token_instance_arn(stack):
    arn = cdk.CfnParameter(stack, "InstanceArn").value_as_string
    add(stack, "Defaults", instance_arn=arn, attributes={"a": "b"})
    _, document = role_policy_document(stack)
    assert document["Statement"][1] == connect_statement(
        CONTACT_ACTIONS, {"Fn::Join": ["", [{"Ref": "InstanceArn"}, "/contact/*"]]}
    )


def test_self_invoke_policy_is_the_function_itself_only(multi_instance_app):
    """The handler hands a long operation on to a fresh invocation of itself (lambda/index.py)."""
    _, stack = multi_instance_app
    template = Template.from_stack(stack)
    (function_id,) = template.find_resources("AWS::Lambda::Function")
    (role_id,) = template.find_resources("AWS::IAM::Role")
    (invoke_policy,) = [
        p
        for logical_id, p in template.find_resources("AWS::IAM::Policy").items()
        if logical_id.startswith("ConnectContactDefaultsHandlerSelfInvokePolicy")
    ]
    assert invoke_policy["Properties"]["PolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Fn::GetAtt": [function_id, "Arn"]}}
        ],
    }
    assert invoke_policy["Properties"]["Roles"] == [{"Ref": role_id}]


def test_no_wildcard_resource_and_no_managed_policy(multi_instance_app):
    _, stack = multi_instance_app
    template, document = role_policy_document(stack)
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Resource"] != "*"
    for statement in document["Statement"]:
        assert statement["Resource"] != "*"
        assert all(not action.endswith("*") for action in statement["Action"])
    (role,) = template.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]


def test_function_properties(stack):
    add(stack, "Defaults", attributes={"a": "b"})
    template = Template.from_stack(stack)
    (function_id, function), *others = template.find_resources("AWS::Lambda::Function").items()
    assert not others
    (log_group_id, log_group), *_ = template.find_resources("AWS::Logs::LogGroup").items()
    (role_id,) = template.find_resources("AWS::IAM::Role")
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.14"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == "index.handler"
    assert properties["Timeout"] == 900
    assert properties["MemorySize"] == 256
    assert properties["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert properties["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
    assert log_group["Properties"] == {"RetentionInDays": 90}
    assert function_id.startswith("ConnectContactDefaultsHandlerFunction")


def test_asset_directory_missing_tells_how_to_build_it(stack, tmp_path, monkeypatch):
    monkeypatch.setattr(function_module, "HANDLER_ASSET_DIR", tmp_path / "handler_asset")
    with pytest.raises(function_module.HandlerAssetMissingError) as raised:
        add(stack, "Defaults", attributes={"a": "b"})
    message = str(raised.value)
    assert str(tmp_path / "handler_asset") in message
    assert "make asset" in message
    assert "reinstall" in message


def test_asset_holds_the_handler_and_the_shared_rules():
    asset = function_module.HANDLER_ASSET_DIR
    for name in ("index.py", "connect_contact_rules.py", "crhelper/__init__.py", "boto3/__init__.py"):
        assert (asset / name).is_file(), name


@pytest.mark.parametrize(
    ("resolved", "flattened"),
    [
        ("arn:aws:connect:us-east-1:1:instance/i/contact/*", "arn:aws:connect:us-east-1:1:instance/i/contact/*"),
        (
            contacts_arn_of_stack_instance("i"),
            "arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/i/contact/*",
        ),
        ({"Fn::Join": ["", [{"Ref": "InstanceArn"}, "/contact/*"]]}, "<InstanceArn>/contact/*"),
        ({"Fn::GetAtt": ["Group", "Arn"]}, "<Group.Arn>"),
        ({"Fn::Sub": "arn:${AWS::Partition}:x"}, "arn:<AWS::Partition>:x"),
        ({"Fn::ImportValue": "Exported"}, "Exported"),
        ({"Fn::Select": [1, ["a", "b"]]}, '{"Fn::Select":[1,["a","b"]]}'),
    ],
)
def test_flatten_cfn_reference_names_resources_as_cdk_nag_does(resolved, flattened):
    assert flatten_cfn_reference(resolved) == flattened
