"""ContactDefaultsFunction: the Lambda, its log group, its state table, and the exact IAM policies of its role."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Template
from contact_defaults_testing import (
    CONTACT_IDS,
    INSTANCE_ID,
    OTHER_INSTANCE_ARN,
    cdk,
    handler_function,
    handler_log_group_id,
    handler_role_id,
    retries_exhausted_function,
    role_id_of,
)

from connect_contact_defaults import ContactDefaults, ContactSelection
from connect_contact_defaults import contact_defaults_function as function_module
from connect_contact_defaults.contact_defaults_function import flatten_cfn_reference

CONTACT_ACTIONS = ["connect:GetContactAttributes", "connect:UpdateContactAttributes"]
EXPIRY_ACTIONS = ["connect:DescribeContact", "connect:UpdateContact"]
DEFAULT_POLICY_PREFIX = "ConnectContactDefaultsHandlerRoleDefaultPolicy"
RETRIES_EXHAUSTED_PREFIX = "ConnectContactDefaultsHandlerRetriesExhausted"


def contacts_arn_of_stack_instance(instance_id: str, suffix: str = "/contact/*") -> dict[str, Any]:
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
                f":instance/{instance_id}{suffix}",
            ],
        ]
    }


def probe_statement(instance_arn: Any) -> dict[str, Any]:
    """connect:DescribeInstanceAttribute on the instance: the handler's instance probe before any write."""
    return {"Action": "connect:DescribeInstanceAttribute", "Effect": "Allow", "Resource": instance_arn}


STACK_INSTANCE_PROBE = probe_statement(contacts_arn_of_stack_instance(INSTANCE_ID, suffix=""))


def logs_statement(template: Template) -> dict[str, Any]:
    return {
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [handler_log_group_id(template), "Arn"]},
    }


def table_statement(template: Template) -> dict[str, Any]:
    (table_id,) = template.find_resources("AWS::DynamoDB::Table")
    return {
        "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [table_id, "Arn"]},
    }


