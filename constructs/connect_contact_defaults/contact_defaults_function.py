"""ContactDefaultsFunction: the one handler Lambda (with its role and log group) per stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from .instance_reference import InstanceReference

HANDLER_ASSET_DIR = Path(__file__).resolve().parent / "handler_asset"
"""Built by tools/handler_asset.py: `make asset` in a checkout; shipped inside the wheel."""

HANDLER_TIMEOUT = Duration.minutes(15)
"""Lambda's maximum. crhelper answers CloudFormation (FAILED) just before this deadline."""

CONTACT_ACTIONS = ("connect:GetContactAttributes", "connect:UpdateContactAttributes")
"""What every ContactDefaults on an instance needs."""
EXPIRY_ACTIONS = ("connect:DescribeContact", "connect:UpdateContact")
"""Added for an instance only when some ContactDefaults on it declares contact_expiry."""

CONTACTS_WILDCARD_REASON = (
    "The handler reads and updates the contacts of the selection, whose IDs are only known to the "
    "selection (they can number in the tens of thousands, and an inline IAM policy is limited to "
    "10,240 characters), so the grant is scoped to the contacts of the one declared Connect instance "
    "(instance/<id>/contact/*) and to the contact actions the handler calls."
)


class HandlerAssetMissingError(FileNotFoundError):
    """The Lambda asset directory has not been built."""


class ContactDefaultsFunction(Construct):
    """The Lambda behind every Custom::ConnectContactDefaults of a stack.

    Use ``ContactDefaultsFunction.of(scope)``: it finds or creates the one instance under
    the stack, so that every ContactDefaults of a stack shares one function, one role and
    one log group (as CDK's CustomResourceProvider does). The role holds one statement per
    Connect instance, whatever the number of ContactDefaults on it.
    """

    SINGLETON_ID = "ConnectContactDefaultsHandler"

    @classmethod
    def of(cls, scope: IConstruct) -> ContactDefaultsFunction:
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.SINGLETON_ID)
        if existing is None:
            return cls(stack, cls.SINGLETON_ID)
        if not isinstance(existing, cls):
            raise TypeError(
                f"{stack.node.path}/{cls.SINGLETON_ID} is taken by a construct that is not a {cls.__name__}"
            )
        return existing

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        if not HANDLER_ASSET_DIR.is_dir():
            raise HandlerAssetMissingError(
                f"The Lambda asset of ContactDefaults is missing: {HANDLER_ASSET_DIR} does not exist. "
                "In a checkout of cdk-connect-contact-defaults, run `make asset`; "
                "otherwise reinstall the cdk-connect-contact-defaults package."
            )
        self.log_group = logs.LogGroup(self, "LogGroup", retention=logs.RetentionDays.THREE_MONTHS)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Custom::ConnectContactDefaults handler: contact attributes and expiry of declared instances",
        )
        # The log group's Arn attribute is arn:...:log-group:<name>:*, i.e. its own streams only.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]
            )
        )
        self.policy: iam.Policy = self.role.node.find_child("DefaultPolicy")  # type: ignore[assignment]
        """The role's policy; created before the function so the function depends on it."""
        self.function = lambda_.Function(
            self,
            "Function",
            description="Custom::ConnectContactDefaults: stamps Amazon Connect contacts with default attributes",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(HANDLER_ASSET_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            timeout=HANDLER_TIMEOUT,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
        )
        # The handler continues a long operation in a fresh invocation of itself (lambda/index.py,
        # HandOff). A policy of its own: in the role's DefaultPolicy, which the function depends
        # on, the function's ARN would make a dependency cycle.
        self.self_invoke_policy = iam.Policy(
            self,
            "SelfInvokePolicy",
            roles=[self.role],
            statements=[iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function.function_arn])],
        )
        self._statements: dict[str, iam.PolicyStatement] = {}
        self._with_expiry: set[str] = set()

    @property
    def function_arn(self) -> str:
        return self.function.function_arn

    @property
    def policies(self) -> list[iam.Policy]:
        """The role's policies: a custom resource must not run before they are in place."""
        return [self.policy, self.self_invoke_policy]

    def grant_contacts(self, instance: InstanceReference, *, contact_expiry: bool) -> None:
        """Lets the handler read and update the contacts of ``instance``.

        One statement per instance (keyed by its contacts ARN): a second ContactDefaults on the
        same instance reuses it, and adds the expiry actions to it if it declares an expiry.
        Actions keep a fixed order (contact actions, then expiry actions) whatever the order
        of the ContactDefaults.
        """
        key = instance.contacts_arn
        statement = self._statements.get(key)
        if statement is None:
            statement = iam.PolicyStatement(actions=list(CONTACT_ACTIONS), resources=[instance.contacts_arn])
            self.role.add_to_principal_policy(statement)
            self._statements[key] = statement
            self._acknowledge_contacts_wildcard(instance.contacts_arn)
        if contact_expiry and key not in self._with_expiry:
            statement.add_actions(*EXPIRY_ACTIONS)
            self._with_expiry.add(key)

    def _acknowledge_contacts_wildcard(self, contacts_arn: str) -> None:
        """Acknowledges cdk-nag's AwsSolutions-IAM5 finding for this one contacts ARN, on the role's policy only."""
        Validations.of(self.policy).acknowledge(
            Acknowledgment(
                id=contacts_wildcard_finding(Stack.of(self).resolve(contacts_arn)), reason=CONTACTS_WILDCARD_REASON
            )
        )


def contacts_wildcard_finding(resolved_contacts_arn: Any) -> str:
    """The ID of cdk-nag's finding for a statement on this (resolved) contacts ARN."""
    return f"AwsSolutions-IAM5[Resource::{flatten_cfn_reference(resolved_contacts_arn)}]"


def flatten_cfn_reference(node: Any) -> str:
    """Renders a resolved CloudFormation value as cdk-nag names it in a finding ID.

    A port of cdk-nag's utils/flatten-cfn-reference: Fn::Join is joined, Ref becomes <Name>,
    Fn::GetAtt becomes <Name.Attribute>, anything else its JSON.
    """
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(flatten_cfn_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_cfn_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_cfn_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_cfn_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
