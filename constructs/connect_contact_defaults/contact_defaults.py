"""ContactDefaults: stamps Amazon Connect contacts with default contact attributes and an expiry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

from aws_cdk import Annotations, CustomResource, Duration, Fn, RemovalPolicy, Stack, Token, Tokenization
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from connect_contact_rules import (
    EXPIRY_MINUTES_MIN,
    MAX_FAILED_CONTACTS_DEFAULT,
    MAX_REQUESTS_PER_SECOND_DEFAULT,
    METRIC_DIMENSION_RESOURCE,
    METRIC_DIMENSION_STACK,
    METRIC_NAMESPACE,
    RESOURCE_TYPE,
    SERVICE_TIMEOUT_MAX_SECONDS,
    SERVICE_TIMEOUT_MIN_SECONDS,
    AttributeMode,
    Metric,
    MissingContactPolicy,
    Prop,
    Result,
    RuleViolation,
    ValueRemovalPolicy,
    check_attribute_key,
    check_attributes,
    check_expiry_minutes,
    check_max_failed_contacts,
    check_max_requests_per_second,
    check_service_timeout_seconds,
    check_something_declared,
    contacts_within,
    shard_count,
    type_with_article,
)

from .contact_defaults_function import ContactDefaultsFunction
from .contact_selection import ContactSelection
from .continuous_stamping import ContinuousStampingStream, continuous_declaration
from .declaration_conflicts import DeclarationConflicts
from .instance_reference import InstanceReference
from .validation_error import ContactDefaultsValidationError

SERVICE_TIMEOUT = Duration.seconds(SERVICE_TIMEOUT_MAX_SECONDS)
"""The default (and CloudFormation's maximum) ``service_timeout``: how long CloudFormation waits for
the handler's answer, 1 hour.

Each invocation of the handler is cut at 15 minutes (HANDLER_TIMEOUT); a large selection (a
contact file of tens of thousands of contacts) continues in fresh invocations from a checkpoint,
so one operation can run up to this ServiceTimeout across invocations. The handler is told its
ServiceTimeout (ServiceTimeoutSeconds, the same number): before writing anything it estimates the
operation at max_requests_per_second and fails at once, with the estimate, if the selection cannot
finish within it, rather than failing an hour in. A selection known at synth that cannot finish
within one ServiceTimeout is split into shards instead (``connect_contact_rules.shard_count``).
"""


class ContactDefaults(Construct):
    """Declares default contact attributes (and optionally a contact expiry) for selected
    Amazon Connect contacts, as a ``Custom::ConnectContactDefaults`` resource.

    On create and update the handler sets the declared attributes with UpdateContactAttributes
    (FILL_MISSING: only where a key is absent or empty, or still holds the value this resource
    set; OVERWRITE: always) and, when ``contact_expiry`` is given, the contact's
    ``connect:ContactExpiry`` segment attribute with UpdateContact (email and task contacts).
    Every ContactDefaults of a stack shares one handler function; each adds a policy of its own
    to the handler's role, with the grants on its instance and its selection.

    Where the selection's contacts are known at synth (``of_ids``, ``from_file``) and cannot be
    reconciled within one ``service_timeout`` at ``max_requests_per_second``, the construct
    declares shards: custom resources ``Shard0``, ``Shard1``, ... that each fit, each stamping the
    contacts whose ``connect_contact_rules.shard_of`` is its index. Every custom resource on one
    instance in a stack (of this or another ContactDefaults, shards included) depends on the one
    declared before it there, so CloudFormation runs them one at a time.

    Example::

        ContactDefaults(
            stack, "GreetingDefaults",
            instance_id="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            contacts=ContactSelection.of_ids(["11111111-2222-3333-4444-123456789012"]),
            attributes={"greetingPlayed": "false"},
            contact_expiry=Duration.days(7),
        )

    :param scope: the parent construct.
    :param construct_id: the construct ID.
    :param contacts: the contacts to stamp: ``ContactSelection.of_ids([...])`` (at most 1,000 IDs,
        in the template), ``ContactSelection.from_file(path)`` (a file of IDs, an S3 asset) or
        ``ContactSelection.search(...)`` (a SearchContacts query run at deploy time).
    :param instance_id: the bare ID of the Amazon Connect instance, in the stack's Region.
        Give exactly one of ``instance_id`` and ``instance_arn``. Default: none.
    :param instance_arn: the ARN of the instance
        (``arn:<partition>:connect:<region>:<account>:instance/<id>``); the handler calls
        Connect in the ARN's Region, which may differ from the stack's. Default: none.
    :param attributes: contact attributes to set, key to value. Keys 1-32,767 characters of
        ``[A-Za-z0-9_-]``, values 0-32,767 characters, 32,768 UTF-8 bytes in all. Default: no
        attributes (then ``contact_expiry`` is required).
    :param mode: how declared attributes meet values already on a contact.
        Default: ``AttributeMode.FILL_MISSING``.
    :param contact_expiry: sets ``connect:ContactExpiry`` to this duration, a whole number of
        minutes, at least 1. Default: the contacts' expiry is left alone.
    :param missing_contacts: what to do with a selected contact that does not exist.
        Default: ``MissingContactPolicy.SKIP``.
    :param removal_policy: ``RemovalPolicy.RETAIN`` keeps the values on the contacts when keys,
        contacts or the resource go away; ``RemovalPolicy.DESTROY`` clears the values this
        resource set (sets them to ""). No other policy is accepted.
        Default: ``RemovalPolicy.RETAIN``.
    :param max_requests_per_second: the most calls per second sent to any one Connect API
        (retries included), greater than 0. The stack's resources on one instance run one at a
        time, so this holds for all of them together. Default: 5.
    :param service_timeout: how long CloudFormation waits for one operation of a custom resource,
        a whole number of seconds from 1 second to 1 hour. Default: 1 hour.
    :param max_failed_contacts: how many contacts may fail (after retries) with the resource still
        answering SUCCESS, a whole number, at least 0: up to that many, the response's Data carries
        ``Failed`` and the log a WARNING naming the first failed contacts; one more fails the resource
        (and CloudFormation rolls back). Each shard counts its own. Default: 0 (any failure fails it).
    :raises ContactDefaultsValidationError: a concrete (non-token) prop breaks a rule, or the
        selection needs more than ``connect_contact_rules.SHARDS_MAX`` shards.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        contacts: ContactSelection,
        instance_id: str | None = None,
        instance_arn: str | None = None,
        attributes: Mapping[str, str] | None = None,
        mode: AttributeMode = AttributeMode.FILL_MISSING,
        contact_expiry: Duration | None = None,
        missing_contacts: MissingContactPolicy = MissingContactPolicy.SKIP,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        max_requests_per_second: float = MAX_REQUESTS_PER_SECOND_DEFAULT,
        service_timeout: Duration = SERVICE_TIMEOUT,
        max_failed_contacts: int = MAX_FAILED_CONTACTS_DEFAULT,
    ) -> None:
        super().__init__(scope, construct_id)
        try:
            instance = InstanceReference.of(self, instance_id=instance_id, instance_arn=instance_arn)
            attribute_map = _checked_attributes(attributes)
            expiry_minutes = _expiry_minutes(contact_expiry)
            check_something_declared(_declares_attributes(attribute_map), contact_expiry is not None)
            timeout_seconds = _service_timeout_seconds(service_timeout)
            properties: dict[str, Any] = {
                Prop.INSTANCE_ID: instance.instance_id,
                Prop.REGION: instance.region,
                Prop.ATTRIBUTES: attribute_map,
                Prop.MODE: _enum_value(AttributeMode, mode, "mode"),
                Prop.MISSING_CONTACTS: _enum_value(MissingContactPolicy, missing_contacts, "missing_contacts"),
                Prop.REMOVAL_POLICY: _value_removal_policy(removal_policy).value,
                Prop.MAX_REQUESTS_PER_SECOND: _rate(max_requests_per_second),
                # The handler plans its work (and its Delete) within CloudFormation's wait.
                Prop.SERVICE_TIMEOUT_SECONDS: (
                    str(timeout_seconds)
                    if timeout_seconds is not None
                    else Tokenization.stringify_number(service_timeout.to_seconds())
                ),
            }
            if expiry_minutes is not None:
                properties[Prop.CONTACT_EXPIRY_MINUTES] = expiry_minutes
            max_failed = _max_failed_contacts(max_failed_contacts)
            if max_failed is not None:  # left out at 0: a template without it is unchanged (no Update)
                properties[Prop.MAX_FAILED_CONTACTS] = max_failed
            if not isinstance(contacts, ContactSelection):
                raise RuleViolation(
                    "contacts",
                    f"is {type_with_article(contacts)}; use ContactSelection.of_ids([...]), "
                    "ContactSelection.from_file(path) or ContactSelection.search(...)",
                )
            handler = ContactDefaultsFunction.of(self)
            self.policy = handler.grants_policy(self, instance, contact_expiry=contact_expiry is not None)
            """This resource's own policy on the handler's role: its instance's and its selection's grants."""
            properties.update(contacts.bind(self, self.policy, instance))
            shards = _shards(contacts, max_requests_per_second, timeout_seconds)
            continuous = contacts.continuous_stamping()
            if continuous is not None:  # docs/continuous-defaults.md
                declaration = continuous_declaration(
                    *continuous,
                    attributes=attribute_map,
                    mode=properties[Prop.MODE],
                    expiry_minutes=expiry_minutes,
                    removal_policy=_value_removal_policy(removal_policy),
                    instance=instance,
                    stack=Stack.of(self),
                )
        except RuleViolation as violation:
            # Nothing half-built stays in the tree: no policy on the role, no asset.
            for child in list(self.node.children):
                self.node.try_remove_child(child.node.id)
            raise ContactDefaultsValidationError(self.node.path, violation) from None

        handler.fix_logical_id(self.policy)
        self.instance = instance
        self.custom_resources: list[CustomResource] = []
        """The custom resources of this ContactDefaults: ``Resource``, or its shards ``Shard0``, ``Shard1``, ..."""
        for index in range(shards):
            shard_properties = (
                properties if shards == 1 else {**properties, Prop.SHARD: {"Index": str(index), "Count": str(shards)}}
            )
            resource = CustomResource(
                self,
                "Resource" if shards == 1 else f"Shard{index}",
                resource_type=RESOURCE_TYPE,
                service_token=handler.function_arn,
                service_timeout=service_timeout,
                properties=shard_properties,
            )
            # The service token's GetAtt already orders this after the function, and the function
            # after its role's DefaultPolicy; the explicit dependencies keep every grant in place
            # before the first invoke and until the resource's Delete has answered (CloudFormation
            # deletes a resource before what it depends on), including the self-invoke policy, which
            # the function cannot depend on, and this resource's own policy.
            resource.node.add_dependency(*handler.prerequisites, self.policy)
            handler.chain_on_instance(instance, resource)
            self.custom_resources.append(resource)
        self.custom_resource = self.custom_resources[0]
        """The (first) custom resource: ``Resource``, or ``Shard0`` when the selection is sharded."""
        self.continuous: ContinuousStampingStream | None = None
        """The stream that stamps new contacts (rule, queues, function, sweep) of a continuous search, else None."""
        if continuous is not None:
            self.continuous = ContinuousStampingStream(
                self,
                "Continuous",
                instance=instance,
                query=continuous[1],
                declaration=declaration,
                sweep_every=continuous[0].sweep_interval(),
                contact_expiry=expiry_minutes is not None,
            )
            # The function is updated before the resource's Update moves the values (docs/continuous-defaults.md).
            self.custom_resource.node.add_dependency(self.continuous.function)
        if shards > 1 and timeout_seconds is not None:
            Annotations.of(self).add_info(
                f"{shards} shards (custom resources Shard0 to Shard{shards - 1}, run one after another): the "
                f"selection cannot be reconciled within one service_timeout of {timeout_seconds} s at "
                f"max_requests_per_second={max_requests_per_second:g}, which fits at most "
                f"{contacts_within(float(max_requests_per_second), timeout_seconds)} contacts"
            )
        DeclarationConflicts.of(self).declare(self, properties)  # synth-time warnings against other ContactDefaults

    @property
    def updated_count(self) -> str:
        """Number of contacts the last run changed (``Fn::GetAtt``, a string).

        With shards, each shard's number in shard order, joined by commas (``Fn::Join``): CloudFormation
        cannot add them up.
        """
        return self._result(Result.UPDATED)

    @property
    def unchanged_count(self) -> str:
        """Number of contacts that already held the declared values (``Fn::GetAtt``, a string; with
        shards, each shard's, joined by commas)."""
        return self._result(Result.UNCHANGED)

    @property
    def missing_count(self) -> str:
        """Number of selected contacts that do not exist (``Fn::GetAtt``, a string; with shards, each
        shard's, joined by commas)."""
        return self._result(Result.MISSING)

    def metric(
        self,
        metric_name: str,
        *,
        period: Duration | None = None,
        statistic: str = "Sum",
        label: str | None = None,
    ) -> cloudwatch.IMetric:
        """A metric the handler emits for this ContactDefaults (namespace ``ConnectContactDefaults``, Embedded
        Metric Format in its log, dimensions ``Stack`` and ``Resource``, the custom resource's logical ID).

        One custom resource: an ``aws_cloudwatch.Metric``. Shards: a ``MathExpression`` that adds up every
        shard's metric (a CloudWatch alarm takes at most 10 metrics: alarm on each shard's
        ``metric_for_resource`` beyond 10 shards).

        :param metric_name: one of ``connect_contact_rules.Metric``'s names.
        :param period: default 5 minutes. :param statistic: default Sum (the values are counts).
        """
        metrics = [
            self.metric_for_resource(resource, metric_name, period=period, statistic=statistic, label=label)
            for resource in self.custom_resources
        ]
        if len(metrics) == 1:
            return metrics[0]
        return cloudwatch.MathExpression(
            expression=" + ".join(f"FILL(m{index}, 0)" for index in range(len(metrics))),
            using_metrics={f"m{index}": metric for index, metric in enumerate(metrics)},
            period=period or Duration.minutes(5),
            label=label or metric_name,
        )

    def metric_for_resource(
        self,
        resource: CustomResource,
        metric_name: str,
        *,
        period: Duration | None = None,
        statistic: str = "Sum",
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """The metric of one of ``custom_resources`` (one shard)."""
        return cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={
                METRIC_DIMENSION_STACK: Stack.of(self).stack_name,
                METRIC_DIMENSION_RESOURCE: Stack.of(self).get_logical_id(resource.node.default_child),
            },
            period=period or Duration.minutes(5),
            statistic=statistic,
            label=label,
        )

    def metric_contacts_written(self, **props: Any) -> cloudwatch.IMetric:
        """Contacts the handler wrote (UpdateContactAttributes or UpdateContact). Props as ``metric``."""
        return self.metric(Metric.CONTACTS_WRITTEN, **props)

    def metric_contacts_unchanged(self, **props: Any) -> cloudwatch.IMetric:
        """Contacts that already held what is declared. Props as ``metric``."""
        return self.metric(Metric.CONTACTS_UNCHANGED, **props)

    def metric_contacts_missing(self, **props: Any) -> cloudwatch.IMetric:
        """Selected contacts that do not exist. Props as ``metric``."""
        return self.metric(Metric.CONTACTS_MISSING, **props)

    def metric_contacts_failed(self, **props: Any) -> cloudwatch.IMetric:
        """Contacts that failed after retries. An alarm on any failure, in one line::

        defaults.metric_contacts_failed().create_alarm(stack, "ContactFailures", threshold=1, evaluation_periods=1)
        """
        return self.metric(Metric.CONTACTS_FAILED, **props)

    def metric_throttled_calls(self, **props: Any) -> cloudwatch.IMetric:
        """Connect calls that were throttled (HTTP 429) and retried. Props as ``metric``."""
        return self.metric(Metric.THROTTLED_CALLS, **props)

    def _result(self, key: str) -> str:
        values = [resource.get_att_string(key) for resource in self.custom_resources]
        return values[0] if len(values) == 1 else Fn.join(",", values)


