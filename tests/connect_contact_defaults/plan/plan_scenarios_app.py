"""A CDK app whose stacks are the before/after sides of the plan tests, synthesized once by the pinned CDK CLI.

Every stack declares its ContactDefaults with the construct ID "Defaults", so the logical ID is the same in
each: the plan of stack B against the template of stack A (--deployed-template) is the deployment A -> B.

    cdk synth --app "python plan_scenarios_app.py" --output DIR -c contactFile=PATH
"""

from __future__ import annotations

from aws_cdk import App, Duration, RemovalPolicy, Stack

from connect_contact_defaults import AttributeMode, ContactDefaults, ContactSelection

INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
OTHER_INSTANCE_ID = "f0e1d2c3-4567-89ab-cdef-EXAMPLE22222"
V1_CONTACTS = ["c-01", "c-02", "c-03", "c-04", "c-05-missing"]
V2_CONTACTS = ["c-02", "c-03", "c-04", "c-06"]
BUDGET_CONTACTS = [f"b-{n:02d}" for n in range(30)]


def main() -> None:
    app = App()
    v1 = Stack(app, "V1")
    ContactDefaults(
        v1,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(V1_CONTACTS),
        attributes={"greeting": "hello", "tier": "gold"},
        mode=AttributeMode.FILL_MISSING,
        contact_expiry=Duration.hours(1),
        removal_policy=RemovalPolicy.DESTROY,
        max_requests_per_second=50,
    )
    # V1 -> V2: "tier" dropped (cleared under DESTROY), "language" added, "greeting" changed; c-01 and
    # c-05-missing leave the selection, c-06 joins it.
    v2 = Stack(app, "V2")
    ContactDefaults(
        v2,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(V2_CONTACTS),
        attributes={"greeting": "hi", "language": "en-GB"},
        mode=AttributeMode.OVERWRITE,
        contact_expiry=Duration.hours(1),
        removal_policy=RemovalPolicy.DESTROY,
        max_requests_per_second=50,
    )
    # V1 -> Moved: another instance, so a replacement (Create on the new instance, Delete on the old one).
    moved = Stack(app, "Moved")
    ContactDefaults(
        moved,
        "Defaults",
        instance_id=OTHER_INSTANCE_ID,
        contacts=ContactSelection.of_ids(["c-01", "c-02"]),
        attributes={"greeting": "hello"},
        removal_policy=RemovalPolicy.DESTROY,
        max_requests_per_second=50,
    )
    Stack(app, "Removed")  # V1 -> Removed: the ContactDefaults is deleted
    from_file = Stack(app, "FromFile")
    ContactDefaults(
        from_file,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.from_file(app.node.get_context("contactFile")),
        attributes={"greeting": "hello"},
        removal_policy=RemovalPolicy.DESTROY,
        max_requests_per_second=50,
    )
    budget = Stack(app, "Budget")
    ContactDefaults(
        budget,
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(BUDGET_CONTACTS),
        attributes={"greeting": "hello"},
        contact_expiry=Duration.hours(1),
        max_requests_per_second=5,
    )
    app.synth()


if __name__ == "__main__":
    main()
