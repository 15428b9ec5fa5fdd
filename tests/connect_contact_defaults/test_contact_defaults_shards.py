"""ContactDefaults: service_timeout, shards of a selection longer than one ServiceTimeout, and the chain
of custom resources per instance (docs/write-ownership.md, sections 1 and 5)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match, Template
from contact_defaults_testing import CONTACT_IDS, INSTANCE_ID, OTHER_INSTANCE_ARN, cdk, write_contact_file

from connect_contact_defaults import RESOURCE_TYPE, ContactDefaults, ContactDefaultsValidationError, ContactSelection
from connect_contact_rules import (
    MAX_REQUESTS_PER_SECOND_DEFAULT,
    SHARDS_MAX,
    Prop,
    contacts_within,
    shard_of,
)


def custom_resources(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    """The stack's custom resources by logical ID, in template order."""
    return Template.from_stack(stack).find_resources(RESOURCE_TYPE)


def logical_id(construct: Any) -> str:
    return cdk.Stack.of(construct).resolve(construct.node.default_child.logical_id)


def custom_resource_dependencies(stack: cdk.Stack, resource_id: str) -> list[str]:
    """The custom resources among the DependsOn of one custom resource."""
    resources = custom_resources(stack)
    return [i for i in resources[resource_id].get("DependsOn", []) if i in resources]


def add(stack: cdk.Stack, construct_id: str, **props: Any) -> ContactDefaults:
    props.setdefault("contacts", ContactSelection.of_ids(CONTACT_IDS))
    if "instance_arn" not in props:
        props.setdefault("instance_id", INSTANCE_ID)
    props.setdefault("attributes", {"greetingPlayed": "false"})
    return ContactDefaults(stack, construct_id, **props)


# --- service_timeout ---------------------------------------------------------------------------


def test_service_timeout_is_set_on_the_resource_and_told_to_the_handler(stack):
    add(stack, "Defaults", service_timeout=cdk.Duration.minutes(20))
    (resource,) = custom_resources(stack).values()
    assert resource["Properties"]["ServiceTimeout"] == "1200"
    assert resource["Properties"][Prop.SERVICE_TIMEOUT_SECONDS] == "1200"


@pytest.mark.parametrize("duration", [cdk.Duration.seconds(1), cdk.Duration.hours(1)], ids=["1s", "1h"])
def test_service_timeout_limits_are_inclusive(stack, duration):
    add(stack, "Defaults", service_timeout=duration)
    (resource,) = custom_resources(stack).values()
    assert resource["Properties"]["ServiceTimeout"] == str(int(duration.to_seconds()))


@pytest.mark.parametrize(
    ("duration", "problem"),
    [
        (cdk.Duration.seconds(0), "0 s is out of range; a custom resource's ServiceTimeout is 1 to 3600 seconds"),
        (cdk.Duration.seconds(3601), "3601 s is out of range; a custom resource's ServiceTimeout is 1 to 3600 seconds"),
        (cdk.Duration.hours(2), "7200 s is out of range"),
        (
            cdk.Duration.millis(1500),
            "1 second 500 millis is not a whole number of seconds; give whole seconds, 1 to 3600",
        ),
    ],
    ids=["zero", "over-an-hour", "two-hours", "fraction"],
)
def test_service_timeout_out_of_range_is_an_error(stack, duration, problem):
    with pytest.raises(ContactDefaultsValidationError) as raised:
        add(stack, "Defaults", service_timeout=duration)
    assert str(raised.value).startswith(f"TestStack/Defaults: service_timeout: {problem}"), str(raised.value)
    Template.from_stack(stack).resource_count_is(RESOURCE_TYPE, 0)


def test_a_service_timeout_token_is_passed_through(stack):
    seconds = cdk.CfnParameter(stack, "Timeout", type="Number").value_as_number
    add(stack, "Defaults", service_timeout=cdk.Duration.seconds(seconds))
    (resource,) = custom_resources(stack).values()
    assert resource["Properties"]["ServiceTimeout"] == {"Ref": "Timeout"}
    assert resource["Properties"][Prop.SERVICE_TIMEOUT_SECONDS] == {"Ref": "Timeout"}


# --- shards ------------------------------------------------------------------------------------

SIX_HUNDRED = [f"contact-{n:03d}" for n in range(600)]


def add_600_at_budget_10_in_20_seconds(stack: cdk.Stack) -> ContactDefaults:
    return add(
        stack,
        "Defaults",
        contacts=ContactSelection.of_ids(SIX_HUNDRED),
        max_requests_per_second=10,
        service_timeout=cdk.Duration.seconds(20),
    )


