"""ContinuousStamping: a search selection whose declaration keeps applying to contacts created after the deployment.

``ContactSelection.search(..., continuous=ContinuousStamping(...))``. Besides the custom resource (the contacts
already there), the ContactDefaults then declares a stream (``ContinuousStampingStream``):

- an EventBridge rule on the default bus, matching the instance's INITIATED contact events (and QUEUED for a queue
  filter) of the query's channels, initiation methods and queues; never CONTACT_DATA_UPDATED, which our own writes
  cause;
- an SQS queue (SQS-managed encryption, TLS only, a dead-letter queue after CONTINUOUS_MAX_RECEIVE_COUNT receives)
  whose policy lets only that rule send;
- a function (``contact_events.handler`` in the handler's asset) with an SQS event source of bounded concurrency and
  partial batch responses, and a schedule that runs a sweep over the recent window for the events that were lost.

See docs/continuous-defaults.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from connect_contact_rules import (
    CONTACT_EVENT_DETAIL_TYPE,
    CONTACT_EVENT_INITIATED,
    CONTACT_EVENT_QUEUED,
    CONTACT_EVENT_SOURCE,
    CONTINUOUS_BATCH_SIZE,
    CONTINUOUS_DECLARATION_VARIABLE,
    CONTINUOUS_FUNCTION_TIMEOUT_SECONDS,
    CONTINUOUS_MAX_CONCURRENCY,
    CONTINUOUS_MAX_RECEIVE_COUNT,
    CONTINUOUS_REQUESTS_PER_SECOND_DEFAULT,
    CONTINUOUS_SWEEP_EVERY_DEFAULT,
    CONTINUOUS_SWEEP_WINDOW_FACTOR,
    CONTINUOUS_VISIBILITY_TIMEOUT_SECONDS,
    ContinuousProp,
    RuleViolation,
    ValueRemovalPolicy,
    check_continuous_declaration_size,
    check_max_requests_per_second,
    check_sweep_every,
)

from .contact_defaults_function import CONTACT_ACTIONS, EXPIRY_ACTIONS, HANDLER_ASSET_DIR, contacts_wildcard_finding
from .contact_selection import SEARCH_ACTIONS
from .instance_reference import InstanceReference
from .nag_acknowledgment import acknowledge_nag_finding

CONTINUOUS_HANDLER = "contact_events.handler"

CONTINUOUS_CONTACTS_WILDCARD_REASON = (
    "The continuous function stamps contacts that do not exist yet at deployment (each new contact of the instance "
    "that the query selects, named only by its contact event), so the grant is scoped to the contacts of the one "
    "declared Connect instance (instance/<id>/contact/*) and to the contact actions the function calls."
)
DEAD_LETTER_QUEUE_REASON = (
    "This queue is itself the dead-letter queue of the continuous stream (messages that failed "
    f"{CONTINUOUS_MAX_RECEIVE_COUNT} times, and events EventBridge could not deliver); a dead-letter queue of a "
    "dead-letter queue would only move the same messages again. Its depth has an alarm metric "
    "(metric_dead_letter_queue_depth)."
)


@dataclass(frozen=True)
class ContinuousStamping:
    """Keeps a search selection's declaration applying to new contacts: pass it as
    ``ContactSelection.search(..., continuous=ContinuousStamping(...))``.

    :param max_requests_per_second: the budget of continuous work: the most calls per second sent to any one Connect
        API by the event consumers and the sweep together, retries included (each of the at most 2 consumers and the
        1 sweep paces at a third of it; SearchContacts never above its own quota of 0.5/s). Greater than 0.
        Default: 3.
    :param sweep_every: how often the sweep searches the contacts initiated within the last two intervals and stamps
        those the events missed; whole minutes, 5 minutes to 24 hours. Default: 10 minutes.
    """

    max_requests_per_second: float = CONTINUOUS_REQUESTS_PER_SECOND_DEFAULT
    sweep_every: Duration | timedelta = CONTINUOUS_SWEEP_EVERY_DEFAULT

    def sweep_interval(self) -> timedelta:
        """The checked sweep interval. :raises RuleViolation: out of range or not whole minutes."""
        every = self.sweep_every
        if isinstance(every, Duration):
            if every.is_unresolved():
                raise RuleViolation("sweep_every", "is a token; give a duration known at synth")
            every = timedelta(seconds=every.to_seconds())
        if not isinstance(every, timedelta):
            raise RuleViolation("sweep_every", f"is a {type(every).__name__}; give an aws_cdk.Duration")
        check_sweep_every(every)
        return every

    def checked_rate(self) -> float:
        rate = self.max_requests_per_second
        if Token.is_unresolved(rate) or isinstance(rate, bool) or not isinstance(rate, int | float):
            raise RuleViolation("continuous.max_requests_per_second", f"{rate!r} is not a number known at synth")
        check_max_requests_per_second(float(rate), "continuous.max_requests_per_second")
        return float(rate)


@dataclass(frozen=True)
class ContinuousQuery:
    """The filters of the search that the stream applies to new contacts (concrete values)."""

    channels: tuple[str, ...]
    queue_ids: tuple[str, ...]
    initiation_methods: tuple[str, ...]


def continuous_declaration(
    stamping: ContinuousStamping,
    query: ContinuousQuery,
    *,
    attributes: Any,
    mode: str,
    expiry_minutes: str | None,
    removal_policy: ValueRemovalPolicy,
    instance: InstanceReference,
    stack: Stack,
) -> dict[str, Any]:
    """Checks what continuous stamping can honour and returns the function's declaration.

    :raises RuleViolation: a combination that cannot be honoured, with the reason.
    """
    if removal_policy is ValueRemovalPolicy.DESTROY:
        raise RuleViolation(
            "removal_policy",
            "RemovalPolicy.DESTROY cannot be honoured with continuous stamping: the stream stamps new contacts for as "
            "long as the resource exists, and its Delete can only find the contacts SearchContacts lists in the "
            "search window (at most 8 weeks back), so older contacts would keep the values DESTROY promises to "
            "clear; use RemovalPolicy.RETAIN (the values stay on the contacts)",
        )
    if Token.is_unresolved(attributes) or any(
        Token.is_unresolved(key) or Token.is_unresolved(value) for key, value in dict(attributes).items()
    ):
        raise RuleViolation(
            "attributes", "hold a token; continuous stamping carries the declaration in its function's environment, "
            "so give keys and values known at synth"
        )  # fmt: skip
    if expiry_minutes is not None and Token.is_unresolved(expiry_minutes):
        raise RuleViolation("contact_expiry", "is a token; continuous stamping needs a duration known at synth")
    regions_known = not Token.is_unresolved(instance.region) and not Token.is_unresolved(stack.region)
    if regions_known and instance.region != stack.region:
        raise RuleViolation(
            "instance_arn",
            f"the instance is in {instance.region} and the stack in {stack.region}; Connect puts contact events on "
            "the default bus of the instance's Region, so a continuous ContactDefaults must be in a stack of that "
            "Region",
        )
    rate = stamping.checked_rate()
    window = stamping.sweep_interval() * CONTINUOUS_SWEEP_WINDOW_FACTOR
    declaration: dict[str, Any] = {
        ContinuousProp.INSTANCE_ID: instance.instance_id,
        ContinuousProp.INSTANCE_ARN: instance.instance_arn,
        ContinuousProp.ATTRIBUTES: dict(attributes),
        ContinuousProp.MODE: mode,
        ContinuousProp.CHANNELS: list(query.channels),
        ContinuousProp.QUEUE_IDS: list(query.queue_ids),
        ContinuousProp.INITIATION_METHODS: list(query.initiation_methods),
        ContinuousProp.MAX_REQUESTS_PER_SECOND: rate,
        ContinuousProp.SWEEP_WINDOW_SECONDS: int(window.total_seconds()),
    }
    if expiry_minutes is not None:
        declaration[ContinuousProp.CONTACT_EXPIRY_MINUTES] = int(expiry_minutes)
    check_continuous_declaration_size(json.dumps(declaration, separators=(",", ":")))
    return declaration


def contact_event_pattern(instance: InstanceReference, query: ContinuousQuery) -> events.EventPattern:
    """INITIATED (plus QUEUED for a queue filter) contact events of the instance that match the query's filters."""
    detail: dict[str, Any] = {
        "eventType": [CONTACT_EVENT_INITIATED, CONTACT_EVENT_QUEUED] if query.queue_ids else [CONTACT_EVENT_INITIATED],
        "instanceArn": [instance.instance_arn],
    }
    if query.channels:
        detail["channel"] = list(query.channels)
    if query.initiation_methods:
        detail["initiationMethod"] = list(query.initiation_methods)
    if query.queue_ids:
        detail["queueInfo"] = {
            "queueArn": [f"{instance.instance_arn}/queue/{queue_id}" for queue_id in query.queue_ids]
        }
    return events.EventPattern(source=[CONTACT_EVENT_SOURCE], detail_type=[CONTACT_EVENT_DETAIL_TYPE], detail=detail)


