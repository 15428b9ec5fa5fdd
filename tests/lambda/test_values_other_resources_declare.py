"""A Delete or an Update that drops a key or a contact never clears a value another ContactDefaults of the stack
declares for that contact and key: a rename (Create new in phase 1, Delete old in phase 2) and overlapping
resources, against the emulator with the synthesized asset; and a Delete that cannot clear says so."""

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import resource_properties

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


def seed(emulator, *ids, attributes=None):
    for contact_id in ids:
        emulator.add_contact(INSTANCE, SeedContact(contact_id, channel="TASK", attributes=dict(attributes or {})))


def writes(emulator, since=0):
    return [r for r in emulator.requests[since:] if r.is_write and r.status == 200]


def test_a_renamed_destroy_resource_keeps_the_values_the_new_one_declares(lambda_runner, emulator, dynamodb):
    seed(emulator, "c1", "c2", "c3")
    props = resource_properties(INSTANCE, ["c1", "c2", "c3"], {"tier": "gold"}, removal_policy="DESTROY")
    old = lambda_runner.send(lambda_runner.event("Create", props, logical_id="GreetingDefaultsOld1111"))
    assert old.status == "SUCCESS"

    # the construct was renamed: phase 1 creates the new logical ID, phase 2 deletes the old one
    new = lambda_runner.send(lambda_runner.event("Create", props, logical_id="GreetingDefaultsNew2222"))
    assert new.data["Unchanged"] == "3"  # the values were already there
    mark = len(emulator.requests)
    deleted = lambda_runner.send(
        lambda_runner.event("Delete", props, physical_id=old.physical_id, logical_id="GreetingDefaultsOld1111")
    )
    assert deleted.status == "SUCCESS"
    assert writes(emulator, mark) == []
    assert all(emulator.attributes(INSTANCE, c) == {"tier": "gold"} for c in ("c1", "c2", "c3"))
    assert "GreetingDefaultsNew2222 also declares keys ['tier']" in deleted.logs

    # and once the new one goes too, its Delete clears them (nothing else declares them any more)
    lambda_runner.send(
        lambda_runner.event("Delete", props, physical_id=new.physical_id, logical_id="GreetingDefaultsNew2222")
    )
    assert all(emulator.attributes(INSTANCE, c) == {"tier": ""} for c in ("c1", "c2", "c3"))
    # both resources are gone: so are their leases and declarations
    assert dynamodb.scan(TableName=lambda_runner.state_table)["Items"] == []


def test_an_update_that_drops_a_contact_or_key_keeps_what_an_overlapping_resource_declares(lambda_runner, emulator):
    seed(emulator, "shared", "only-a", "other-value")
    a_props = resource_properties(
        INSTANCE, ["shared", "only-a", "other-value"], {"tier": "gold", "lang": "en"}, removal_policy="DESTROY"
    )
    b_props = resource_properties(INSTANCE, ["shared"], {"tier": "gold"}, removal_policy="DESTROY")
    c_props = resource_properties(INSTANCE, ["other-value"], {"tier": "silver"}, removal_policy="DESTROY")
    a = lambda_runner.send(lambda_runner.event("Create", a_props, logical_id="DefaultsA"))
    lambda_runner.send(lambda_runner.event("Create", b_props, logical_id="DefaultsB"))
    lambda_runner.send(lambda_runner.event("Create", c_props, logical_id="DefaultsC"))
    assert emulator.attributes(INSTANCE, "other-value") == {"tier": "gold", "lang": "en"}  # A was first (FILL_MISSING)

    # A drops every contact but keeps nothing: tier stays where B declares the same value, goes where C
    # declares another value or nobody declares it; lang goes everywhere
    a_new = resource_properties(INSTANCE, ["only-a"], {"lang": "en"}, removal_policy="DESTROY")
    updated = lambda_runner.send(
        lambda_runner.event("Update", a_new, old_properties=a_props, physical_id=a.physical_id, logical_id="DefaultsA")
    )
    assert updated.status == "SUCCESS", updated.response
    assert emulator.attributes(INSTANCE, "shared") == {"tier": "gold", "lang": ""}  # B declares tier=gold there
    assert emulator.attributes(INSTANCE, "other-value") == {"tier": "", "lang": ""}  # C declares another value
    assert emulator.attributes(INSTANCE, "only-a") == {"tier": "", "lang": "en"}  # the dropped key


def test_a_delete_that_cannot_clear_everything_answers_success_and_says_so(lambda_runner, emulator):
    ids = [f"c{n}" for n in range(5)]
    seed(emulator, *ids)
    props = resource_properties(INSTANCE, ids, {"a": "1"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", props))
    emulator.denied_operations.add("UpdateContactAttributes")  # as when a grant went missing
    deleted = lambda_runner.send(lambda_runner.event("Delete", props, physical_id=created.physical_id))
    assert deleted.status == "SUCCESS"
    assert deleted.data["Failed"] == "5"
    warning = next(line for line in deleted.logs.splitlines() if "Delete could not clear" in line)
    assert warning.startswith("[WARNING]") and "5 contacts" in warning and "'c0'" in warning
