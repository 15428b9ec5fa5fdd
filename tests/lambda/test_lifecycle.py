"""Create, Update and Delete of the synthesized custom-resource Lambda against the local Connect emulator.

Each test asserts the emulator's final state and the one response CloudFormation received.
"""

import re
import shutil
from collections import Counter

import pytest

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import resource_properties

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
OTHER_INSTANCE = "ffffeeee-5678-90ab-cdef-EXAMPLE22222"
PREFIX = "connect-contact-defaults:"


def writes(emulator, since=0):
    return [r for r in emulator.requests[since:] if r.is_write and r.status == 200]


def calls_by_operation(emulator, since=0):
    """Calls Connect answered (a throttled call, answered 429, is retried and counted once)."""
    return Counter(r.operation for r in emulator.requests[since:] if r.status != 429)


def seed(emulator, instance=INSTANCE, **contacts):
    for contact_id, (channel, attributes) in contacts.items():
        emulator.add_contact(instance, SeedContact(contact_id, channel=channel, attributes=dict(attributes)))


def test_create_applies_defaults_and_expiry_from_the_bundled_sdk(lambda_runner, emulator, asset_dir):
    seed(emulator, c1=("EMAIL", {}), c2=("TASK", {"greetingPlayed": "true"}), c3=("VOICE", {"other": "x"}))
    props = resource_properties(
        INSTANCE, ["c1", "c2", "c3"], {"greetingPlayed": "false", "tier": "gold"}, expiry_minutes=60
    )
    result = lambda_runner.send(lambda_runner.event("Create", props))

    assert result.status == "SUCCESS", result.response
    assert result.physical_id.startswith(f"{PREFIX}eu-west-2:{INSTANCE}:")
    assert result.data == {"Updated": "3", "Unchanged": "0", "Missing": "0", "Failed": "0", "ExpirySkipped": "1"}
    assert emulator.attributes(INSTANCE, "c1") == {"greetingPlayed": "false", "tier": "gold"}
    assert emulator.attributes(INSTANCE, "c2") == {"greetingPlayed": "true", "tier": "gold"}  # theirs kept
    assert emulator.attributes(INSTANCE, "c3") == {"other": "x", "greetingPlayed": "false", "tier": "gold"}
    assert emulator.expiry_minutes(INSTANCE, "c1") == 60
    assert emulator.expiry_minutes(INSTANCE, "c2") == 60
    assert emulator.expiry_minutes(INSTANCE, "c3") is None  # voice: skipped, not failed
    # loaded the way Lambda would: handler, crhelper and botocore all from the asset directory
    for module in ("index", "crhelper", "botocore"):
        assert result.loaded[module].startswith(str(asset_dir)), result.loaded
    assert all(r.region == "eu-west-2" for r in emulator.requests)


