#!/usr/bin/env python3
"""Example app: three ContactDefaults on an Amazon Connect instance, checked by cdk-nag: one for listed
contacts, one for the contacts a search returns when the deployment runs, and one continuous search whose
declaration also reaches the task contacts created after the deployment.

    cdk synth -c instanceId=<instance-id> -c contactIds=<id>,<id> [-c removalPolicy=destroy] [-c searchRevision=<text>]

Without context it uses placeholder IDs, so `cdk synth` works offline and without AWS
credentials (the stack is environment-agnostic). `-c withoutContactDefaults=true` builds
the same stack without the construct (benchmarks/synth_time.py compares the two).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from connect_contact_defaults import (
    AttributeMode,
    Channel,
    ContactDefaults,
    ContactSelection,
    ContinuousStamping,
    MissingContactPolicy,
)

PLACEHOLDER_INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
PLACEHOLDER_CONTACT_IDS = ("11111111-2222-3333-4444-123456789012", "11111111-2222-3333-4444-123456789013")
STACK_NAME = "ContactDefaultsExampleStack"
SEARCH_REVISION = "1"


class ContactDefaultsExampleStack(Stack):
    """Stamps the given contacts with greeting defaults and a 7-day contact expiry, and every email and
    task contact of the last 7 days with a survey flag."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_id: str,
        contact_ids: Sequence[str],
        with_contact_defaults: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        search_revision: str = SEARCH_REVISION,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if not with_contact_defaults:
            return
        defaults = ContactDefaults(
            self,
            "GreetingDefaults",
            instance_id=instance_id,
            contacts=ContactSelection.of_ids(contact_ids),
            attributes={"greetingPlayed": "false", "preferredLanguage": "en-GB"},
            mode=AttributeMode.FILL_MISSING,
            contact_expiry=Duration.days(7),
            missing_contacts=MissingContactPolicy.SKIP,
            removal_policy=removal_policy,
        )
        CfnOutput(self, "UpdatedContacts", value=defaults.updated_count)
        CfnOutput(self, "UnchangedContacts", value=defaults.unchanged_count)
        CfnOutput(self, "MissingContacts", value=defaults.missing_count)
        # The contacts SearchContacts returns when CloudFormation runs the resource; change the
        # revision (-c searchRevision=...) to run the search again over the 7 days before that moment.
        recent = ContactDefaults(
            self,
            "RecentEmailAndTaskDefaults",
            instance_id=instance_id,
            contacts=ContactSelection.search(
                initiated_within=Duration.days(7),
                channels=[Channel.EMAIL, Channel.TASK],
                max_contacts=2_000,
                revision=search_revision,
            ),
            attributes={"surveyOffered": "false"},
            removal_policy=removal_policy,
        )
        CfnOutput(self, "UpdatedRecentContacts", value=recent.updated_count)
        # Continuous: every new task contact created through the API (StartTaskContact) gets a source flag and a
        # 7-day expiry (GreetingDefaults' too, so the two never disagree on a contact both select) from its contact
        # event, and a sweep every 10 minutes stamps those whose events were lost; the last day's tasks are
        # stamped at deployment (docs/continuous-defaults.md).
        ContactDefaults(
            self,
            "NewTaskDefaults",
            instance_id=instance_id,
            contacts=ContactSelection.search(
                initiated_within=Duration.days(1),
                channels=[Channel.TASK],
                initiation_methods=["API"],
                max_contacts=2_000,
                revision=search_revision,
                continuous=ContinuousStamping(max_requests_per_second=3, sweep_every=Duration.minutes(10)),
            ),
            attributes={"taskSource": "api"},
            contact_expiry=Duration.days(7),
        )


def _contact_ids(value: Any) -> list[str]:
    if value is None:
        return list(PLACEHOLDER_CONTACT_IDS)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]  # a list from cdk.json


def _flag(value: Any) -> bool:
    return str(value).lower() in {"1", "true", "yes"} if value is not None else False


def _removal_policy(value: Any) -> RemovalPolicy:
    """RETAIN unless `-c removalPolicy=destroy` (the demo shows a Delete that clears the values it owns)."""
    return RemovalPolicy.DESTROY if str(value).lower() == "destroy" else RemovalPolicy.RETAIN


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The example app with AwsSolutionsChecks registered: synthesis fails on any finding."""
    app = App(context=dict(context) if context else None, outdir=outdir)
    ContactDefaultsExampleStack(
        app,
        STACK_NAME,
        instance_id=app.node.try_get_context("instanceId") or PLACEHOLDER_INSTANCE_ID,
        contact_ids=_contact_ids(app.node.try_get_context("contactIds")),
        with_contact_defaults=not _flag(app.node.try_get_context("withoutContactDefaults")),
        removal_policy=_removal_policy(app.node.try_get_context("removalPolicy")),
        search_revision=str(app.node.try_get_context("searchRevision") or SEARCH_REVISION),
        description="Example of ContactDefaults (cdk-connect-contact-defaults)",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    build_app().synth()