def test_600_ids_at_budget_10_in_20_seconds_become_chained_shards_that_each_fit(stack):
    defaults = add_600_at_budget_10_in_20_seconds(stack)
    capacity = contacts_within(10, 20)
    assert 0 < capacity < len(SIX_HUNDRED)
    resources = custom_resources(stack)
    count = len(resources)
    assert count >= len(SIX_HUNDRED) / capacity
    shard_ids = [logical_id(resource) for resource in defaults.custom_resources]
    assert [r.node.id for r in defaults.custom_resources] == [f"Shard{i}" for i in range(count)]
    assert list(resources) == shard_ids
    for index, shard_id in enumerate(shard_ids):
        properties = resources[shard_id]["Properties"]
        assert properties[Prop.SHARD] == {"Index": str(index), "Count": str(count)}
        assert properties[Prop.CONTACT_IDS] == SIX_HUNDRED  # the Lambda keeps its shard's part
        assert properties["ServiceTimeout"] == properties[Prop.SERVICE_TIMEOUT_SECONDS] == "20"
        assert custom_resource_dependencies(stack, shard_id) == (shard_ids[index - 1 : index] if index else [])
        assert sum(shard_of(c, count) == index for c in SIX_HUNDRED) <= capacity
    # The same properties otherwise.
    without_shard = [{k: v for k, v in r["Properties"].items() if k != Prop.SHARD} for r in resources.values()]
    assert all(properties == without_shard[0] for properties in without_shard)
    assert defaults.custom_resource is defaults.custom_resources[0]
    Annotations.from_stack(stack).has_info("/TestStack/Defaults", Match.string_like_regexp(f"^{count} shards"))


def test_a_selection_that_fits_is_one_resource_named_resource(stack):
    defaults = add(stack, "Defaults", contacts=ContactSelection.of_ids(SIX_HUNDRED), max_requests_per_second=10)
    assert [r.node.id for r in defaults.custom_resources] == ["Resource"]
    (resource,) = custom_resources(stack).values()
    assert Prop.SHARD not in resource["Properties"]


def test_a_100000_id_file_at_the_default_budget_gives_enough_chained_shards_and_no_id_in_the_template(
    tmp_path: Path,
):
    ids = [str(uuid.uuid4()) for _ in range(100_000)]
    contact_file = write_contact_file(tmp_path / "contacts.txt", ids)
    stack = cdk.Stack(cdk.App(), "LargeFileStack")
    defaults = add(stack, "Defaults", contacts=ContactSelection.from_file(contact_file))
    capacity = contacts_within(MAX_REQUESTS_PER_SECOND_DEFAULT, 3600)
    count = len(defaults.custom_resources)
    assert count >= len(ids) / capacity and count > 1
    sizes = [0] * count
    for contact_id in ids:
        sizes[shard_of(contact_id, count)] += 1
    assert max(sizes) <= capacity and sum(sizes) == len(ids)
    shard_ids = [logical_id(resource) for resource in defaults.custom_resources]
    for index, shard_id in enumerate(shard_ids[1:], start=1):
        assert custom_resource_dependencies(stack, shard_id) == [shard_ids[index - 1]]
    rendered = json.dumps(Template.from_stack(stack).to_json())
    uuids = set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", rendered))
    assert not uuids & set(ids)
    assert len(rendered) < 40_000, "the template does not grow with the file"
    # The finder above can find IDs: an inline selection of a few of them is found.
    inline = cdk.Stack(cdk.App(), "Inline")
    add(inline, "Defaults", contacts=ContactSelection.of_ids(ids[:3]))
    assert set(re.findall(r"[0-9a-f-]{36}", json.dumps(Template.from_stack(inline).to_json()))) >= set(ids[:3])


def test_more_than_shards_max_is_an_error_with_the_numbers(stack):
    ids = [f"contact-{n}" for n in range(1000)]
    capacity = contacts_within(0.1, 60)
    assert len(ids) / capacity > SHARDS_MAX
    with pytest.raises(ContactDefaultsValidationError) as raised:
        add(
            stack,
            "Defaults",
            contacts=ContactSelection.of_ids(ids),
            max_requests_per_second=0.1,
            service_timeout=cdk.Duration.seconds(60),
        )
    assert str(raised.value) == (
        f"TestStack/Defaults: contacts: 1000 contacts need more than {SHARDS_MAX} shards of at most {capacity} "
        "contacts (the ServiceTimeout of 60 s at max_requests_per_second=0.1); raise max_requests_per_second "
        "or split the selection between stacks"
    )
    template = Template.from_stack(stack)
    template.resource_count_is(RESOURCE_TYPE, 0)
    assert not [i for i in template.find_resources("AWS::IAM::Policy") if i.startswith("DefaultsGrants")]


