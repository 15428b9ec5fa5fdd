"""Issue 10: every Delete in the cleanup phase of a stack update still has the grants it needs.

Each case synthesizes the app before and after a change and computes, from the two templates, what the
Delete of the removed (or replaced) custom resource can still do (phase_two_grants). The last tests show
the computation fails on the design it replaces: per-instance statements in the role's shared DefaultPolicy,
and a per-resource policy whose logical ID does not follow its content.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template
from contact_defaults_testing import CONTACT_IDS, INSTANCE_ID, OTHER_INSTANCE_ARN, cdk, write_contact_file
from phase_two_grants import A_CONTACT_ID, CONTACT_ACTIONS, EXPIRY_ACTIONS, PhaseTwoDelete, depends_on

from connect_contact_defaults import RESOURCE_TYPE, ContactDefaults, ContactSelection

THIRD_INSTANCE_ID = "0a1b2c3d-4567-89ab-cdef-EXAMPLE33333"


def synth(declarations: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The template of a stack with one ContactDefaults per entry (construct ID -> props)."""
    stack = cdk.Stack(cdk.App(), "UpdateStack")
    for construct_id, declared in declarations.items():
        props = {"attributes": {"greetingPlayed": "false"}, **declared}
        if "instance_arn" not in props:
            props.setdefault("instance_id", INSTANCE_ID)
        props.setdefault("contacts", ContactSelection.of_ids(CONTACT_IDS))
        ContactDefaults(stack, construct_id, removal_policy=cdk.RemovalPolicy.DESTROY, **props)
    return Template.from_stack(stack).to_json()


def custom_resource_ids(template: dict[str, Any], construct_id: str) -> list[str]:
    return [
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == RESOURCE_TYPE and logical_id.startswith(construct_id)
    ]


def phase_two_delete(old: dict[str, Any], new: dict[str, Any], construct_id: str) -> PhaseTwoDelete:
    (logical_id,) = custom_resource_ids(old, construct_id)
    return PhaseTwoDelete(old, new, logical_id)


def contact_arn(instance: str, region: str = "eu-west-2") -> str:
    return f"arn:aws:connect:{region}:123456789012:instance/{instance}/contact/{A_CONTACT_ID}"


ON_OTHER_INSTANCE = {"instance_arn": OTHER_INSTANCE_ARN}


def test_removing_one_of_two_resources_on_different_instances():
    old = synth({"First": {}, "Second": ON_OTHER_INSTANCE})
    new = synth({"Second": ON_OTHER_INSTANCE})
    delete = phase_two_delete(old, new, "First")
    assert delete.missing() == []
    assert all(delete.allows(action, contact_arn(INSTANCE_ID)) for action in CONTACT_ACTIONS)
    # The new template itself grants nothing on the first instance any more: the old policy does.
    granting = [i for i, policy in delete.policies().items() if INSTANCE_ID in json.dumps(policy)]
    assert granting and not set(granting) & set(new["Resources"])


def test_removing_a_resource_with_an_expiry_keeps_the_expiry_actions():
    old = synth({"First": {"contact_expiry": cdk.Duration.days(1)}, "Second": ON_OTHER_INSTANCE})
    new = synth({"Second": ON_OTHER_INSTANCE})
    delete = phase_two_delete(old, new, "First")
    assert set(EXPIRY_ACTIONS) <= {action for action, _ in delete.needs()}
    assert delete.missing() == []