def connect_statement(actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Action": sorted(actions), "Effect": "Allow", "Resource": resource}


def policies(stack: cdk.Stack) -> tuple[Template, dict[str, dict[str, Any]]]:
    """Every policy of the handler's role by logical ID, actions sorted in the ContactDefaults' own policies.
    Each policy of the template is attached to one role: the handler's, or (its one policy) the on-failure
    destination's."""
    template = Template.from_stack(stack)
    role_id = handler_role_id(template)
    every = template.find_resources("AWS::IAM::Policy")
    found = {i: p for i, p in every.items() if p["Properties"]["Roles"] == [{"Ref": role_id}]}
    destination_role_id = role_id_of(retries_exhausted_function(template)[1])
    (destination_policy_id,) = set(every) - set(found)
    assert every[destination_policy_id]["Properties"]["Roles"] == [{"Ref": destination_role_id}]
    for logical_id, policy in found.items():
        if logical_id.startswith(DEFAULT_POLICY_PREFIX):
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if isinstance(statement["Action"], list):
                statement["Action"] = sorted(statement["Action"])
    return template, found


def grants_document(stack: cdk.Stack, construct_id: str) -> dict[str, Any]:
    """The PolicyDocument of one ContactDefaults' own policy."""
    _, found = policies(stack)
    (policy,) = [p for logical_id, p in found.items() if logical_id.startswith(f"{construct_id}Grants")]
    return policy["Properties"]["PolicyDocument"]


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def add(stack: cdk.Stack, construct_id: str, **props: Any) -> ContactDefaults:
    props.setdefault("contacts", ContactSelection.of_ids(CONTACT_IDS))
    if "instance_arn" not in props:
        props.setdefault("instance_id", INSTANCE_ID)
    return ContactDefaults(stack, construct_id, **props)


def test_the_shared_policy_holds_the_log_group_and_the_state_table_only(stack):
    add(stack, "Defaults", attributes={"greetingPlayed": "false"})
    template, found = policies(stack)
    (default_policy,) = [p for logical_id, p in found.items() if logical_id.startswith(DEFAULT_POLICY_PREFIX)]
    assert default_policy["Properties"]["PolicyDocument"] == document(
        logs_statement(template), table_statement(template)
    )


def test_policy_for_one_instance_with_attributes_only(stack):
    add(stack, "Defaults", attributes={"greetingPlayed": "false"})
    assert grants_document(stack, "Defaults") == document(
        connect_statement(CONTACT_ACTIONS, contacts_arn_of_stack_instance(INSTANCE_ID)), STACK_INSTANCE_PROBE
    )


def test_policy_for_one_instance_with_expiry(stack):
    add(stack, "Defaults", attributes={"greetingPlayed": "false"}, contact_expiry=cdk.Duration.days(7))
    assert grants_document(stack, "Defaults") == document(
        connect_statement(CONTACT_ACTIONS + EXPIRY_ACTIONS, contacts_arn_of_stack_instance(INSTANCE_ID)),
        STACK_INSTANCE_PROBE,
    )


def test_each_contact_defaults_has_its_own_policy_with_expiry_actions_only_where_declared():
    stack = cdk.Stack(cdk.App(), "TestStack")
    add(stack, "A", attributes={"a": "1"}, contact_expiry=cdk.Duration.minutes(30))
    add(stack, "B", attributes={"b": "2"})
    add(stack, "C", instance_arn=OTHER_INSTANCE_ARN, attributes={"c": "3"})
    _, found = policies(stack)
    # DefaultPolicy, SelfInvokePolicy, RetriesExhaustedInvokePolicy and one per ContactDefaults
    assert len(found) == 6
    assert grants_document(stack, "A") == document(
        connect_statement(CONTACT_ACTIONS + EXPIRY_ACTIONS, contacts_arn_of_stack_instance(INSTANCE_ID)),
        STACK_INSTANCE_PROBE,
    )
    assert grants_document(stack, "B") == document(
        connect_statement(CONTACT_ACTIONS, contacts_arn_of_stack_instance(INSTANCE_ID)), STACK_INSTANCE_PROBE
    )
    assert grants_document(stack, "C") == document(
        connect_statement(CONTACT_ACTIONS, f"{OTHER_INSTANCE_ARN}/contact/*"), probe_statement(OTHER_INSTANCE_ARN)
    )


def test_each_custom_resource_depends_on_its_own_policy_and_the_shared_ones(stack):
    add(stack, "A", attributes={"a": "1"})
    add(stack, "B", attributes={"b": "2"}, instance_arn=OTHER_INSTANCE_ARN)
    template, found = policies(stack)
    # The destination's invoke policy is reached through the invoke config, which depends on it.
    shared = sorted(i for i in found if not i.startswith(("AGrants", "BGrants", RETRIES_EXHAUSTED_PREFIX)))
    assert len(shared) == 2  # DefaultPolicy and SelfInvokePolicy
    (config_id,) = template.find_resources("AWS::Lambda::EventInvokeConfig")
    (invoke_policy_id,) = [i for i in found if i.startswith(RETRIES_EXHAUSTED_PREFIX + "InvokePolicy")]
    assert template.find_resources("AWS::Lambda::EventInvokeConfig")[config_id]["DependsOn"] == [invoke_policy_id]
    for construct_id in ("A", "B"):
        (resource_id,) = [
            i for i in template.find_resources("Custom::ConnectContactDefaults") if i.startswith(construct_id)
        ]
        (own,) = [i for i in found if i.startswith(f"{construct_id}Grants")]
        depends_on = template.find_resources("Custom::ConnectContactDefaults")[resource_id]["DependsOn"]
        assert set(depends_on) & set(found) == {own, *shared}
        assert config_id in depends_on


def grants_policy_id(props: dict[str, Any], construct_id: str = "Defaults") -> str:
    stack = cdk.Stack(cdk.App(), "TestStack")
    add(stack, construct_id, **props)
    _, found = policies(stack)
    (logical_id,) = [i for i in found if i.startswith(f"{construct_id}Grants")]
    assert found[logical_id]["Properties"]["PolicyName"] == logical_id  # an inline policy is named by it
    return logical_id


def test_the_policy_logical_id_follows_its_content():
    """A change of grants is a new policy (created in phase 1; the old one is deleted in phase 2)."""
    base = {"attributes": {"a": "1"}}
    same = grants_policy_id(base)
    assert grants_policy_id({"attributes": {"other": "value"}, "mode": "OVERWRITE"}) == same  # grants unchanged
    changed = {
        grants_policy_id({**base, "instance_arn": OTHER_INSTANCE_ARN}),
        grants_policy_id({**base, "contact_expiry": cdk.Duration.days(1)}),
    }
    assert same not in changed and len(changed) == 2
    # The prefix is CDK's logical ID of the construct path, so two resources with equal grants differ.
    assert grants_policy_id(base, "Other") != same
    assert len(same) == len("DefaultsGrants") + 8 + 8


def test_policy_for_a_token_instance_arn(stack):
    arn = cdk.CfnParameter(stack, "InstanceArn").value_as_string
    add(stack, "Defaults", instance_arn=arn, attributes={"a": "b"})
    assert grants_document(stack, "Defaults") == document(
        connect_statement(CONTACT_ACTIONS, {"Fn::Join": ["", [{"Ref": "InstanceArn"}, "/contact/*"]]}),
        probe_statement({"Ref": "InstanceArn"}),
    )


def test_the_state_table(stack):
    add(stack, "Defaults", attributes={"a": "b"})
    template = Template.from_stack(stack)
    (table_id, table), *others = template.find_resources("AWS::DynamoDB::Table").items()
    assert not others
    assert table["Properties"] == {
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    }
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Delete", "Delete")
    _, function = handler_function(template)
    assert function["Properties"]["Environment"] == {"Variables": {"STATE_TABLE": {"Ref": table_id}}}
    # Only these actions on the table anywhere (no batch, scan, or index).
    rendered = json.dumps(template.to_json())
    assert sorted(set(re.findall(r'"dynamodb:[A-Za-z*]+"', rendered))) == sorted(
        f'"dynamodb:{a}"' for a in ("DeleteItem", "GetItem", "Query", "UpdateItem")
    )
    assert "/index/" not in rendered


def test_self_invoke_policy_is_the_function_itself_only(multi_instance_app):
    """The handler hands a long operation on to a fresh invocation of itself (lambda/index.py)."""
    _, stack = multi_instance_app
    template = Template.from_stack(stack)
    function_id, _ = handler_function(template)
    role_id = handler_role_id(template)
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
    template = Template.from_stack(stack)
    for policy in template.find_resources("AWS::IAM::Policy").values():  # the destination's too
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Resource"] != "*"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all(not action.endswith("*") for action in actions)
    roles = template.find_resources("AWS::IAM::Role").values()
    assert len(roles) == 2  # the handler's and its on-failure destination's
    for role in roles:
        assert "ManagedPolicyArns" not in role["Properties"]
        assert "Policies" not in role["Properties"]
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]


