"""A ContactDefaults over the emails and tasks of the 7 days before each deployment (SearchContacts)."""

import aws_cdk as cdk

from connect_contact_defaults import Channel, ContactDefaults, ContactSelection

app = cdk.App()
stack = cdk.Stack(app, "SearchExample")
ContactDefaults(
    stack,
    "Greeting",
    instance_id="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    contacts=ContactSelection.search(
        initiated_within=cdk.Duration.days(7), channels=[Channel.EMAIL, Channel.TASK], max_contacts=500, revision="1"
    ),
    attributes={"greetingPlayed": "false"},
)
app.synth()
