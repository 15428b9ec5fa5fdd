"""ContactSelection.search: the query in the template, synth-time validation, its grants and cdk-nag."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from contact_defaults_testing import INSTANCE_ID, OTHER_INSTANCE_ARN, cdk

from connect_contact_defaults import Channel, ContactDefaults, ContactDefaultsValidationError, ContactSelection
from connect_contact_defaults.contact_defaults_function import CONTACTS_WILDCARD_REASON, ContactDefaultsFunction
from connect_contact_rules import Prop, SearchProp

OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOV = datetime(2026, 11, 1, tzinfo=UTC)


def add_search(stack: cdk.Stack, construct_id: str = "Defaults", **search: Any) -> ContactDefaults:
    return ContactDefaults(
        stack,
        construct_id,
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.search(**search),
        attributes={"greetingPlayed": "false"},
    )


def search_property(stack: cdk.Stack) -> dict[str, Any]:
    (resource,) = Template.from_stack(stack).find_resources("Custom::ConnectContactDefaults").values()
    properties = resource["Properties"]
    assert Prop.CONTACT_IDS not in properties and Prop.CONTACT_FILE not in properties
    return properties[Prop.CONTACT_SEARCH]


def test_a_relative_search_puts_the_query_into_the_template(stack):
    add_search(
        stack,
        initiated_within=cdk.Duration.days(7),
        channels=[Channel.EMAIL, Channel.TASK],
        queue_ids=["billing-queue"],
        initiation_methods=["API", "INBOUND"],
        max_contacts=500,
        revision="2026-11-22",
    )
    assert search_property(stack) == {
        SearchProp.INITIATED_WITHIN_SECONDS: "604800",
        SearchProp.CHANNELS: ["EMAIL", "TASK"],
        SearchProp.QUEUE_IDS: ["billing-queue"],
        SearchProp.INITIATION_METHODS: ["API", "INBOUND"],
        SearchProp.MAX_CONTACTS: "500",
        SearchProp.REVISION: "2026-11-22",
    }


def test_an_absolute_search_in_utc_with_defaults(stack):
    add_search(stack, initiated_after=OCT, initiated_before=NOV)
    assert search_property(stack) == {
        SearchProp.INITIATED_AFTER: "2026-10-01T00:00:00Z",
        SearchProp.INITIATED_BEFORE: "2026-11-01T00:00:00Z",
        SearchProp.MAX_CONTACTS: "10000",
    }


def test_synth_is_deterministic(tmp_path):
    """The query, not the time of synthesis, is in the template: snapshot tests keep passing."""
    rendered = []
    for run in range(2):
        app = cdk.App(outdir=str(tmp_path / str(run)))
        add_search(cdk.Stack(app, "SearchStack"), initiated_within=cdk.Duration.hours(36), channels=["CHAT"])
        app.synth()
        rendered.append((tmp_path / str(run) / "SearchStack.template.json").read_text())
    assert rendered[0] == rendered[1]


def test_tokens_pass_through_to_the_handler(stack):
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number
    queues = cdk.CfnParameter(stack, "Queues", type="CommaDelimitedList").value_as_list
    add_search(stack, initiated_within=cdk.Duration.seconds(seconds), queue_ids=queues)
    query = search_property(stack)
    assert query[SearchProp.INITIATED_WITHIN_SECONDS] == {"Ref": "Seconds"}
    assert query[SearchProp.QUEUE_IDS] == {"Ref": "Queues"}


NOW = datetime.now(UTC)

INVALID = [
    ("no-window", {}, "initiated_within", "exactly one of initiated_within and the pair"),
    (
        "both",
        {"initiated_within": cdk.Duration.days(1), "initiated_after": OCT, "initiated_before": NOV},
        "initiated_within",
        "both were given",
    ),
    ("zero", {"initiated_within": cdk.Duration.seconds(0)}, "initiated_within", "positive duration"),
    ("too-wide", {"initiated_within": cdk.Duration.days(57)}, "initiated_within", "at most 8 weeks"),
    ("fraction", {"initiated_within": cdk.Duration.millis(1500)}, "initiated_within", "whole number of seconds"),
    ("after-only", {"initiated_after": OCT}, "initiated_before", "is missing"),
    ("naive", {"initiated_after": datetime(2026, 10, 1), "initiated_before": NOV}, "initiated_after", "no time zone"),
    ("reversed", {"initiated_after": NOV, "initiated_before": OCT}, "initiated_after", "is not before"),
    (
        "pair-too-wide",
        {"initiated_after": OCT, "initiated_before": OCT + timedelta(weeks=9)},
        "initiated_before",
        "split it",
    ),
    (
        "too-old",
        {"initiated_after": NOW - timedelta(days=800), "initiated_before": NOW - timedelta(days=790)},
        "initiated_after",
        "last two years",
    ),
    (
        "channel",
        {"initiated_within": cdk.Duration.days(1), "channels": ["EMAIL", "FAX"]},
        "channels[1]",
        "not one of VOICE, CHAT, TASK, EMAIL",
    ),
    ("channels-empty", {"initiated_within": cdk.Duration.days(1), "channels": []}, "channels", "leave it out"),
    (
        "method",
        {"initiated_within": cdk.Duration.days(1), "initiation_methods": ["PIGEON"]},
        "initiation_methods[0]",
        "not one of INBOUND",
    ),
    (
        "queues",
        {"initiated_within": cdk.Duration.days(1), "queue_ids": [f"q{i}" for i in range(101)]},
        "queue_ids",
        "at most 100",
    ),
    ("max-contacts", {"initiated_within": cdk.Duration.days(1), "max_contacts": 10_001}, "max_contacts", "1 to 10000"),
    ("revision", {"initiated_within": cdk.Duration.days(1), "revision": "r" * 257}, "revision", "at most 256"),
]


@pytest.mark.parametrize(
    ("search", "field", "advice"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_an_invalid_search_fails_synth_naming_the_field_and_the_limit(stack, search, field, advice):
    with pytest.raises(ContactDefaultsValidationError) as raised:
        add_search(stack, **search)
    assert raised.value.path == "TestStack/Defaults"
    assert raised.value.field == field
    assert advice in raised.value.problem


def test_a_single_string_is_not_a_list_of_channels():
    with pytest.raises(TypeError, match="list of channels"):
        ContactSelection.search(initiated_within=cdk.Duration.days(1), channels="EMAIL")


# --- grants ---


@pytest.mark.parametrize("selection", ["ids", "search"])
def test_search_contacts_only_for_a_search_and_the_instance_probe_only_for_ids(stack, selection):
    """A search is granted connect:SearchContacts on the instance (its first call also tells a missing instance);
    IDs and files the one DescribeInstanceAttribute call of the instance probe. Neither gets the other's action,
    and a search gets no contact action beyond what its declaration needs (attributes only: no DescribeContact)."""
    contacts = {
        "ids": ContactSelection.of_ids(["c1"]),
        "search": ContactSelection.search(initiated_within=cdk.Duration.days(1)),
    }[selection]
    ContactDefaults(stack, "Defaults", instance_arn=OTHER_INSTANCE_ARN, contacts=contacts, attributes={"a": "b"})
    _, statements = resource_policy(stack)
    search = {"Action": "connect:SearchContacts", "Effect": "Allow", "Resource": OTHER_INSTANCE_ARN}
    probe = {"Action": "connect:DescribeInstanceAttribute", "Effect": "Allow", "Resource": OTHER_INSTANCE_ARN}
    assert (search in statements) == (selection == "search")
    assert (probe in statements) == (selection == "ids")
    actions = json.dumps([statement["Action"] for statement in statements])
    assert "connect:DescribeContact" not in actions and 'connect:UpdateContact"' not in actions


def resource_policy(stack: cdk.Stack, construct_id: str = "Defaults") -> tuple[str, list[dict[str, Any]]]:
    template = Template.from_stack(stack)
    (policy_id,) = [
        logical_id
        for logical_id in template.find_resources("AWS::IAM::Policy")
        if logical_id.startswith(f"{construct_id}Grants")
    ]
    statements = template.find_resources("AWS::IAM::Policy")[policy_id]["Properties"]["PolicyDocument"]["Statement"]
    return policy_id, statements


def test_search_contacts_on_the_instance_in_the_resources_own_policy(stack):
    add_search(stack, initiated_within=cdk.Duration.days(7))
    policy_id, statements = resource_policy(stack)
    resolved = [(statement["Action"], json.dumps(stack.resolve(statement["Resource"]))) for statement in statements]
    assert any(
        action == "connect:SearchContacts" and resource.endswith(f':instance/{INSTANCE_ID}"]]}}')
        for action, resource in resolved
    ), resolved
    (resource,) = Template.from_stack(stack).find_resources("Custom::ConnectContactDefaults").values()
    assert policy_id in resource["DependsOn"]


def test_an_instance_arn_is_granted_as_given(stack):
    ContactDefaults(
        stack,
        "Defaults",
        instance_arn=OTHER_INSTANCE_ARN,
        contacts=ContactSelection.search(initiated_within=cdk.Duration.days(1)),
        attributes={"a": "b"},
    )
    _, statements = resource_policy(stack)
    assert {"Action": "connect:SearchContacts", "Effect": "Allow", "Resource": OTHER_INSTANCE_ARN} in statements


def nag_findings(app: cdk.App) -> dict[str, list[str]]:
    return {
        violation.rule_name: [resource.construct_path for resource in violation.violating_resources]
        for violation in AwsSolutionsChecks().validate_scope(app).violations
    }


def test_a_stack_with_a_search_has_no_cdk_nag_finding_and_the_acknowledgment_is_needed(monkeypatch):
    app = cdk.App()
    stack = cdk.Stack(app, "SearchStack")
    add_search(stack, initiated_within=cdk.Duration.days(7))
    assert nag_findings(app) == {}
    policy = stack.node.find_child("Defaults").policy
    acknowledged = {
        key.removeprefix("Annotation::"): reason
        for entry in policy.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for key, reason in entry.data.items()
    }
    assert list(acknowledged.values()) == [CONTACTS_WILDCARD_REASON]  # DescribeContact is on the same contact/*

    monkeypatch.setattr(ContactDefaultsFunction, "_acknowledge_contacts_wildcard", lambda *args: None)
    bare = cdk.App()
    add_search(cdk.Stack(bare, "SearchStack"), initiated_within=cdk.Duration.days(7))
    assert any(
        rule.startswith("AwsSolutions-IAM5[Resource::") and rule.endswith("/contact/*]") for rule in nag_findings(bare)
    )
