"""ContactDefaults for long deployments: max_failed_contacts (synth and the property the Lambda parses) and the
metric_...() methods over the handler's Embedded Metric Format namespace (docs/long-deployments.md)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Template
from contact_defaults_testing import CONTACT_IDS, INSTANCE_ID, cdk

from connect_contact_defaults import RESOURCE_TYPE, ContactDefaults, ContactDefaultsValidationError, ContactSelection
from connect_contact_rules import METRIC_NAMESPACE, Metric, Prop
from contact_reconciler.resource_spec import parse_resource_spec


def add(stack: cdk.Stack, construct_id: str = "Defaults", **props: Any) -> ContactDefaults:
    props.setdefault("contacts", ContactSelection.of_ids(CONTACT_IDS))
    return ContactDefaults(
        stack, construct_id, instance_id=INSTANCE_ID, attributes={"greetingPlayed": "false"}, **props
    )


def resources(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    return Template.from_stack(stack).find_resources(RESOURCE_TYPE)


def test_max_failed_contacts_is_a_string_property_the_lambda_parses(stack):
    add(stack, max_failed_contacts=25)
    ((_, resource),) = resources(stack).items()
    properties = stack.resolve(resource["Properties"])
    assert properties[Prop.MAX_FAILED_CONTACTS] == "25"
    assert parse_resource_spec(properties, "eu-west-2").max_failed_contacts == 25


def test_max_failed_contacts_zero_leaves_the_template_as_it_was(stack):
    """The default adds no property: a deployed stack sees no change, so no Update re-reads every contact."""
    add(stack, max_failed_contacts=0)
    ((_, resource),) = resources(stack).items()
    assert Prop.MAX_FAILED_CONTACTS not in resource["Properties"]
    assert parse_resource_spec(stack.resolve(resource["Properties"]), "eu-west-2").max_failed_contacts == 0


def test_a_negative_max_failed_contacts_is_rejected_at_synth_naming_the_field(stack):
    with pytest.raises(ContactDefaultsValidationError) as raised:
        add(stack, max_failed_contacts=-3)
    assert raised.value.field == "max_failed_contacts"
    assert "-3 is negative" in str(raised.value)
    assert not resources(stack)


def test_an_alarm_on_failed_contacts_takes_one_line(stack):
    defaults = add(stack)
    defaults.metric_contacts_failed().create_alarm(stack, "ContactFailures", threshold=1, evaluation_periods=1)

    (alarm,) = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()
    properties = alarm["Properties"]
    (logical_id,) = resources(stack)
    assert properties["Namespace"] == METRIC_NAMESPACE == "ConnectContactDefaults"
    assert properties["MetricName"] == Metric.CONTACTS_FAILED
    assert properties["Statistic"] == "Sum"
    assert properties["Period"] == 300
    assert sorted(properties["Dimensions"], key=lambda d: d["Name"]) == [
        {"Name": "Resource", "Value": logical_id},
        {"Name": "Stack", "Value": "TestStack"},
    ]


def test_metric_props_set_period_and_statistic(stack):
    defaults = add(stack)
    metric = defaults.metric_throttled_calls(period=cdk.Duration.minutes(1), statistic="Maximum")
    assert isinstance(metric, cloudwatch.Metric)
    assert (metric.metric_name, metric.period.to_seconds(), metric.statistic) == (Metric.THROTTLED_CALLS, 60, "Maximum")
    names = {
        defaults.metric_contacts_written().metric_name,
        defaults.metric_contacts_unchanged().metric_name,
        defaults.metric_contacts_missing().metric_name,
    }
    assert names == {Metric.CONTACTS_WRITTEN, Metric.CONTACTS_UNCHANGED, Metric.CONTACTS_MISSING}


def test_a_sharded_selection_adds_up_its_shards(stack):
    ids = [f"{index:08d}-2222-3333-4444-123456789012" for index in range(600)]
    defaults = add(
        stack,
        contacts=ContactSelection.of_ids(ids),
        max_requests_per_second=10,
        service_timeout=cdk.Duration.seconds(20),
    )
    shards = len(defaults.custom_resources)
    assert shards > 1
    metric = defaults.metric_contacts_failed()
    assert isinstance(metric, cloudwatch.MathExpression)
    assert metric.expression == " + ".join(f"FILL(m{index}, 0)" for index in range(shards))
    dimensions = [stack.resolve(m.dimensions)["Resource"] for m in metric.using_metrics.values()]
    assert dimensions == list(resources(stack))