def test_function_properties(stack):
    add(stack, "Defaults", attributes={"a": "b"})
    template = Template.from_stack(stack)
    function_id, function = handler_function(template)
    assert len(template.find_resources("AWS::Lambda::Function")) == 2  # and its on-failure destination
    log_groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(log_groups) == 2  # and its on-failure destination's
    ((log_group_id, log_group),) = [
        (i, g) for i, g in log_groups.items() if i.startswith("ConnectContactDefaultsHandlerLogGroup")
    ]
    role_id = handler_role_id(template)
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


def test_every_attempt_dying_is_answered_by_an_on_failure_destination_that_may_only_log(stack):
    add(stack, "Defaults", attributes={"greetingPlayed": "false"})
    template = Template.from_stack(stack)
    handler_id, handler = handler_function(template)
    destination_id, destination_function = retries_exhausted_function(template)
    destination = destination_function["Properties"]
    assert destination["Code"] == handler["Properties"]["Code"]  # the same asset
    (config,) = template.find_resources("AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"] == {
        "FunctionName": {"Ref": handler_id},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 3600,
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [destination_id, "Arn"]}}},
    }
    # The handler's role may invoke the destination and nothing else new; the destination's role may only log.
    (invoke,) = [
        p
        for i, p in template.find_resources("AWS::IAM::Policy").items()
        if i.startswith(RETRIES_EXHAUSTED_PREFIX + "InvokePolicy")
    ]
    assert invoke["Properties"]["Roles"] == [{"Ref": handler_role_id(template)}]
    assert invoke["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Fn::GetAtt": [destination_id, "Arn"]}}
    ]
    assert any(i.startswith(RETRIES_EXHAUSTED_PREFIX + "InvokePolicy") for i in config["DependsOn"])
    destination_role = role_id_of(destination_function)
    (own,) = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": destination_role}]
    ]
    (log_group_id,) = [
        i for i in template.find_resources("AWS::Logs::LogGroup") if i.startswith(RETRIES_EXHAUSTED_PREFIX)
    ]
    assert own["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        }
    ]
    assert destination["Environment"]["Variables"]["HANDLER_LOG_GROUP"] == {"Ref": handler_log_group_id(template)}
