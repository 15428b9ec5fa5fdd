"""Two stacks with the same construct ID in both: listed IDs in Voice, a file in Digital."""

from pathlib import Path

import aws_cdk as cdk

from connect_contact_defaults import ContactDefaults, ContactSelection

INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"

app = cdk.App()
ContactDefaults(
    cdk.Stack(app, "Voice"),
    "Greeting",
    instance_id=INSTANCE_ID,
    contacts=ContactSelection.of_ids(["11111111-2222-3333-4444-000000000001"]),
    attributes={"greetingPlayed": "false"},
)
ContactDefaults(
    cdk.Stack(app, "Digital"),
    "Greeting",
    instance_id=INSTANCE_ID,
    contacts=ContactSelection.from_file(Path(__file__).with_name("contacts.txt")),
    attributes={"greetingPlayed": "false"},
    max_requests_per_second=5,
)
app.synth()
