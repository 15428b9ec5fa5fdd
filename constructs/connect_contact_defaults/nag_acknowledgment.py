"""A cdk-nag acknowledgment that holds with every supported aws-cdk-lib.

- aws-cdk-lib with ``Validations`` (2.25x and later): ``Validations.of(scope).acknowledge(Acknowledgment(...))``,
  which cdk-nag 3 reads.
- An older aws-cdk-lib: the ``cdk_nag`` metadata (``rules_to_suppress``) on the scope's CloudFormation
  resource, which cdk-nag 2 reads (``NagSuppressions.add_resource_suppressions`` writes the same).
"""

from __future__ import annotations

import aws_cdk
from aws_cdk import CfnResource
from constructs import IConstruct


def acknowledge_nag_finding(scope: IConstruct, finding_id: str, reason: str) -> None:
    """Acknowledges one cdk-nag finding on scope.

    :param scope: the construct the finding is on (an L2 whose default child is the CloudFormation resource).
    :param finding_id: cdk-nag's finding ID, e.g. ``AwsSolutions-IAM5[Resource::arn:...]``.
    :param reason: why the finding is acceptable (cdk-nag asks for at least 10 characters).
    """
    validations = getattr(aws_cdk, "Validations", None)
    if validations is not None:
        validations.of(scope).acknowledge(aws_cdk.Acknowledgment(id=finding_id, reason=reason))
        return
    resource = scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to hold a cdk-nag acknowledgment")
    rule, _, applies_to = finding_id.partition("[")
    suppression: dict[str, object] = {"id": rule, "reason": reason}
    if applies_to:
        suppression["applies_to"] = [applies_to.removesuffix("]")]
    metadata = resource.get_metadata("cdk_nag") or {}
    resource.add_metadata(
        "cdk_nag", {**metadata, "rules_to_suppress": [*metadata.get("rules_to_suppress", []), suppression]}
    )