def test_no_contact_within_the_service_timeout_is_an_error(stack, tmp_path):
    contact_file = write_contact_file(tmp_path / "contacts.txt", CONTACT_IDS)
    assert contacts_within(0.5, 1) == 0
    with pytest.raises(ContactDefaultsValidationError, match="no contact fits within the ServiceTimeout of 1 s"):
        add(
            stack,
            "Defaults",
            contacts=ContactSelection.from_file(contact_file),
            max_requests_per_second=0.5,
            service_timeout=cdk.Duration.seconds(1),
        )
    assert stack.node.find_child("Defaults").node.children == []  # no asset, no policy left behind


def test_tokens_keep_one_resource(stack):
    rate = cdk.CfnParameter(stack, "Rate", type="Number").value_as_number
    ids = cdk.CfnParameter(stack, "ContactIds", type="CommaDelimitedList").value_as_list
    one_token = cdk.CfnParameter(stack, "ContactId").value_as_string
    add(stack, "RateToken", contacts=ContactSelection.of_ids(SIX_HUNDRED), max_requests_per_second=rate)
    add(stack, "ListToken", contacts=ContactSelection.of_ids(ids), max_requests_per_second=0.01)
    add(stack, "IdToken", contacts=ContactSelection.of_ids([one_token, *SIX_HUNDRED]), max_requests_per_second=0.1)
    for construct_id in ("RateToken", "ListToken", "IdToken"):
        assert len(stack.node.find_child(construct_id).custom_resources) == 1, construct_id


def test_counts_of_shards_are_joined_in_shard_order(stack):
    defaults = add_600_at_budget_10_in_20_seconds(stack)
    shard_ids = [logical_id(resource) for resource in defaults.custom_resources]
    assert stack.resolve(defaults.updated_count) == {
        "Fn::Join": [",", [{"Fn::GetAtt": [shard_id, "Updated"]} for shard_id in shard_ids]]
    }


# --- the chain per instance ----------------------------------------------------------------------


def test_resources_on_one_instance_are_chained_in_construction_order_and_others_are_not(stack):
    first = add(stack, "First")
    other = add(stack, "Other", instance_arn=OTHER_INSTANCE_ARN)
    second = add(
        stack, "Second", contacts=ContactSelection.of_ids(SIX_HUNDRED), service_timeout=cdk.Duration.seconds(20)
    )
    third = add(stack, "Third")
    other_again = add(stack, "OtherAgain", instance_arn=OTHER_INSTANCE_ARN)
    shard_ids = [logical_id(r) for r in second.custom_resources]
    assert len(shard_ids) > 1
    expected = {
        logical_id(first.custom_resource): [],
        logical_id(other.custom_resource): [],
        shard_ids[0]: [logical_id(first.custom_resource)],
        **{shard_id: [shard_ids[i]] for i, shard_id in enumerate(shard_ids[1:])},
        logical_id(third.custom_resource): [shard_ids[-1]],
        logical_id(other_again.custom_resource): [logical_id(other.custom_resource)],
    }
    assert {i: custom_resource_dependencies(stack, i) for i in custom_resources(stack)} == expected


def test_token_instances_are_chained_by_the_token(stack):
    instance = cdk.CfnParameter(stack, "InstanceId").value_as_string
    other = cdk.CfnParameter(stack, "OtherInstanceId").value_as_string
    first = add(stack, "First", instance_id=instance)
    add(stack, "Other", instance_id=other)
    second = add(stack, "Second", instance_id=instance)
    assert custom_resource_dependencies(stack, logical_id(second.custom_resource)) == [
        logical_id(first.custom_resource)
    ]
    assert custom_resource_dependencies(stack, logical_id(stack.node.find_child("Other").custom_resource)) == []


def test_stacks_have_their_own_chains():
    app = cdk.App()
    stacks = [cdk.Stack(app, f"Stack{n}") for n in range(2)]
    for stack in stacks:
        add(stack, "First")
    for stack in stacks:
        (resource_id,) = custom_resources(stack)
        assert custom_resource_dependencies(stack, resource_id) == []