def _max_failed_contacts(max_failed_contacts: int) -> str | None:
    """The property (a string), None at 0; a token passes through (the handler checks it at deploy time)."""
    if Token.is_unresolved(max_failed_contacts):
        return Tokenization.stringify_number(max_failed_contacts)
    if isinstance(max_failed_contacts, bool) or not isinstance(max_failed_contacts, int):
        raise RuleViolation(
            "max_failed_contacts", f"{max_failed_contacts!r} is not a whole number of contacts; give an int, at least 0"
        )
    check_max_failed_contacts(max_failed_contacts, "max_failed_contacts")
    return None if max_failed_contacts == MAX_FAILED_CONTACTS_DEFAULT else str(max_failed_contacts)


def _service_timeout_seconds(service_timeout: Duration) -> int | None:
    """Whole seconds, 1 to 3,600; None for a token (CloudFormation checks it at deploy time)."""
    if not isinstance(service_timeout, Duration):
        raise RuleViolation("service_timeout", f"is {type_with_article(service_timeout)}; give a Duration")
    if service_timeout.is_unresolved():
        return None
    seconds = _whole(
        service_timeout, "seconds", "service_timeout", f"{SERVICE_TIMEOUT_MIN_SECONDS} to {SERVICE_TIMEOUT_MAX_SECONDS}"
    )
    check_service_timeout_seconds(seconds, "service_timeout")
    return seconds


