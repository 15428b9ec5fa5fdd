"""A CDK app for the status command tests: one ContactDefaults in shards, one without, synthesized by the pinned CLI.

cdk synth --app "python status_app.py" --output DIR
"""

from __future__ import annotations

from aws_cdk import App, Duration, Environment, Stack

from connect_contact_defaults import ContactDefaults, ContactSelection

INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
SHARDED_CONTACTS = [f"s-{n:03d}" for n in range(60)]


def main() -> None:
    app = App()
    stack = Stack(app, "Watched", env=Environment(account="123456789012", region="eu-west-2"))
    ContactDefaults(
        stack,
        "Sharded",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(SHARDED_CONTACTS),
        attributes={"greeting": "hello"},
        max_requests_per_second=1,
        service_timeout=Duration.seconds(20),
    )
    ContactDefaults(
        stack,
        "Single",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(["c-01", "c-02"]),
        attributes={"tier": "gold"},
    )
    app.synth()


if __name__ == "__main__":
    main()