@pytest.mark.parametrize(
    "describe_returns_attributes", [True, False], ids=["describe-attributes", "no-describe-attributes"]
)
def test_calls_per_contact_on_create_repeat_and_delete(lambda_runner, emulator, describe_returns_attributes):
    """DescribeContact (read for the expiry) saves GetContactAttributes only where its answer carries Attributes."""
    emulator.describe_returns_attributes = describe_returns_attributes
    get = {"GetContactAttributes": 2} if not describe_returns_attributes else {}
    seed(emulator, e1=("EMAIL", {}), e2=("EMAIL", {"a": "theirs"}))
    props = resource_properties(INSTANCE, ["e1", "e2"], {"a": "1"}, expiry_minutes=30, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", props))
    assert calls_by_operation(
        emulator
    ) == Counter(  # DescribeInstanceAttribute: the instance probe, once per Create or Update
        {"DescribeInstanceAttribute": 1, "DescribeContact": 2, **get, "UpdateContactAttributes": 1, "UpdateContact": 2}
    )
    assert emulator.attributes(INSTANCE, "e2") == {"a": "theirs"}  # FILL_MISSING read the real attributes
    mark = len(emulator.requests)
    repeat = lambda_runner.send(
        lambda_runner.event("Update", props, old_properties=props, physical_id=created.physical_id)
    )
    assert repeat.status == "SUCCESS"
    assert repeat.physical_id == created.physical_id
    assert repeat.data["Updated"] == "0" and repeat.data["Unchanged"] == "2"
    assert calls_by_operation(emulator, mark) == Counter({"DescribeInstanceAttribute": 1, "DescribeContact": 2, **get})
    mark = len(emulator.requests)
    deleted = lambda_runner.send(lambda_runner.event("Delete", props, physical_id=created.physical_id))
    assert deleted.status == "SUCCESS"
    assert calls_by_operation(emulator, mark) == Counter({"GetContactAttributes": 2, "UpdateContactAttributes": 1})
    assert emulator.attributes(INSTANCE, "e1") == {"a": ""}
    assert emulator.attributes(INSTANCE, "e2") == {"a": "theirs"}
    assert emulator.expiry_minutes(INSTANCE, "e1") == 30  # expiry is not undone (Connect cannot unset it)


def test_update_follows_changed_values_dropped_keys_and_contacts(lambda_runner, emulator):
    seed(emulator, c1=("EMAIL", {}), c2=("EMAIL", {}), c3=("EMAIL", {}), c4=("EMAIL", {"keep": "me"}))
    old = resource_properties(INSTANCE, ["c1", "c2", "c3"], {"a": "1", "b": "1"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", old))
    emulator.add_contact(INSTANCE, SeedContact("c3", channel="EMAIL", attributes={"a": "manual", "b": "1"}))

    new = resource_properties(INSTANCE, ["c2", "c3", "c4"], {"a": "2", "c": "3"}, removal_policy="DESTROY")
    mark = len(emulator.requests)
    updated = lambda_runner.send(
        lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id)
    )

    assert updated.status == "SUCCESS", updated.response
    assert updated.physical_id == created.physical_id  # in place
    assert emulator.attributes(INSTANCE, "c1") == {"a": "", "b": ""}  # left the selection: cleared
    assert emulator.attributes(INSTANCE, "c2") == {"a": "2", "b": "", "c": "3"}
    assert emulator.attributes(INSTANCE, "c3") == {"a": "manual", "b": "", "c": "3"}  # somebody else's value kept
    assert emulator.attributes(INSTANCE, "c4") == {"keep": "me", "a": "2", "c": "3"}  # added contact
    assert updated.data["Updated"] == "4"
    assert len(writes(emulator, mark)) == 4  # one UpdateContactAttributes per contact


def test_mode_change_to_overwrite_replaces_values_set_by_others(lambda_runner, emulator):
    seed(emulator, c1=("TASK", {"a": "theirs"}))
    fill = resource_properties(INSTANCE, ["c1"], {"a": "ours"})
    created = lambda_runner.send(lambda_runner.event("Create", fill))
    assert emulator.attributes(INSTANCE, "c1") == {"a": "theirs"}
    assert created.data["Unchanged"] == "1"

    overwrite = resource_properties(INSTANCE, ["c1"], {"a": "ours"}, mode="OVERWRITE")
    updated = lambda_runner.send(
        lambda_runner.event("Update", overwrite, old_properties=fill, physical_id=created.physical_id)
    )
    assert updated.status == "SUCCESS"
    assert emulator.attributes(INSTANCE, "c1") == {"a": "ours"}


def test_instance_change_is_a_replacement_then_the_old_one_is_deleted(lambda_runner, emulator):
    seed(emulator, c1=("EMAIL", {}))
    seed(emulator, instance=OTHER_INSTANCE, c1=("EMAIL", {}))
    old = resource_properties(INSTANCE, ["c1"], {"a": "1"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", old))

    new = resource_properties(OTHER_INSTANCE, ["c1"], {"a": "1"}, removal_policy="DESTROY")
    replaced = lambda_runner.send(
        lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id)
    )
    assert replaced.status == "SUCCESS"
    assert replaced.physical_id != created.physical_id
    assert OTHER_INSTANCE in replaced.physical_id
    assert emulator.attributes(OTHER_INSTANCE, "c1") == {"a": "1"}
    assert emulator.attributes(INSTANCE, "c1") == {"a": "1"}  # untouched until CloudFormation deletes the old one

    deleted = lambda_runner.send(lambda_runner.event("Delete", old, physical_id=created.physical_id))
    assert deleted.status == "SUCCESS"
    assert emulator.attributes(INSTANCE, "c1") == {"a": ""}
    assert emulator.attributes(OTHER_INSTANCE, "c1") == {"a": "1"}


def test_delete_with_retain_makes_no_connect_call(lambda_runner, emulator):
    seed(emulator, c1=("EMAIL", {}))
    props = resource_properties(INSTANCE, ["c1"], {"a": "1"}, expiry_minutes=5)
    created = lambda_runner.send(lambda_runner.event("Create", props))
    mark = len(emulator.requests)
    deleted = lambda_runner.send(lambda_runner.event("Delete", props, physical_id=created.physical_id))
    assert deleted.status == "SUCCESS"
    assert deleted.physical_id == created.physical_id
    assert emulator.requests[mark:] == []
    assert emulator.attributes(INSTANCE, "c1") == {"a": "1"}


def test_delete_with_destroy_clears_only_values_it_still_owns(lambda_runner, emulator):
    seed(emulator, c1=("EMAIL", {}), c2=("EMAIL", {}))
    props = resource_properties(INSTANCE, ["c1", "c2"], {"a": "1", "b": "1"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", props))
    emulator.add_contact(INSTANCE, SeedContact("c2", channel="EMAIL", attributes={"a": "changed", "b": "1"}))
    deleted = lambda_runner.send(lambda_runner.event("Delete", props, physical_id=created.physical_id))
    assert deleted.status == "SUCCESS"
    assert emulator.attributes(INSTANCE, "c1") == {"a": "", "b": ""}
    assert emulator.attributes(INSTANCE, "c2") == {"a": "changed", "b": ""}


def test_failed_update_is_restored_by_its_rollback_update(lambda_runner, emulator):
    big = "x" * 32_700
    seed(emulator, c1=("EMAIL", {}), c2=("EMAIL", {}), c3=("EMAIL", {}))
    old = resource_properties(INSTANCE, ["c1", "c2", "c3"], {"a": "1"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", old))
    emulator.add_contact(INSTANCE, SeedContact("c2", channel="EMAIL", attributes={"a": "1", "blob": big}))

    new = resource_properties(INSTANCE, ["c1", "c2", "c3"], {"a": "2", "extra": "y" * 100}, removal_policy="DESTROY")
    mark = len(emulator.requests)
    failed = lambda_runner.send(lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id))
    assert failed.status == "FAILED"
    assert len(failed.response["Reason"]) <= 256
    assert "1 of 3 contacts failed" in failed.response["Reason"]
    assert "32768" in failed.response["Reason"] and "c2" in failed.response["Reason"]
    assert emulator.attributes(INSTANCE, "c1") == {"a": "2", "extra": "y" * 100}
    assert emulator.attributes(INSTANCE, "c2") == {"a": "1", "blob": big}  # nothing of it written
    assert not [r for r in writes(emulator, mark) if r.contact_id == "c2"]

    rollback = lambda_runner.send(
        lambda_runner.event("Update", old, old_properties=new, physical_id=created.physical_id)
    )
    assert rollback.status == "SUCCESS", rollback.response
    for contact_id in ("c1", "c3"):
        assert emulator.attributes(INSTANCE, contact_id) == {"a": "1", "extra": ""}
    assert emulator.attributes(INSTANCE, "c2") == {"a": "1", "blob": big}


def test_failed_create_answers_with_its_own_id_and_its_delete_succeeds(lambda_runner, emulator):
    seed(emulator, c1=("EMAIL", {}))
    props = resource_properties(INSTANCE, ["c1", "gone"], {"a": "1"}, missing_contacts="FAIL", removal_policy="DESTROY")
    failed = lambda_runner.send(lambda_runner.event("Create", props))
    assert failed.status == "FAILED"
    assert failed.physical_id.startswith(PREFIX)
    assert failed.response["Reason"].startswith("1 of 2 contacts do not exist") and "gone" in failed.response["Reason"]

    deleted = lambda_runner.send(lambda_runner.event("Delete", props, physical_id=failed.physical_id))
    assert deleted.status == "SUCCESS"
    assert emulator.attributes(INSTANCE, "c1") == {"a": ""}


def test_missing_contacts_are_counted_under_skip(lambda_runner, emulator):
    seed(emulator, c1=("EMAIL", {}))
    props = resource_properties(INSTANCE, ["c1", "gone-1", "gone-2"], {"a": "1"})
    result = lambda_runner.send(lambda_runner.event("Create", props))
    assert result.status == "SUCCESS"
    assert result.data["Missing"] == "2" and result.data["Updated"] == "1"


@pytest.mark.parametrize(
    ("properties", "physical_id"),
    [
        ({"ServiceToken": "x", "InstanceId": "arn:aws:connect:eu-west-2:1:instance/x", "ContactIds": ["c1"]}, None),
        ({"ServiceToken": "x", "ContactIds": "not-a-list"}, None),
        ({"ServiceToken": "x"}, "ContactDefaults_GreetingDefaults_ABCDEFGH"),
        (resource_properties(INSTANCE, ["c1"], {"a": "1"}, removal_policy="DESTROY"), "Stack_Logical_RANDOM12"),
    ],
    ids=["arn-instance", "unparseable", "no-properties", "unknown-physical-id"],
)
def test_delete_never_leaves_the_stack_stuck(lambda_runner, emulator, properties, physical_id):
    seed(emulator, c1=("EMAIL", {"a": "1"}))
    event = lambda_runner.event("Delete", properties, physical_id=physical_id or "some-physical-id")
    result = lambda_runner.send(event)
    assert result.status == "SUCCESS"
    assert result.physical_id == (physical_id or "some-physical-id")
    assert emulator.requests == []
    assert emulator.attributes(INSTANCE, "c1") == {"a": "1"}


def test_invalid_properties_fail_create_naming_the_property_before_any_call(lambda_runner, emulator):
    seed(emulator, c1=("EMAIL", {}))
    props = resource_properties(INSTANCE, ["c1"], {"bad key": "v"})
    result = lambda_runner.send(lambda_runner.event("Create", props))
    assert result.status == "FAILED"
    assert result.response["Reason"].startswith("Attributes: key 'bad key'")
    assert "[A-Za-z0-9_-]" in result.response["Reason"]
    assert emulator.requests == []


def test_throttled_calls_are_retried_until_every_contact_is_applied(lambda_runner, emulator):
    contact_ids = [f"t{i}" for i in range(20)]
    for contact_id in contact_ids:
        emulator.add_contact(INSTANCE, SeedContact(contact_id, channel="TASK", attributes={}))
    emulator.set_faults(throttle_share=0.3)
    props = resource_properties(INSTANCE, contact_ids, {"a": "1", "b": "2"}, expiry_minutes=120)
    result = lambda_runner.send(lambda_runner.event("Create", props), timeout_seconds=120)
    assert result.status == "SUCCESS", result.response
    assert result.data["Updated"] == "20" and result.data["Failed"] == "0"
    assert sum(r.status == 429 for r in emulator.requests) > 10
    for contact_id in contact_ids:
        assert emulator.attributes(INSTANCE, contact_id) == {"a": "1", "b": "2"}
        assert emulator.expiry_minutes(INSTANCE, contact_id) == 120


def test_response_stays_under_4096_bytes_with_many_failed_contacts(lambda_runner, emulator, response_server):
    emulator.set_quota(rate=500, burst=500)  # this test is about the response, not the quota
    emulator.add_instance(INSTANCE)  # an instance without any of the contacts
    contact_ids = [f"missing-{i:03d}-" + "x" * 200 for i in range(150)]  # 31 KB of IDs
    props = resource_properties(INSTANCE, contact_ids, {"a": "1"}, missing_contacts="FAIL", max_requests_per_second=200)
    result = lambda_runner.send(lambda_runner.event("Create", props))
    assert result.status == "FAILED"
    assert len(result.response["Reason"]) <= 256
    assert result.response["Reason"].startswith("150 of 150 contacts do not exist")
    assert max(len(body) for body in response_server.raw_bodies) < 4096


def test_logs_hold_no_attribute_value_no_properties_and_no_response_url(lambda_runner, emulator):
    secret_seeded = "SEEDED-PERSONAL-VALUE-4711"
    secret_declared = "DECLARED-PERSONAL-VALUE-0815"
    seed(emulator, c1=("EMAIL", {"phone": secret_seeded}), c2=("VOICE", {}))
    props = resource_properties(INSTANCE, ["c1", "c2"], {"note": secret_declared}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", props))
    changed = resource_properties(INSTANCE, ["c1"], {"note": secret_declared + "-v2"}, removal_policy="DESTROY")
    lambda_runner.send(lambda_runner.event("Update", changed, old_properties=props, physical_id=created.physical_id))
    lambda_runner.send(lambda_runner.event("Delete", changed, physical_id=created.physical_id))

    logs = "\n".join(lambda_runner.all_logs)
    assert "c1" in logs and "note" in logs  # contact IDs and keys are logged
    for forbidden in (secret_seeded, secret_declared, "SecretSignature", "cfn-responses", "ResponseURL"):
        assert forbidden not in logs
    for event in lambda_runner.all_events:
        assert event["ResponseURL"] not in logs


def test_an_sdk_older_than_contact_expiry_support_fails_loudly(lambda_runner, emulator, asset_dir, tmp_path):
    """The handler refuses to run on a botocore that cannot set connect:ContactExpiry, instead of half-working."""
    old_asset = tmp_path / "asset"
    shutil.copytree(asset_dir, old_asset)
    version_file = old_asset / "botocore" / "__init__.py"
    version_file.write_text(re.sub(r"__version__ = '[^']+'", "__version__ = '1.35.69'", version_file.read_text()))
    lambda_runner.asset_dir = old_asset
    seed(emulator, c1=("EMAIL", {}))
    result = lambda_runner.send(lambda_runner.event("Create", resource_properties(INSTANCE, ["c1"], {"a": "1"})))
    assert result.status == "FAILED"
    assert result.response["Reason"].startswith("botocore 1.35.69 is older than 1.35.70")
    assert emulator.requests == []


@pytest.mark.parametrize(("max_failed", "status"), [("1", "SUCCESS"), ("0", "FAILED")])
def test_failed_contacts_up_to_max_failed_contacts_answer_success_with_failed_and_a_warning(
    lambda_runner, emulator, max_failed, status
):
    seed(emulator, c1=("EMAIL", {}), c2=("EMAIL", {"blob": "x" * 32_700}), c3=("EMAIL", {}))
    props = resource_properties(INSTANCE, ["c1", "c2", "c3"], {"extra": "y" * 100})
    props["MaxFailedContacts"] = max_failed
    result = lambda_runner.send(lambda_runner.event("Create", props))
    assert result.status == status, result.logs
    if status == "SUCCESS":
        assert (result.data["Updated"], result.data["Failed"]) == ("2", "1")
        assert "WARNING: 1 of 3 contacts failed" in result.logs and "within max_failed_contacts=1" in result.logs
        assert "c2" in result.logs
    else:
        assert result.response["Reason"].startswith("1 of 3 contacts failed")
    assert emulator.attributes(INSTANCE, "c1") == {"extra": "y" * 100}
