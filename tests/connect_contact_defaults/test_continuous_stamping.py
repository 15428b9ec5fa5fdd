"""ContactSelection.search(..., continuous=ContinuousStamping(...)): what the stream declares, its grants, cdk-nag,
and the combinations refused at synth (with the reason)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from contact_defaults_testing import INSTANCE_ID, OTHER_INSTANCE_ARN, cdk

from connect_contact_defaults import (
    AttributeMode,
    Channel,
    ContactDefaults,
    ContactDefaultsValidationError,
    ContactSelection,
    ContinuousStamping,
)
from connect_contact_defaults.testing.local_cloudformation.synthesized_resources import resolved_value
from connect_contact_rules import CONTINUOUS_DECLARATION_VARIABLE

ENV = cdk.Environment(account="123456789012", region="eu-west-2")
INSTANCE_ARN = f"arn:aws:connect:eu-west-2:123456789012:instance/{INSTANCE_ID}"


def continuous_stack(**overrides: Any) -> tuple[cdk.App, cdk.Stack, ContactDefaults]:
    app = cdk.App()
    stack = cdk.Stack(app, "ContinuousStack", env=ENV)
    search: dict[str, Any] = {
        "initiated_within": cdk.Duration.days(1),
        "channels": [Channel.EMAIL, Channel.TASK],
        "queue_ids": ["billing"],
        "initiation_methods": ["API", "INBOUND"],
        "continuous": ContinuousStamping(max_requests_per_second=6, sweep_every=cdk.Duration.minutes(15)),
    }
    search.update(overrides.pop("search", {}))
    props: dict[str, Any] = {
        "instance_id": INSTANCE_ID,
        "contacts": ContactSelection.search(**search),
        "attributes": {"surveyOffered": "false"},
        "contact_expiry": cdk.Duration.days(3),
        **overrides,
    }
    return app, stack, ContactDefaults(stack, "Continuous", **props)


def test_the_stream_matches_initiated_and_queued_events_of_the_instance_and_query():
    _, stack, _ = continuous_stack()
    template = Template.from_stack(stack)
    (rule,) = [r for r in template.find_resources("AWS::Events::Rule").values() if "EventPattern" in r["Properties"]]
    assert resolved_value(rule["Properties"]["EventPattern"], "eu-west-2", "123456789012") == {
        "source": ["aws.connect"],
        "detail-type": ["Amazon Connect Contact Event"],
        "detail": {
            "eventType": ["INITIATED", "QUEUED"],
            "instanceArn": [INSTANCE_ARN],
            "channel": ["EMAIL", "TASK"],
            "initiationMethod": ["API", "INBOUND"],
            "queueInfo": {"queueArn": [f"{INSTANCE_ARN}/queue/billing"]},
        },
    }
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(15 minutes)"})
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 10,
            "ScalingConfig": {"MaximumConcurrency": 2},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", {"SqsManagedSseEnabled": True, "RedrivePolicy": {"maxReceiveCount": 3}}
    )
    (function,) = [
        r
        for r in template.find_resources("AWS::Lambda::Function").values()
        if r["Properties"]["Handler"] == "contact_events.handler"
    ]
    variables = resolved_value(function["Properties"]["Environment"]["Variables"], "eu-west-2", "123456789012")
    assert json.loads(variables[CONTINUOUS_DECLARATION_VARIABLE]) == {
        "InstanceId": INSTANCE_ID,
        "InstanceArn": INSTANCE_ARN,
        "Attributes": {"surveyOffered": "false"},
        "Mode": "FILL_MISSING",
        "ContactExpiryMinutes": 4320,
        "Channels": ["EMAIL", "TASK"],
        "QueueIds": ["billing"],
        "InitiationMethods": ["API", "INBOUND"],
        "MaxRequestsPerSecond": 6,
        "SweepWindowSeconds": 1800,
    }
    # The queue's policy lets only the rule send (besides denying plain HTTP).
    policies = template.find_resources("AWS::SQS::QueuePolicy")
    for policy in policies.values():
        allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
        assert allows and all(s["Principal"] == {"Service": "events.amazonaws.com"} for s in allows)
        assert all("aws:SourceArn" in s["Condition"]["ArnEquals"] for s in allows)


def test_the_continuous_function_may_touch_the_instances_contacts_only():
    _, stack, defaults = continuous_stack()
    assert defaults.continuous is not None
    document = resolved(stack, defaults.continuous.role.node.find_child("DefaultPolicy").document.to_json())
    connect = [s for s in document["Statement"] if any(a.startswith("connect:") for a in _actions(s))]
    assert {(tuple(_actions(s)), s["Resource"]) for s in connect} == {
        (
            (
                "connect:DescribeContact",
                "connect:GetContactAttributes",
                "connect:UpdateContact",
                "connect:UpdateContactAttributes",
            ),
            f"{INSTANCE_ARN}/contact/*",
        ),
        (("connect:SearchContacts",), INSTANCE_ARN),
    }


def resolved(stack: cdk.Stack, value: Any) -> Any:
    return resolved_value(stack.resolve(value), "eu-west-2", "123456789012")


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return sorted([actions] if isinstance(actions, str) else actions)


def test_a_continuous_stack_has_no_cdk_nag_finding():
    app, _, _ = continuous_stack()
    findings = {
        violation.rule_name: [resource.construct_path for resource in violation.violating_resources]
        for violation in AwsSolutionsChecks().validate_scope(app).violations
    }
    assert findings == {}


def test_the_dead_letter_queue_depth_has_a_metric():
    _, stack, defaults = continuous_stack()
    assert defaults.continuous is not None
    metric = defaults.continuous.metric_dead_letter_queue_depth(period=cdk.Duration.minutes(1))
    assert metric.metric_name == "ApproximateNumberOfMessagesVisible"
    assert metric.statistic == "Maximum"
    assert stack.resolve(metric.dimensions)["QueueName"] == stack.resolve(
        defaults.continuous.dead_letter_queue.queue_name
    )


@pytest.mark.parametrize(
    ("overrides", "field", "why"),
    [
        ({"removal_policy": cdk.RemovalPolicy.DESTROY}, "removal_policy", "cannot be honoured with continuous"),
        (
            {
                "search": {
                    "initiated_within": None,
                    "initiated_after": datetime(2026, 10, 1, tzinfo=UTC),
                    "initiated_before": datetime(2026, 11, 1, tzinfo=UTC),
                }
            },
            "continuous",
            "needs initiated_within",
        ),
        (
            {"search": {"continuous": ContinuousStamping(sweep_every=cdk.Duration.minutes(1))}},
            "sweep_every",
            "5 minutes",
        ),
        (
            {"search": {"continuous": ContinuousStamping(sweep_every=timedelta(minutes=7, seconds=30))}},
            "sweep_every",
            "whole number of minutes",
        ),
        (
            {"search": {"continuous": ContinuousStamping(max_requests_per_second=0)}},
            "continuous.max_requests_per_second",
            "greater than 0",
        ),
        ({"attributes": {f"key{n}": "v" * 60 for n in range(70)}}, "attributes", "4096 bytes"),
        (
            {"instance_id": None, "instance_arn": OTHER_INSTANCE_ARN},
            "instance_arn",
            "default bus of the instance's Region",
        ),
        ({"search": {"continuous": True}}, "continuous", "ContinuousStamping"),
    ],
)
def test_what_continuous_stamping_cannot_honour_is_refused_at_synth(overrides, field, why):
    with pytest.raises(ContactDefaultsValidationError) as raised:
        continuous_stack(**overrides)
    assert f"{field}: " in str(raised.value) and why in str(raised.value), str(raised.value)


def test_overwrite_and_no_expiry_are_carried_and_need_no_expiry_grants():
    _, stack, defaults = continuous_stack(mode=AttributeMode.OVERWRITE, contact_expiry=None)
    assert defaults.continuous is not None
    function = stack.resolve(defaults.continuous.function.node.default_child.logical_id)  # type: ignore[union-attr]
    environment = Template.from_stack(stack).to_json()["Resources"][function]["Properties"]["Environment"]
    text = resolved(stack, environment)["Variables"][CONTINUOUS_DECLARATION_VARIABLE]
    assert '"Mode":"OVERWRITE"' in text and "ContactExpiryMinutes" not in text
    document = resolved(stack, defaults.continuous.role.node.find_child("DefaultPolicy").document.to_json())
    assert not any("connect:UpdateContact" in _actions(s) for s in document["Statement"])


def test_a_search_without_continuous_declares_no_stream():
    app = cdk.App()
    stack = cdk.Stack(app, "Plain", env=ENV)
    defaults = ContactDefaults(
        stack,
        "Plain",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.search(initiated_within=cdk.Duration.days(1)),
        attributes={"a": "b"},
    )
    assert defaults.continuous is None
    Template.from_stack(stack).resource_count_is("AWS::Events::Rule", 0)
