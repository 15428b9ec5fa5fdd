"""InstanceReference: the Amazon Connect instance a ContactDefaults works on, by ID or by ARN."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Arn, ArnFormat, Stack, Token
from constructs import Construct

from connect_contact_rules import RuleViolation, check_instance_id, parse_instance_arn


@dataclass(frozen=True)
class InstanceReference:
    """An instance as the handler and IAM need it. Any field may be a token."""

    instance_id: str
    """The bare instance ID (Connect's APIs take no ARN in InstanceId)."""
    region: str
    """The instance's Region: the stack's for an instance ID, the ARN's for an instance ARN."""
    contacts_arn: str
    """ARN pattern of the instance's contacts: ``arn:<partition>:connect:<region>:<account>:instance/<id>/contact/*``."""
    instance_arn: str
    """The instance's ARN, ``arn:<partition>:connect:<region>:<account>:instance/<id>`` (instance-level actions)."""

    @staticmethod
    def of(scope: Construct, *, instance_id: str | None, instance_arn: str | None) -> InstanceReference:
        """Reads exactly one of instance_id / instance_arn; concrete values are checked, tokens are not.

        :raises RuleViolation: neither or both are given, or a concrete value breaks a rule.
        """
        if (instance_id is None) == (instance_arn is None):
            given = "both were given" if instance_id is not None else "neither was given"
            raise RuleViolation(
                "instance_id/instance_arn", f"give exactly one of instance_id and instance_arn; {given}"
            )
        stack = Stack.of(scope)
        if instance_id is not None:
            if not Token.is_unresolved(instance_id):
                check_instance_id(instance_id, "instance_id")
            arn = stack.format_arn(
                service="connect",
                resource="instance",
                resource_name=instance_id,
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
            contacts_arn = stack.format_arn(
                service="connect",
                resource="instance",
                resource_name=f"{instance_id}/contact/*",
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
            return InstanceReference(
                instance_id=instance_id, region=stack.region, contacts_arn=contacts_arn, instance_arn=arn
            )
        assert instance_arn is not None
        if Token.is_unresolved(instance_arn):
            # Resolved at deploy time: Fn::Select over Fn::Split of the ARN.
            parts = Arn.split(instance_arn, ArnFormat.SLASH_RESOURCE_NAME)
            assert parts.resource_name is not None and parts.region is not None
            return InstanceReference(
                instance_id=parts.resource_name,
                region=parts.region,
                contacts_arn=f"{instance_arn}/contact/*",
                instance_arn=instance_arn,
            )
        parsed = parse_instance_arn(instance_arn, "instance_arn")
        return InstanceReference(
            instance_id=parsed.instance_id,
            region=parsed.region,
            contacts_arn=f"{instance_arn}/contact/*",
            instance_arn=instance_arn,
        )
