"""A ContactDefaults over listed contact IDs: fill greetingPlayed where it is missing, expire the contacts
after 7 days; bump the revision to re-apply the declaration."""

import aws_cdk as cdk

from connect_contact_defaults import ContactDefaults, ContactSelection

app = cdk.App()
stack = cdk.Stack(app, "IdsExample")
ContactDefaults(
    stack,
    "Greeting",
    instance_id="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    contacts=ContactSelection.of_ids(
        ["11111111-2222-3333-4444-000000000001", "11111111-2222-3333-4444-000000000002"], revision="1"
    ),
    attributes={"greetingPlayed": "false"},
    contact_expiry=cdk.Duration.days(7),
)
app.synth()