def _whole(duration: Duration, unit: str, field: str, allowed: str) -> int:
    """A concrete duration in whole minutes or seconds; a fraction is a RuleViolation naming what is allowed."""
    try:  # jsii raises a plain RuntimeError for a fraction of the unit
        return int(duration.to_minutes() if unit == "minutes" else duration.to_seconds())
    except Exception:
        raise RuleViolation(
            field, f"{duration.to_human_string()} is not a whole number of {unit}; give whole {unit}, {allowed}"
        ) from None


def _shards(contacts: ContactSelection, max_requests_per_second: float, timeout_seconds: int | None) -> int:
    """How many custom resources the selection takes: 1 unless its contacts are known at synth and
    cannot be reconciled within one ServiceTimeout at the budget (then connect_contact_rules.shard_count).

    :raises RuleViolation: even connect_contact_rules.SHARDS_MAX shards cannot do it.
    """
    if timeout_seconds is None or Token.is_unresolved(max_requests_per_second):
        return 1
    contact_ids = contacts.known_contact_ids()
    if contact_ids is None:
        return 1
    return shard_count(contact_ids, float(max_requests_per_second), timeout_seconds, "contacts")


def _checked_attributes(attributes: Mapping[str, str] | None) -> Any:
    if attributes is None:
        return {}
    if Token.is_unresolved(attributes):
        return attributes  # a token for the whole map: checked by the handler at deploy time
    attribute_map = dict(attributes)
    if not any(Token.is_unresolved(key) or Token.is_unresolved(value) for key, value in attribute_map.items()):
        check_attributes(attribute_map, "attributes")
        return attribute_map
    # Some keys or values are tokens: check the concrete keys; the sizes are checked at deploy time.
    for key in attribute_map:
        if not Token.is_unresolved(key):
            check_attribute_key(key, "attributes")
    return attribute_map


