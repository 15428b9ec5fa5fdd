"""ContactSelection: of_ids, and the bind() seam a file-based selection will use."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template
from contact_defaults_testing import CONTACT_IDS, INSTANCE_ID, cdk

from connect_contact_defaults import ContactDefaults, ContactSelection
from connect_contact_rules import Prop, RuleViolation


def test_of_ids_binds_to_the_contact_ids_property(stack):
    selection = ContactSelection.of_ids(tuple(CONTACT_IDS))
    grantee = iam.Role(stack, "Grantee", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    assert selection.bind(stack, grantee) == {Prop.CONTACT_IDS: CONTACT_IDS}
    # of_ids needs no grant: the IDs are in the template.
    Template.from_stack(stack).resource_count_is("AWS::IAM::Policy", 0)


def test_of_ids_copies_its_input(stack):
    ids = list(CONTACT_IDS)
    selection = ContactSelection.of_ids(ids)
    ids.append("added-later")
    assert selection.bind(stack, iam.AnyPrincipal()) == {Prop.CONTACT_IDS: CONTACT_IDS}


def test_of_ids_rejects_a_single_string():
    with pytest.raises(TypeError, match="list of contact IDs"):
        ContactSelection.of_ids("11111111-2222-3333-4444-123456789012")


def test_of_ids_checks_when_bound(stack):
    with pytest.raises(RuleViolation) as raised:
        ContactSelection.of_ids(["a", "a"]).bind(stack, iam.AnyPrincipal())
    assert raised.value.field == "contacts[1]"


def test_contact_selection_is_abstract():
    with pytest.raises(TypeError):
        ContactSelection()  # type: ignore[abstract]


class _ObjectSelection(ContactSelection):
    """What ContactSelection.from_file will look like: an S3 object the handler streams."""

    def __init__(self, object_arn: str) -> None:
        self.object_arn = object_arn

    def bind(self, scope: Any, grantee: iam.IGrantable) -> dict[str, Any]:
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=[self.object_arn])
        return {"ContactIdsObject": self.object_arn}


def test_bind_lets_a_selection_grant_the_handler_what_reading_it_takes(stack):
    object_arn = "arn:aws:s3:::contacts-bucket/selection.csv"
    ContactDefaults(
        stack, "Defaults", instance_id=INSTANCE_ID, contacts=_ObjectSelection(object_arn), attributes={"a": "b"}
    )
    template = Template.from_stack(stack)
    (resource,) = template.find_resources("Custom::ConnectContactDefaults").values()
    assert resource["Properties"]["ContactIdsObject"] == object_arn
    assert Prop.CONTACT_IDS not in resource["Properties"]
    (policy,) = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"PolicyName": Match.string_like_regexp("DefaultPolicy")}}
    ).values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {"Action": "s3:GetObject", "Effect": "Allow", "Resource": object_arn} in statements


def test_a_selection_is_bound_with_the_contact_defaults_as_scope(stack):
    seen: list[str] = []

    class Recording(ContactSelection):
        def bind(self, scope: Any, grantee: iam.IGrantable) -> dict[str, Any]:
            seen.append(scope.node.path)
            seen.append(cdk.Stack.of(grantee).resolve(grantee.grant_principal.role_arn)["Fn::GetAtt"][1])
            return {Prop.CONTACT_IDS: ["c1"]}

    ContactDefaults(stack, "Defaults", instance_id=INSTANCE_ID, contacts=Recording(), attributes={"a": "b"})
    assert seen == ["TestStack/Defaults", "Arn"]
