"""ContactDefaultsFunction: the one handler Lambda (with its role and log group) per stack."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnResource, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from .instance_reference import InstanceReference
from .nag_acknowledgment import acknowledge_nag_finding

HANDLER_ASSET_DIR = Path(__file__).resolve().parent / "handler_asset"
"""Built by tools/handler_asset.py: `make asset` in a checkout; shipped inside the wheel."""

STATE_TABLE_ENVIRONMENT_VARIABLE = "STATE_TABLE"
"""The function's environment variable that names its state table."""

HANDLER_TIMEOUT = Duration.minutes(15)
"""Lambda's maximum. crhelper answers CloudFormation (FAILED) just before this deadline."""

HANDLER_RETRY_ATTEMPTS = 2
"""Lambda's default, set explicitly: an invocation that dies is retried with the same event (about 1 and 2
minutes later), and the retry takes the lease over from the dead holder (resource_lease)."""

HANDLER_MAX_EVENT_AGE = Duration.hours(1)
"""An event older than CloudFormation's longest ServiceTimeout can no longer be answered usefully: Lambda then
hands it to the on-failure destination instead of retrying it."""

RETRIES_EXHAUSTED_HANDLER_LOG_GROUP_ENV = "HANDLER_LOG_GROUP"
"""The destination function's environment variable naming the handler's log group (lambda/retries_exhausted.py)."""

CONTACT_ACTIONS = ("connect:GetContactAttributes", "connect:UpdateContactAttributes")
"""What every ContactDefaults on an instance needs."""
EXPIRY_ACTIONS = ("connect:DescribeContact", "connect:UpdateContact")
"""Added for a ContactDefaults only when it declares contact_expiry."""

STATE_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query")
"""What the handler does with its state table (leases and declarations, docs/write-ownership.md): no scan, no batch."""

