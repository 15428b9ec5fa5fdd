"""A new revision, nothing else changed: CloudFormation's Update re-applies the declaration (drift's fix)."""

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import resource_properties
from connect_contact_rules import Prop

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


def test_an_update_that_only_bumps_the_revision_rewrites_the_drifted_contacts(lambda_runner, emulator):
    emulator.add_contacts(INSTANCE, [SeedContact(contact_id, channel="EMAIL") for contact_id in ("c1", "c2")])
    first = {**resource_properties(INSTANCE, ["c1", "c2"], {"greetingPlayed": "false"}), Prop.REVISION: "1"}
    created = lambda_runner.send(lambda_runner.event("Create", first))
    assert created.status == "SUCCESS", created.response
    emulator.add_contact(INSTANCE, SeedContact("c1", channel="EMAIL", attributes={"greetingPlayed": ""}))  # drift

    second = {**first, Prop.REVISION: "2"}
    assert {k: v for k, v in first.items() if k != Prop.REVISION} == {
        k: v for k, v in second.items() if k != Prop.REVISION
    }
    updated = lambda_runner.send(
        lambda_runner.event("Update", second, old_properties=first, physical_id=created.physical_id)
    )
    assert updated.status == "SUCCESS", updated.response
    assert updated.physical_id == created.physical_id
    assert (updated.data["Updated"], updated.data["Unchanged"]) == ("1", "1")
    assert emulator.attributes(INSTANCE, "c1") == {"greetingPlayed": "false"}  # re-applied