class ContinuousStampingStream(Construct):
    """The rule, queues, function and schedule that keep one ContactDefaults' declaration applying to new contacts.

    Deleting the ContactDefaults deletes all of it: no new contact is stamped after that.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance: InstanceReference,
        query: ContinuousQuery,
        declaration: Mapping[str, Any],
        sweep_every: timedelta,
        contact_expiry: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge_nag_finding(self.dead_letter_queue, "AwsSolutions-SQS3", DEAD_LETTER_QUEUE_REASON)
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(CONTINUOUS_VISIBILITY_TIMEOUT_SECONDS),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=CONTINUOUS_MAX_RECEIVE_COUNT
            ),
        )
        # The rule on the default bus; the target adds a queue policy for events.amazonaws.com scoped to this rule.
        self.rule = events.Rule(
            self,
            "ContactEvents",
            description="New contacts of a continuous ContactDefaults (INITIATED/QUEUED, never CONTACT_DATA_UPDATED)",
            event_pattern=contact_event_pattern(instance, query),
        )
        self.rule.add_target(targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letter_queue))

        self.log_group = logs.LogGroup(self, "LogGroup", retention=logs.RetentionDays.THREE_MONTHS)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Continuous ContactDefaults: stamps new contacts of one Connect instance",
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]
            )
        )
        contact_actions = [*CONTACT_ACTIONS, *(EXPIRY_ACTIONS if contact_expiry else ())]
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=contact_actions, resources=[instance.contacts_arn])
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(SEARCH_ACTIONS), resources=[instance.instance_arn])
        )
        policy = self.role.node.find_child("DefaultPolicy")
        acknowledge_nag_finding(
            policy, contacts_wildcard_finding(stack.resolve(instance.contacts_arn)), CONTINUOUS_CONTACTS_WILDCARD_REASON
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Continuous ContactDefaults: stamps new Amazon Connect contacts from their events and a sweep",
            runtime=lambda_.Runtime("python3.14", lambda_.RuntimeFamily.PYTHON),
            architecture=lambda_.Architecture.ARM_64,
            handler=CONTINUOUS_HANDLER,
            code=lambda_.Code.from_asset(str(HANDLER_ASSET_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            timeout=Duration.seconds(CONTINUOUS_FUNCTION_TIMEOUT_SECONDS),
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            retry_attempts=0,  # a failed sweep is not retried: the next one covers its window again
            environment={CONTINUOUS_DECLARATION_VARIABLE: stack.to_json_string(dict(declaration))},
        )
        self.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=CONTINUOUS_BATCH_SIZE,
                max_concurrency=CONTINUOUS_MAX_CONCURRENCY,
                report_batch_item_failures=True,
            )
        )
        minutes = int(sweep_every.total_seconds() // 60)
        self.sweep_schedule = events.Rule(
            self,
            "Sweep",
            description="Continuous ContactDefaults: the sweep for contacts whose events were lost",
            schedule=events.Schedule.rate(Duration.minutes(minutes)),
        )
        self.sweep_schedule.add_target(
            targets.LambdaFunction(
                self.function, event=events.RuleTargetInput.from_object({"Sweep": {}}), retry_attempts=0
            )
        )

    def metric_dead_letter_queue_depth(self, **props: Any) -> cloudwatch.Metric:
        """Messages in the dead-letter queue (ApproximateNumberOfMessagesVisible, maximum over 5 minutes): alarm
        above 0. ``props`` are MetricOptions (period, statistic, ...)."""
        return self.dead_letter_queue.metric_approximate_number_of_messages_visible(**{"statistic": "Maximum", **props})