STATE_TABLE_BACKUP_REASON = (
    "The table holds only coordination state of the stack's custom resources (a lease per resource, "
    "naming the operation that may write, and each resource's current declaration), which every "
    "operation rewrites; it is removed with the stack. A restored copy would be stale by definition, "
    "so point-in-time recovery would only add cost."
)

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
    the stack, so that every ContactDefaults of a stack shares one function, one role, one
    log group and one state table (as CDK's CustomResourceProvider shares one function).

    The role's own policies hold what every resource needs (its log group, its state table,
    invoking itself); each ContactDefaults adds a policy of its own to the role with its
    instance's and its selection's grants (``grants_policy``), so that its grants outlive the
    first phase of a stack update (docs/write-ownership.md, section 6).
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
        # Leases and declarations of the stack's resources (docs/write-ownership.md, sections 2 and 3).
        self.state_table = dynamodb.Table(
            self,
            "StateTable",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self._acknowledge_state_table_backup()
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
        # Exactly these actions on the table itself (grant_read_write_data would add batch and scan actions,
        # and its indexes).
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(STATE_TABLE_ACTIONS), resources=[self.state_table.table_arn])
        )
        self.policy: iam.Policy = self.role.node.find_child("DefaultPolicy")  # type: ignore[assignment]
        """The role's policy (logs, state table); created before the function so the function depends on it."""
        self.function = lambda_.Function(
            self,
            "Function",
            description="Custom::ConnectContactDefaults: stamps Amazon Connect contacts with default attributes",
            # Runtime.PYTHON_3_14 is only in aws-cdk-lib 2.22x and later; the name works with every version.
            runtime=lambda_.Runtime("python3.14", lambda_.RuntimeFamily.PYTHON),
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(HANDLER_ASSET_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            timeout=HANDLER_TIMEOUT,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            environment={STATE_TABLE_ENVIRONMENT_VARIABLE: self.state_table.table_name},
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
        self._answer_when_retries_are_exhausted()
        self._last_on_instance: dict[str, CustomResource] = {}

    def _answer_when_retries_are_exhausted(self) -> None:
        """An on-failure destination for the handler's asynchronous invocations: when every attempt of an event
        died (out of memory, a crash), a small function answers CloudFormation from Lambda's record of it, at
        once, instead of leaving the stack waiting for the whole ServiceTimeout (lambda/retries_exhausted.py).

        It runs the same asset with its own role, which may only write its own log group: the ResponseURL is a
        pre-signed URL and needs no permission. The handler's role may invoke it (Lambda sends the record with
        the source function's execution role).
        """
        log_group = logs.LogGroup(self, "RetriesExhaustedLogGroup", retention=logs.RetentionDays.THREE_MONTHS)
        role = iam.Role(
            self,
            "RetriesExhaustedRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Custom::ConnectContactDefaults: answers CloudFormation when the handler's retries are exhausted",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        self.retries_exhausted_function = lambda_.Function(
            self,
            "RetriesExhaustedFunction",
            description="Custom::ConnectContactDefaults: answers a request whose every handler invocation died",
            runtime=self.function.runtime,
            architecture=lambda_.Architecture.ARM_64,
            handler="retries_exhausted.handler",
            code=lambda_.Code.from_asset(str(HANDLER_ASSET_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            timeout=Duration.minutes(1),
            memory_size=256,
            role=role,
            log_group=log_group,
            environment={RETRIES_EXHAUSTED_HANDLER_LOG_GROUP_ENV: self.log_group.log_group_name},
        )
        # Its own policy, as for the self-invoke: the invoke config depends on it (Lambda checks the permission
        # when the config is written), and it is deleted only after the config.
        destination_policy = iam.Policy(
            self,
            "RetriesExhaustedInvokePolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[self.retries_exhausted_function.function_arn]
                )
            ],
        )
        config = lambda_.CfnEventInvokeConfig(
            self,
            "AsyncInvokeConfig",
            function_name=self.function.function_name,
            qualifier="$LATEST",
            maximum_retry_attempts=HANDLER_RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=int(HANDLER_MAX_EVENT_AGE.to_seconds()),
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=self.retries_exhausted_function.function_arn
                )
            ),
        )
        config.node.add_dependency(destination_policy)
        self.async_invoke_config = config
        self.destination_policy = destination_policy

    @property
    def function_arn(self) -> str:
        return self.function.function_arn

    @property
    def prerequisites(self) -> list[Construct]:
        """The role's shared policies (logs, state table, self-invoke) and the asynchronous invoke config (its
        retries and on-failure destination): every custom resource depends on them, so that they are in place
        before its first operation and until its Delete has answered."""
        return [self.policy, self.self_invoke_policy, self.async_invoke_config]

    def grants_policy(self, scope: Construct, instance: InstanceReference, *, contact_expiry: bool) -> iam.Policy:
        """A policy of its own on the role for one ContactDefaults (``scope``), holding the contact actions
        on its instance (and the expiry actions if it declares an expiry); its selection adds what reading
        it takes. Call ``fix_logical_id`` once every statement is in."""
        actions = [*CONTACT_ACTIONS, *(EXPIRY_ACTIONS if contact_expiry else ())]
        policy = iam.Policy(
            scope,
            "Grants",
            roles=[self.role],
            statements=[iam.PolicyStatement(actions=actions, resources=[instance.contacts_arn])],
        )
        self._acknowledge_contacts_wildcard(policy, instance.contacts_arn)
        return policy

    @staticmethod
    def fix_logical_id(policy: iam.Policy) -> None:
        """Makes the policy's logical ID (and so its name) follow its statements.

        A change of grants (a new instance, a new contact file) is then a new policy, created in the
        first phase of a stack update, while CloudFormation deletes the old one in the cleanup phase,
        after the resources that depended on it in the old template: the Delete of a removed resource,
        or of a replaced resource's old physical ID, still has the old grants. A policy updated in
        place would lose them in the first phase.
        """
        stack = Stack.of(policy)
        resource: CfnResource = policy.node.default_child  # type: ignore[assignment]
        document = json.dumps(stack.resolve(policy.document.to_json()), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(document.encode("utf-8")).hexdigest()[:8].upper()
        # The logical ID CDK would give it, plus the digest (255 characters at most).
        resource.override_logical_id(stack.get_logical_id(resource)[: 255 - len(digest)] + digest)

    def chain_on_instance(self, instance: InstanceReference, resource: CustomResource) -> None:
        """Makes ``resource`` depend on the custom resource declared before it on the same instance
        (docs/write-ownership.md, section 1), so that CloudFormation never runs two of them at once.

        The instance is keyed by its resolved ID and Region: two references to one instance that
        resolve differently (an ID in an environment-agnostic stack and an ARN) are not chained.
        """
        stack = Stack.of(self)
        key = json.dumps(stack.resolve([instance.instance_id, instance.region]), sort_keys=True)
        previous = self._last_on_instance.get(key)
        if previous is not None:
            resource.node.add_dependency(previous)
        self._last_on_instance[key] = resource

    def _acknowledge_state_table_backup(self) -> None:
        """Acknowledges cdk-nag's AwsSolutions-DDB3 (no point-in-time recovery), on the state table only."""
        acknowledge_nag_finding(self.state_table, "AwsSolutions-DDB3", STATE_TABLE_BACKUP_REASON)

    def _acknowledge_contacts_wildcard(self, policy: iam.Policy, contacts_arn: str) -> None:
        """Acknowledges cdk-nag's AwsSolutions-IAM5 finding for this one contacts ARN, on this policy only."""
        finding = contacts_wildcard_finding(Stack.of(self).resolve(contacts_arn))
        acknowledge_nag_finding(policy, finding, CONTACTS_WILDCARD_REASON)


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
