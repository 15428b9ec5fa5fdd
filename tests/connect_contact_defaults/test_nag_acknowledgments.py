"""cdk-nag (AwsSolutionsChecks): no unacknowledged finding, and every acknowledgment is needed."""

from __future__ import annotations

import pytest
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks
from contact_defaults_testing import (
    CONTACT_IDS,
    INSTANCE_ID,
    OTHER_INSTANCE_ARN,
    build_file_app,
    build_multi_instance_app,
    cdk,
    write_contact_file,
)

import app as example
from connect_contact_defaults import ContactDefaults, ContactSelection
from connect_contact_defaults.contact_defaults_function import (
    CONTACTS_WILDCARD_REASON,
    STATE_TABLE_BACKUP_REASON,
    ContactDefaultsFunction,
)

POLICY_PATH = "/Grants"
"""Under each ContactDefaults: its own policy."""
STACK_INSTANCE_FINDING = (
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>"
    f":instance/{INSTANCE_ID}/contact/*]"
)
OTHER_INSTANCE_FINDING = f"AwsSolutions-IAM5[Resource::{OTHER_INSTANCE_ARN}/contact/*]"


def violations(app: cdk.App) -> dict[str, list[str]]:
    """Rule ID -> construct paths of the unacknowledged findings."""
    return {
        violation.rule_name: [resource.construct_path for resource in violation.violating_resources]
        for violation in AwsSolutionsChecks().validate_scope(app).violations
    }


def acknowledgments(construct: cdk.Resource) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in construct.node.metadata:
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
            found.update({key.removeprefix("Annotation::"): reason for key, reason in entry.data.items()})
    return found


def test_example_app_has_no_finding():
    assert violations(example.build_app()) == {}


def test_multi_instance_stack_has_no_finding(multi_instance_app):
    app, _ = multi_instance_app
    assert violations(app) == {}


@pytest.mark.parametrize("name", ["contacts.txt", "contacts.csv"])
def test_a_stack_with_a_contact_file_has_no_finding(tmp_path, name):
    header = "ContactId" if name.endswith(".csv") else None
    app, _ = build_file_app(write_contact_file(tmp_path / name, CONTACT_IDS, csv_header=header))
    assert violations(app) == {}


def test_the_contact_file_grant_needs_no_acknowledgment(monkeypatch, tmp_path):
    """Without the acknowledgments a stack with a contact file has only the contacts wildcard as a
    finding: the s3:GetObject statement on the one asset object is not one."""
    monkeypatch.setattr(ContactDefaultsFunction, "_acknowledge_contacts_wildcard", lambda self, policy, arn: None)
    app, stack = build_file_app(write_contact_file(tmp_path / "contacts.txt", CONTACT_IDS))
    assert violations(app) == {STACK_INSTANCE_FINDING: [f"FileStack/Greeting{POLICY_PATH}/Resource"]}
    assert acknowledgments(stack.node.find_child("Greeting").policy) == {}


@pytest.mark.parametrize("instance", ["token-arn", "token-id", "id-in-environment-stack"])
def test_other_instance_references_have_no_finding(instance):
    app = cdk.App()
    env = cdk.Environment(account="123456789012", region="eu-west-2") if instance.endswith("stack") else None
    stack = cdk.Stack(app, "OtherStack", env=env)
    reference = {
        "token-arn": {"instance_arn": cdk.CfnParameter(stack, "InstanceArn").value_as_string},
        "token-id": {"instance_id": cdk.CfnParameter(stack, "InstanceId").value_as_string},
        "id-in-environment-stack": {"instance_id": INSTANCE_ID},
    }[instance]
    ContactDefaults(stack, "Defaults", contacts=ContactSelection.of_ids(["c1"]), attributes={"a": "b"}, **reference)
    assert violations(app) == {}


def test_each_acknowledgment_is_needed(monkeypatch):
    """Without the acknowledgments, exactly the contacts wildcard of each resource's policy and the state
    table's point-in-time recovery are findings."""
    monkeypatch.setattr(ContactDefaultsFunction, "_acknowledge_contacts_wildcard", lambda self, policy, arn: None)
    monkeypatch.setattr(ContactDefaultsFunction, "_acknowledge_state_table_backup", lambda self: None)
    app, _ = build_multi_instance_app()
    assert violations(app) == {
        STACK_INSTANCE_FINDING: [
            f"MultiInstanceStack/Greeting{POLICY_PATH}/Resource",
            f"MultiInstanceStack/Expiry{POLICY_PATH}/Resource",
        ],
        OTHER_INSTANCE_FINDING: [f"MultiInstanceStack/OtherRegion{POLICY_PATH}/Resource"],
        "AwsSolutions-DDB3": ["MultiInstanceStack/ConnectContactDefaultsHandler/StateTable/Resource"],
    }


def test_acknowledgments_are_on_each_policy_and_the_table_only_with_their_reason(multi_instance_app):
    app, stack = multi_instance_app
    for construct_id, finding in (
        ("Greeting", STACK_INSTANCE_FINDING),
        ("Expiry", STACK_INSTANCE_FINDING),
        ("OtherRegion", OTHER_INSTANCE_FINDING),
    ):
        policy = stack.node.find_child(construct_id).policy
        assert policy.node.path == f"MultiInstanceStack/{construct_id}{POLICY_PATH}"
        assert acknowledgments(policy) == {finding: CONTACTS_WILDCARD_REASON}
    handler = stack.node.find_child("ConnectContactDefaultsHandler")
    assert acknowledgments(handler.state_table) == {"AwsSolutions-DDB3": STATE_TABLE_BACKUP_REASON}
    for wider in (app, stack, handler, handler.policy, stack.node.find_child("Greeting")):
        assert acknowledgments(wider) == {}
    for phrase in ("tens of thousands", "10,240", "contact/*"):
        assert phrase in CONTACTS_WILDCARD_REASON


def test_acknowledgments_do_not_hide_other_findings_in_the_stack(multi_instance_app):
    app, stack = multi_instance_app
    role = stack.node.find_child("ConnectContactDefaultsHandler").role
    role.add_to_principal_policy(iam.PolicyStatement(actions=["connect:*"], resources=["*"]))
    assert set(violations(app)) == {"AwsSolutions-IAM5[Action::connect:*]", "AwsSolutions-IAM5[Resource::*]"}


def test_example_app_synthesis_fails_on_a_finding():
    """AwsSolutionsChecks is registered as a validation plugin: a finding stops synthesis."""
    app = example.build_app()
    stack = app.node.find_child(example.STACK_NAME)
    iam.Role(
        stack,
        "Offending",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole")],
    )
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
