"""A ContactDefaults over the contacts listed in contacts.txt (one ID a line), uploaded as an S3 asset."""

from pathlib import Path

import aws_cdk as cdk

from connect_contact_defaults import ContactDefaults, ContactSelection

app = cdk.App()
stack = cdk.Stack(app, "FileExample")
ContactDefaults(
    stack,
    "Greeting",
    instance_id="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    contacts=ContactSelection.from_file(Path(__file__).with_name("contacts.txt"), revision="1"),
    attributes={"greetingPlayed": "false"},
)
app.synth()