def test_changing_the_instance_lets_the_old_physical_resource_clear_the_old_instance():
    """A replacement: the new physical resource is created in phase 1, the old one deleted in phase 2
    with the old properties and the old template's dependencies."""
    old = synth({"Moving": {}, "Staying": {"instance_id": THIRD_INSTANCE_ID}})
    new = synth({"Moving": ON_OTHER_INSTANCE, "Staying": {"instance_id": THIRD_INSTANCE_ID}})
    assert custom_resource_ids(old, "Moving") == custom_resource_ids(new, "Moving")  # same logical ID
    delete = phase_two_delete(old, new, "Moving")
    assert delete.missing() == []
    assert delete.allows("connect:UpdateContactAttributes", contact_arn(INSTANCE_ID))
    # The old instance's grant is in a policy that only the old template has.
    old_policies = set(delete.policies()) - set(new["Resources"])
    assert len(old_policies) == 1
    # And the new resource's policy is for the new instance only.
    new_delete = phase_two_delete(new, {}, "Moving")
    assert not new_delete.allows("connect:UpdateContactAttributes", contact_arn(INSTANCE_ID))


def test_removing_a_file_resource_can_still_read_its_file(tmp_path: Path):
    contact_file = write_contact_file(tmp_path / "contacts.txt", CONTACT_IDS)
    old = synth({"Inline": {}, "FromFile": {"contacts": ContactSelection.from_file(contact_file)}})
    new = synth({"Inline": {}})
    delete = phase_two_delete(old, new, "FromFile")
    assert ("s3:GetObject", f"arn:aws:s3:::cdk-hnb659fds-assets-123456789012-eu-west-2/{key_of(old)}") in (
        delete.needs()
    )
    assert delete.missing() == []


def test_changing_the_file_keeps_the_previous_file_readable_until_the_cleanup_phase(tmp_path: Path):
    """The Update (phase 1) reads the previous file: its grant is in a policy that the new template no
    longer has (not one updated in place), so CloudFormation deletes it only in phase 2."""
    first = write_contact_file(tmp_path / "first.txt", CONTACT_IDS)
    second = write_contact_file(tmp_path / "second.txt", CONTACT_IDS[:1])
    old = synth({"FromFile": {"contacts": ContactSelection.from_file(first)}})
    new = synth({"FromFile": {"contacts": ContactSelection.from_file(second)}})
    old_policy_ids = {i for i, r in old["Resources"].items() if r["Type"] == "AWS::IAM::Policy"}
    new_policy_ids = {i for i, r in new["Resources"].items() if r["Type"] == "AWS::IAM::Policy"}
    (previous,) = old_policy_ids - new_policy_ids
    assert key_of(old) in str(old["Resources"][previous]) and key_of(old) not in str(new)


def test_removing_the_last_resource_of_the_stack():
    old = synth({"Only": {"contact_expiry": cdk.Duration.days(1)}})
    new = synth({})
    assert new.get("Resources", {}) == {}
    delete = phase_two_delete(old, new, "Only")
    assert delete.missing() == []
    # Everything the Delete uses is deleted after it: the function, its role, table, log group and policies,
    # and the invoke config with its on-failure destination (function, role, log group and policies).
    assert {r["Type"] for i, r in old["Resources"].items() if i in depends_on(old, delete.logical_id)} == {
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::DynamoDB::Table",
        "AWS::Logs::LogGroup",
    }


def test_removing_a_sharded_resource_keeps_every_shard_s_grants():
    shards = {"contacts": ContactSelection.of_ids([f"contact-{n:03d}" for n in range(600)])}
    old = synth({"Sharded": {**shards, "max_requests_per_second": 10, "service_timeout": cdk.Duration.seconds(20)}})
    new = synth({})
    shard_ids = custom_resource_ids(old, "Sharded")
    assert len(shard_ids) > 1
    for logical_id in shard_ids:
        assert PhaseTwoDelete(old, new, logical_id).missing() == []


# --- the computation can fail ------------------------------------------------------------------


def grants_policy_ids(template: dict[str, Any]) -> list[str]:
    return [
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == "AWS::IAM::Policy" and "Grants" in logical_id
    ]


