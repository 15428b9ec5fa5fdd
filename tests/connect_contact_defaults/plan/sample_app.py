"""A CDK app with one ContactDefaults over a contact file (context sampleFile), for `plan --sample`.

cdk synth --app "python sample_app.py" --output DIR -c sampleFile=PATH
"""

from __future__ import annotations

from aws_cdk import App, Duration, Stack

from connect_contact_defaults import ContactDefaults, ContactSelection

INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


def main() -> None:
    app = App()
    ContactDefaults(
        Stack(app, "Sampled"),
        "Defaults",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.from_file(app.node.get_context("sampleFile")),
        attributes={"greeting": "hello"},
        contact_expiry=Duration.hours(1),
        max_requests_per_second=1000,
    )
    app.synth()


if __name__ == "__main__":
    main()