def _declares_attributes(attribute_map: Any) -> bool:
    return Token.is_unresolved(attribute_map) or bool(attribute_map)


def _expiry_minutes(contact_expiry: Duration | None) -> str | None:
    if contact_expiry is None:
        return None
    if contact_expiry.is_unresolved():
        return Tokenization.stringify_number(contact_expiry.to_minutes())
    minutes = _whole(contact_expiry, "minutes", "contact_expiry", f"at least {EXPIRY_MINUTES_MIN}")
    check_expiry_minutes(minutes, "contact_expiry")
    return str(minutes)


def _enum_value(enum_type: type[Enum], value: Any, field: str) -> str:
    try:
        return enum_type(value).value
    except ValueError:
        allowed = ", ".join(f"{enum_type.__name__}.{member.name}" for member in enum_type)
        raise RuleViolation(field, f"{value!r} is not one of {allowed}") from None


def _value_removal_policy(removal_policy: RemovalPolicy) -> ValueRemovalPolicy:
    allowed = {RemovalPolicy.RETAIN: ValueRemovalPolicy.RETAIN, RemovalPolicy.DESTROY: ValueRemovalPolicy.DESTROY}
    if removal_policy not in allowed:
        raise RuleViolation(
            "removal_policy",
            f"{removal_policy} is not supported; use RemovalPolicy.RETAIN (keep the values) "
            "or RemovalPolicy.DESTROY (clear the values this resource set)",
        )
    return allowed[removal_policy]


def _rate(max_requests_per_second: float) -> str:
    if isinstance(max_requests_per_second, float) and not math.isfinite(max_requests_per_second):
        check_max_requests_per_second(
            max_requests_per_second, "max_requests_per_second"
        )  # before jsii: JSON has no inf
    if Token.is_unresolved(max_requests_per_second):
        return Tokenization.stringify_number(max_requests_per_second)
    if isinstance(max_requests_per_second, bool) or not isinstance(max_requests_per_second, int | float):
        raise RuleViolation(
            "max_requests_per_second", f"{max_requests_per_second!r} is not a number of requests per second"
        )
    check_max_requests_per_second(max_requests_per_second, "max_requests_per_second")
    rate = float(max_requests_per_second)
    return str(int(rate)) if rate.is_integer() else repr(rate)
