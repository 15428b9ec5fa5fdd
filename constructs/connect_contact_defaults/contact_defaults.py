"""ContactDefaults: stamps Amazon Connect contacts with default contact attributes and an expiry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

from aws_cdk import CustomResource, Duration, RemovalPolicy, Token, Tokenization
from constructs import Construct

from connect_contact_rules import (
    EXPIRY_MINUTES_MIN,
    MAX_REQUESTS_PER_SECOND_DEFAULT,
    AttributeMode,
    MissingContactPolicy,
    Prop,
    Result,
    RuleViolation,
    ValueRemovalPolicy,
    check_attribute_key,
    check_attributes,
    check_expiry_minutes,
    check_max_requests_per_second,
    check_something_declared,
)

from .contact_defaults_function import ContactDefaultsFunction
from .contact_selection import ContactSelection
from .instance_reference import InstanceReference
from .validation_error import ContactDefaultsValidationError

RESOURCE_TYPE = "Custom::ConnectContactDefaults"

SERVICE_TIMEOUT = Duration.hours(1)
"""How long CloudFormation waits for the handler's answer: 1 hour, CloudFormation's maximum.

Each invocation of the handler is cut at 15 minutes (HANDLER_TIMEOUT); a large selection (a
contact file of tens of thousands of contacts) continues in fresh invocations from a checkpoint,
so one operation can run up to this ServiceTimeout across invocations, and the maximum lets a
large selection use all of it. The handler is told this budget (ServiceTimeoutSeconds, the same
number): before writing anything it estimates the operation at max_requests_per_second and fails
at once, with the estimate, if the selection cannot finish within it, rather than failing an
hour in.
"""


class ContactDefaults(Construct):
    """Declares default contact attributes (and optionally a contact expiry) for selected
    Amazon Connect contacts, as a ``Custom::ConnectContactDefaults`` resource.

    On create and update the handler sets the declared attributes with UpdateContactAttributes
    (FILL_MISSING: only where a key is absent or empty, or still holds the value this resource
    set; OVERWRITE: always) and, when ``contact_expiry`` is given, the contact's
    ``connect:ContactExpiry`` segment attribute with UpdateContact (email and task contacts).
    Every ContactDefaults of a stack shares one handler function; its role may read and update
    the contacts of each declared instance.

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
        in the template) or ``ContactSelection.from_file(path)`` (a file of IDs, an S3 asset).
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
    :param max_requests_per_second: a budget for all the Connect calls one run of this resource
        makes, greater than 0. Default: 5.
    :raises ContactDefaultsValidationError: a concrete (non-token) prop breaks a rule.
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
    ) -> None:
        super().__init__(scope, construct_id)
        try:
            instance = InstanceReference.of(self, instance_id=instance_id, instance_arn=instance_arn)
            attribute_map = _checked_attributes(attributes)
            expiry_minutes = _expiry_minutes(contact_expiry)
            check_something_declared(_declares_attributes(attribute_map), contact_expiry is not None)
            properties: dict[str, Any] = {
                Prop.INSTANCE_ID: instance.instance_id,
                Prop.REGION: instance.region,
                Prop.ATTRIBUTES: attribute_map,
                Prop.MODE: _enum_value(AttributeMode, mode, "mode"),
                Prop.MISSING_CONTACTS: _enum_value(MissingContactPolicy, missing_contacts, "missing_contacts"),
                Prop.REMOVAL_POLICY: _value_removal_policy(removal_policy).value,
                Prop.MAX_REQUESTS_PER_SECOND: _rate(max_requests_per_second),
                # The handler plans its work (and its Delete) within CloudFormation's wait.
                Prop.SERVICE_TIMEOUT_SECONDS: str(int(SERVICE_TIMEOUT.to_seconds())),
            }
            if expiry_minutes is not None:
                properties[Prop.CONTACT_EXPIRY_MINUTES] = expiry_minutes
            if not isinstance(contacts, ContactSelection):
                raise RuleViolation(
                    "contacts",
                    f"is a {type(contacts).__name__}; use ContactSelection.of_ids([...]) or ContactSelection.from_file(path)",
                )
            handler = ContactDefaultsFunction.of(self)
            properties.update(contacts.bind(self, handler.function))
        except RuleViolation as violation:
            raise ContactDefaultsValidationError(self.node.path, violation) from None

        handler.grant_contacts(instance, contact_expiry=contact_expiry is not None)
        self.instance = instance
        self.custom_resource = CustomResource(
            self,
            "Resource",
            resource_type=RESOURCE_TYPE,
            service_token=handler.function_arn,
            service_timeout=SERVICE_TIMEOUT,
            properties=properties,
        )
        # The service token's GetAtt already orders this after the function, and the function
        # after its role's DefaultPolicy; the explicit dependencies keep IAM in place before the
        # first invoke even when a stack update only adds a statement for a new instance, and
        # cover the self-invoke policy, which the function cannot depend on.
        self.custom_resource.node.add_dependency(*handler.policies)

    @property
    def updated_count(self) -> str:
        """Number of contacts the last run changed (``Fn::GetAtt``, a string)."""
        return self.custom_resource.get_att_string(Result.UPDATED)

    @property
    def unchanged_count(self) -> str:
        """Number of contacts that already held the declared values (``Fn::GetAtt``, a string)."""
        return self.custom_resource.get_att_string(Result.UNCHANGED)

    @property
    def missing_count(self) -> str:
        """Number of selected contacts that do not exist (``Fn::GetAtt``, a string)."""
        return self.custom_resource.get_att_string(Result.MISSING)


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
    try:
        minutes = contact_expiry.to_minutes()
    except Exception:  # jsii raises a plain RuntimeError for a fraction of a minute
        raise RuleViolation(
            "contact_expiry",
            f"{contact_expiry.to_human_string()} is not a whole number of minutes; "
            f"give whole minutes, at least {EXPIRY_MINUTES_MIN}",
        ) from None
    check_expiry_minutes(int(minutes), "contact_expiry")
    return str(int(minutes))


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