def in_shared_default_policy(template: dict[str, Any]) -> dict[str, Any]:
    """The same template as the design before issue 10 had it: every grant in the role's DefaultPolicy,
    which the custom resources depend on, and no policy per resource."""
    template = copy.deepcopy(template)
    resources = template["Resources"]
    (default_policy,) = [r for i, r in resources.items() if i.startswith("ConnectContactDefaultsHandlerRoleDefault")]
    for policy_id in grants_policy_ids(template):
        default_policy["Properties"]["PolicyDocument"]["Statement"] += resources.pop(policy_id)["Properties"][
            "PolicyDocument"
        ]["Statement"]
        for resource in resources.values():
            if policy_id in resource.get("DependsOn", []):
                resource["DependsOn"].remove(policy_id)
    return template


def with_fixed_policy_ids(template: dict[str, Any]) -> dict[str, Any]:
    """The same template with each resource's policy under a logical ID that does not follow its content."""
    template = copy.deepcopy(template)
    resources = template["Resources"]
    for policy_id in grants_policy_ids(template):
        fixed = policy_id[:-8]
        resources[fixed] = resources.pop(policy_id)
        for resource in resources.values():
            if policy_id in resource.get("DependsOn", []):
                resource["DependsOn"] = [fixed if i == policy_id else i for i in resource["DependsOn"]]
    return template


def test_grants_in_the_shared_default_policy_are_lost_in_phase_one():
    old = synth({"First": {}, "Second": ON_OTHER_INSTANCE})
    new = synth({"Second": ON_OTHER_INSTANCE})
    delete = phase_two_delete(in_shared_default_policy(old), in_shared_default_policy(new), "First")
    assert delete.missing() == [(action, contact_arn(INSTANCE_ID)) for action in CONTACT_ACTIONS]


def test_a_file_grant_in_the_shared_default_policy_is_lost_in_phase_one(tmp_path: Path):
    contact_file = write_contact_file(tmp_path / "contacts.txt", CONTACT_IDS)
    old = synth({"Inline": {}, "FromFile": {"contacts": ContactSelection.from_file(contact_file)}})
    new = synth({"Inline": {}})
    delete = phase_two_delete(in_shared_default_policy(old), in_shared_default_policy(new), "FromFile")
    assert [action for action, _ in delete.missing()] == ["s3:GetObject"]  # the instance is still granted


def test_a_policy_updated_in_place_loses_the_old_instance():
    old = synth({"Moving": {}})
    new = synth({"Moving": ON_OTHER_INSTANCE})
    delete = phase_two_delete(with_fixed_policy_ids(old), with_fixed_policy_ids(new), "Moving")
    assert delete.missing() == [(action, contact_arn(INSTANCE_ID)) for action in CONTACT_ACTIONS]


def test_without_the_dependencies_on_the_policies_the_last_delete_loses_them():
    """The custom resource's DependsOn on the policies is what keeps them: without it, phase 2 may delete
    its own policy and the self-invoke policy (which the function cannot depend on) first, and the invoke
    config with its on-failure destination and the policy that lets the handler's role invoke it."""
    old = synth({"Only": {}})
    delete = phase_two_delete(old, {}, "Only")
    del old["Resources"][delete.logical_id]["DependsOn"]
    missing = PhaseTwoDelete(old, {}, delete.logical_id).missing()
    assert {action for action, _ in missing} == {*CONTACT_ACTIONS, "lambda:InvokeFunction", "exists"}
    assert {(action, resource) for action, resource in missing if action == "lambda:InvokeFunction"} == {
        ("lambda:InvokeFunction", f"<{delete.function_id}.Arn>"),
        ("lambda:InvokeFunction", f"<{delete.destination_id}.Arn>"),
    }
    gone = {resource for action, resource in missing if action == "exists"}
    assert {old["Resources"][i]["Type"] for i in gone} == {
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::Logs::LogGroup",
    }
    assert delete.invoke_config_id in gone and delete.destination_id in gone
    assert delete.function_id not in gone  # the ServiceToken still holds the handler itself


def key_of(template: dict[str, Any]) -> str:
    (resource,) = [
        r for r in template["Resources"].values() if r["Type"] == RESOURCE_TYPE and "ContactFile" in r["Properties"]
    ]
    return resource["Properties"]["ContactFile"]["Key"]
