"""The contacts wildcard is acknowledged for whichever cdk-nag the installed aws-cdk-lib goes with:
cdk-nag 3 reads Validations (aws-cdk-lib 2.25x+), cdk-nag 2 reads the `cdk_nag` metadata (older ones).

This file also runs against the lowest supported versions (test_lowest_supported_versions.py), with cdk-nag 2.
"""

from __future__ import annotations

import aws_cdk
from aws_cdk.assertions import Annotations, Match
from contact_defaults_testing import INSTANCE_ID, OTHER_INSTANCE_ID, build_multi_instance_app, cdk

from connect_contact_defaults import contact_defaults_function as function_module

CONTACTS_WILDCARDS = {f"instance/{INSTANCE_ID}/contact/*", f"instance/{OTHER_INSTANCE_ID}/contact/*"}


def contacts_wildcard_findings(app: cdk.App, stack: cdk.Stack) -> list[str]:
    """The installed cdk-nag's unacknowledged findings on a contacts wildcard."""
    from cdk_nag import AwsSolutionsChecks  # noqa: PLC0415 (the installed major decides how it runs)

    if hasattr(aws_cdk, "Validations"):  # cdk-nag 3: a validation plugin
        report = AwsSolutionsChecks().validate_scope(app)
        texts = [f"{v.rule_name} {v.description}" for v in report.violations] + [
            str(resource.locations) for v in report.violations for resource in v.violating_resources
        ]
    else:  # cdk-nag 2: an aspect that adds errors
        cdk.Aspects.of(app).add(AwsSolutionsChecks())
        found = Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-IAM5"))
        texts = [str(entry.entry.data) for entry in found]
    return [text for text in texts if any(wildcard in text for wildcard in CONTACTS_WILDCARDS)]


def test_the_contacts_wildcards_are_acknowledged_for_the_installed_cdk_nag():
    app, stack = build_multi_instance_app()
    assert contacts_wildcard_findings(app, stack) == []


def test_without_acknowledgment_the_installed_cdk_nag_reports_them(monkeypatch):
    monkeypatch.setattr(function_module, "acknowledge_nag_finding", lambda scope, finding_id, reason: None)
    app, stack = build_multi_instance_app()
    assert len(contacts_wildcard_findings(app, stack)) >= 2, "the check above could not fail"


def test_without_validations_the_acknowledgment_is_cdk_nag_2_metadata(monkeypatch):
    monkeypatch.delattr(aws_cdk, "Validations", raising=False)
    _, stack = build_multi_instance_app()
    suppressions = [
        suppression
        for construct in stack.node.find_all()
        if isinstance(construct, cdk.CfnResource) and construct.get_metadata("cdk_nag")
        for suppression in construct.get_metadata("cdk_nag")["rules_to_suppress"]
    ]
    wildcards = [s for s in suppressions if s["id"] == "AwsSolutions-IAM5"]
    applies_to = sorted(item for s in wildcards for item in s["applies_to"])
    assert sorted({item.rsplit(":", 1)[-1] for item in applies_to}) == sorted(CONTACTS_WILDCARDS)
    assert all(item.startswith("Resource::arn:") for item in applies_to)
    assert {s["reason"] for s in wildcards} == {function_module.CONTACTS_WILDCARD_REASON}
