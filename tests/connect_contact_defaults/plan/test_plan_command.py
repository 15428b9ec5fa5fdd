"""connect-contact-defaults plan|drift against the Connect emulator, with the deployed template from a file
(--deployed-template) or from CloudFormation (moto's server mode): the scenarios of the issue."""

import dataclasses
import json
import shutil
import socket
import time
from collections import Counter
from datetime import timedelta

import boto3
import pytest
from plan_scenarios_app import BUDGET_CONTACTS, INSTANCE_ID, OTHER_INSTANCE_ID
from plan_testing import (
    ACCOUNT,
    ASSET_BUCKET,
    EXPIRY_60,
    REGION,
    asset_bucket,
    contacts,
    seed_v1,
    template,
    write_template,
)

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_rules import SearchQuery


def test_new_stack_is_all_creates(run_command, emulator, assembly):
    """No stack V1 in CloudFormation: every ContactDefaults is a create."""
    seed_v1(emulator)
    run = run_command("plan", "--assembly", assembly, "--stack", "V1", "--json")
    assert run.exit_code == 2, run.stderr
    assert run.json["changes"] is True
    resource = run.resource("V1")
    assert resource["path"] == "V1/Defaults" and resource["logicalId"].startswith("Defaults")
    assert resource["action"] == "create"
    assert resource["contacts"] == contacts(write=3, unchanged=1, missing=1, expiry_skipped=1)
    # c-02 holds a greeting somebody else wrote: FILL_MISSING leaves it
    assert resource["keys"] == {"set": {"greeting": 2, "tier": 3}, "clear": {}}
    assert resource["expirySet"] == 2  # c-01 and c-02; c-03 is a voice contact, c-04 has it already
    assert resource["firstContacts"] == ["c-01", "c-02", "c-03"]
    assert set(resource) == {"path", "logicalId", "action", "contacts", "keys", "expirySet", "firstContacts"}


def test_text_output_names_keys_and_counts_never_values(run_command, emulator, assembly, tmp_path):
    seed_v1(emulator, **{"c-01": SeedContact("c-01", channel="EMAIL", attributes={"secret": "s3cr3t-value"})})
    empty = write_template(tmp_path, {"Resources": {}})
    run = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", empty)
    assert run.exit_code == 2
    lines = run.stdout.splitlines()
    assert lines[0] == "Stack V1"
    assert any(line.strip().startswith("+ create  V1/Defaults (Defaults") for line in lines)
    assert "contacts: 3 to write, 1 unchanged, 1 missing, 0 would fail" in run.stdout
    assert "expiry:   2 to set, 1 skipped (voice and chat)" in run.stdout
    assert "keys:     greeting set on 2; tier set on 3" in run.stdout
    assert "missing: c-05-missing" in run.stdout
    assert lines[-1] == (
        "Plan: 1 to create, 0 to update, 0 to replace, 0 to delete, 0 without changes; "
        "contacts: 3 to write, 1 unchanged, 1 missing, 0 would fail; expiry: 2 to set, 1 skipped"
    )
    for value in ("hello", "gold", "s3cr3t-value", "hey", "sales"):
        assert value not in run.stdout + run.stderr

    shown = run_command(
        "plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", empty, "--show-values", "--json"
    )
    values = shown.resource()["values"]
    assert values["c-01"] == {"greeting": {"from": "", "to": "hello"}, "tier": {"from": "", "to": "gold"}}
    assert values["c-02"] == {"tier": {"from": "", "to": "gold"}}


def test_update_with_changed_attributes_and_selection(run_command, emulator, assembly, tmp_path):
    """V1 (FILL_MISSING greeting/tier, c-01..c-05) deployed -> V2 (OVERWRITE greeting/language, c-02..c-06)."""
    seed_v1(emulator)
    deployed = {"c-01": {"greeting": "hello", "tier": "gold"}, "c-02": {"greeting": "hey", "tier": "gold"}}
    deployed |= {"c-03": {"queue": "sales", "greeting": "hello", "tier": "gold"}}
    deployed |= {"c-04": {"greeting": "hello", "tier": "gold"}}
    for contact_id, attributes in deployed.items():
        previous = emulator.contact(INSTANCE_ID, contact_id)
        emulator.add_contact(
            INSTANCE_ID,
            SeedContact(contact_id, channel=previous.channel, attributes=attributes, segment_attributes=EXPIRY_60),
        )
    v1 = write_template(tmp_path, template(assembly, "V1"))
    run = run_command("plan", "--assembly", assembly, "--stack", "V2", "--deployed-template", v1, "--json")
    assert run.exit_code == 2
    resource = run.resource()
    assert resource["action"] == "update"
    # c-02, c-03, c-04 and c-06 written; c-01 left the selection (its values cleared under DESTROY);
    # c-05-missing left it too and does not exist
    assert resource["contacts"] == contacts(write=5, missing=1, expiry_skipped=1)
    assert resource["keys"] == {"set": {"greeting": 4, "language": 4}, "clear": {"greeting": 1, "tier": 4}}
    assert resource["expirySet"] == 1  # c-06 only: the others hold 60 minutes already
    assert resource["firstContacts"] == ["c-02", "c-03", "c-04", "c-06", "c-01"]


def test_unchanged_properties_make_no_connect_call(run_command, emulator, assembly, tmp_path):
    seed_v1(emulator)
    v1 = write_template(tmp_path, template(assembly, "V1"))
    run = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", v1, "--json")
    assert run.exit_code == 0, run.stdout
    assert run.json["changes"] is False
    assert run.resource()["action"] == "none"
    assert run.resource()["contacts"] == contacts()
    assert emulator.requests == []


def test_replacement_creates_on_the_new_instance_and_deletes_on_the_old(run_command, emulator, assembly, tmp_path):
    emulator.add_contacts(
        INSTANCE_ID,
        [
            SeedContact("c-01", channel="EMAIL", attributes={"greeting": "hello", "tier": "gold"}),
            SeedContact("c-02", channel="TASK", attributes={"greeting": "hey", "tier": "gold"}),
        ],
    )
    emulator.add_contacts(OTHER_INSTANCE_ID, [SeedContact("c-01", channel="EMAIL")])
    v1 = write_template(tmp_path, template(assembly, "V1"))
    run = run_command("plan", "--assembly", assembly, "--stack", "Moved", "--deployed-template", v1, "--json")
    assert run.exit_code == 2
    resource = run.resource()
    assert resource["action"] == "replace"
    # Create on the new instance: c-01 written, c-02 missing there. Delete (DESTROY) on the old one:
    # c-01 and c-02 cleared where they hold V1's values; c-03, c-04, c-05-missing do not exist there.
    assert resource["contacts"] == contacts(write=3, missing=4)
    assert resource["keys"] == {"set": {"greeting": 1}, "clear": {"greeting": 1, "tier": 2}}
    assert resource["firstContacts"] == ["c-01", "c-01", "c-02"]
    instances = {record.instance_id for record in emulator.requests}
    assert instances == {INSTANCE_ID, OTHER_INSTANCE_ID}


def test_removal_clears_under_destroy(run_command, emulator, assembly, tmp_path):
    emulator.add_contacts(
        INSTANCE_ID,
        [
            SeedContact("c-01", channel="EMAIL", attributes={"greeting": "hello", "tier": "gold"}),
            SeedContact("c-02", channel="TASK", attributes={"greeting": "hey", "tier": "silver"}),
        ],
    )
    v1 = write_template(tmp_path, template(assembly, "V1"))
    run = run_command("plan", "--assembly", assembly, "--stack", "Removed", "--deployed-template", v1, "--json")
    assert run.exit_code == 2
    resource = run.resource()
    assert resource["action"] == "delete" and resource["path"] == "V1/Defaults"
    assert resource["contacts"] == contacts(write=1, unchanged=1, missing=3)  # c-02 holds others' values
    assert resource["keys"] == {"set": {}, "clear": {"greeting": 1, "tier": 1}}


def test_drift_after_a_contact_was_edited_by_hand(run_command, emulator, assembly, tmp_path):
    v2 = write_template(tmp_path, template(assembly, "V2"))
    declared = {"greeting": "hi", "language": "en-GB"}
    emulator.add_contacts(
        INSTANCE_ID,
        [
            SeedContact("c-02", channel="TASK", attributes=declared, segment_attributes=EXPIRY_60),
            SeedContact("c-03", channel="VOICE", attributes=declared),
            SeedContact("c-04", channel="EMAIL", attributes=declared, segment_attributes=EXPIRY_60),
            SeedContact("c-06", channel="TASK", attributes=declared, segment_attributes=EXPIRY_60),
        ],
    )
    clean = run_command("drift", "--assembly", assembly, "--stack", "V2", "--deployed-template", v2, "--json")
    assert clean.exit_code == 0, clean.stdout
    assert clean.resource()["contacts"] == contacts(unchanged=4, expiry_skipped=1)
    assert clean.resource()["action"] == "none"
    clean_text = run_command("drift", "--assembly", assembly, "--stack", "V2", "--deployed-template", v2)
    assert "bump the revision" not in clean_text.stdout  # advice only when something drifted

    boto3.client("connect", region_name=REGION, endpoint_url=emulator.endpoint_url).update_contact_attributes(
        InstanceId=INSTANCE_ID, InitialContactId="c-04", Attributes={"greeting": "edited by hand"}
    )
    drifted = run_command("drift", "--assembly", assembly, "--stack", "V2", "--deployed-template", v2, "--json")
    assert drifted.exit_code == 2
    resource = drifted.resource()
    assert resource["action"] == "update"
    assert resource["contacts"] == contacts(write=1, unchanged=3, expiry_skipped=1)
    assert resource["keys"] == {"set": {"greeting": 1}, "clear": {}}
    assert resource["firstContacts"] == ["c-04"]
    text = run_command("drift", "--assembly", assembly, "--stack", "V2", "--deployed-template", v2)
    summary, fix = text.stdout.splitlines()[-2:]
    assert summary.startswith("Drift: 1 of 1 ContactDefaults drifted; contacts: 1 to write")
    assert "bump the revision" in fix and "and deploy" in fix  # not "a redeploy": an unchanged template is not run
    assert "redeploy" not in text.stdout
    assert "edited by hand" not in text.stdout


def test_nothing_deployed_plans_every_resource_as_a_create_without_a_file(run_command, emulator, assembly, tmp_path):
    """--nothing-deployed: the plan of a template file holding no resources, with no file and no CloudFormation
    call (the local endpoints of this test serve none: CloudFormation is not asked); drift has nothing to drift from."""
    seed_v1(emulator)
    empty = write_template(tmp_path, {"Resources": {}})
    from_file = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", empty, "--json")
    seed_v1(emulator)
    nothing = run_command("plan", "--assembly", assembly, "--stack", "V1", "--nothing-deployed", "--json")
    assert nothing.exit_code == from_file.exit_code == 2
    assert nothing.resource() == from_file.resource() and nothing.resource()["action"] == "create"
    text = run_command("plan", "--assembly", assembly, "--stack", "V1", "--nothing-deployed")
    assert "--nothing-deployed" in text.stdout
    drift = run_command("drift", "--assembly", assembly, "--stack", "V1", "--nothing-deployed")
    assert drift.exit_code == 1 and "no deployed declaration to drift from" in drift.stderr


def test_oversize_contact_would_fail_and_fails_the_deployment(run_command, emulator, assembly, tmp_path):
    big = SeedContact("c-03", channel="EMAIL", attributes={"notes": "x" * 32_750})
    seed_v1(emulator, **{"c-03": big})
    empty = write_template(tmp_path, {"Resources": {}})
    run = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", empty, "--json")
    assert run.exit_code == 2
    resource = run.resource()
    assert resource["contacts"] == contacts(write=2, unchanged=1, missing=1, would_fail=1)
    assert resource["keys"] == {"set": {"greeting": 1, "tier": 2}, "clear": {}}
    assert resource["fails"].startswith("1 of 5 contacts failed (1 contact: attributes would take 32776 UTF-8 bytes")
    text = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", empty)
    assert "would fail: c-03: attributes would take 32776 UTF-8 bytes, over the limit of 32768" in text.stdout
    assert "DEPLOYMENT WOULD FAIL: 1 of 5 contacts failed" in text.stdout


def test_from_file_selection_new_side_from_the_assembly(run_command, emulator, assembly, tmp_path):
    emulator.add_contacts(
        INSTANCE_ID, [SeedContact("c-02", channel="TASK"), SeedContact("c-03", attributes={"greeting": "hey"})]
    )
    empty = write_template(tmp_path, {"Resources": {}})
    run = run_command("plan", "--assembly", assembly, "--stack", "FromFile", "--deployed-template", empty, "--json")
    assert run.exit_code == 2
    resource = run.resource()
    assert resource["action"] == "create"
    assert resource["contacts"] == contacts(write=1, unchanged=1, missing=1)  # c-07 does not exist
    assert resource["firstContacts"] == ["c-02"]


def test_from_file_update_reads_the_deployed_file_from_s3(run_command, emulator, assembly, tmp_path, moto_endpoint):
    """The deployed template names an older contact file: read from the asset bucket (the account from STS)."""
    s3 = boto3.client(
        "s3", region_name=REGION, endpoint_url=moto_endpoint, aws_access_key_id="t", aws_secret_access_key="t"
    )
    s3.put_object(Bucket=asset_bucket(s3), Key="0ld.txt", Body=b"c-01\r\nc-02\r\n")
    emulator.add_contacts(
        INSTANCE_ID,
        [
            SeedContact("c-01", attributes={"greeting": "hello"}),
            SeedContact("c-02", attributes={"greeting": "hello"}),
            SeedContact("c-03"),
        ],
    )
    deployed = template(assembly, "FromFile")
    for resource in deployed["Resources"].values():
        if resource["Type"] == "Custom::ConnectContactDefaults":
            resource["Properties"]["ContactFile"]["Key"] = "0ld.txt"
    path = write_template(tmp_path, deployed)
    run = run_command("plan", "--assembly", assembly, "--stack", "FromFile", "--deployed-template", path, "--json")
    assert run.exit_code == 2, run.stderr
    resource = run.resource()
    assert resource["action"] == "update"
    # c-02 stays (holds it), c-03 gets it, c-07 is missing; c-01 left the file: cleared (DESTROY)
    assert resource["contacts"] == contacts(write=2, unchanged=1, missing=1)
    assert resource["keys"] == {"set": {"greeting": 1}, "clear": {"greeting": 1}}
    assert "unknown" not in resource

    s3.delete_object(Bucket=ASSET_BUCKET, Key="0ld.txt")
    gone = run_command("plan", "--assembly", assembly, "--stack", "FromFile", "--deployed-template", path, "--json")
    resource = gone.resource()
    assert resource["unknown"].startswith("the deployed contact file cannot be read")
    # as the handler does then: c-01 (only the old file held it) is left alone
    assert resource["contacts"] == contacts(write=1, unchanged=1, missing=1)


def _busiest_window(times, seconds):
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + seconds) for i, start in enumerate(times)), default=0)


@pytest.mark.parametrize(("flag", "budget"), [((), 5), (("--max-requests-per-second", "8"), 8)])
def test_budget_held(run_command, emulator, assembly, tmp_path, flag, budget):
    """The declared max_requests_per_second (5) by default, or --max-requests-per-second, per API.

    The pacer spaces each API's calls 1/(0.95 x budget) apart; the log records their arrival, which a loaded
    machine can bunch by a scheduling delay: three-second windows (at most 3 x budget; the 30 calls of each API
    take longer) keep the check exact for delays under 150 ms, where one-second windows would flake past 50 ms.
    """
    emulator.add_contacts(INSTANCE_ID, [SeedContact(contact_id, channel="EMAIL") for contact_id in BUDGET_CONTACTS])
    emulator.set_faults(latency_s=0.02)
    emulator.describe_returns_attributes = False  # both APIs then: DescribeContact (expiry), GetContactAttributes
    empty = write_template(tmp_path, {"Resources": {}})
    started = time.monotonic()
    run = run_command(
        "plan", "--assembly", assembly, "--stack", "Budget", "--deployed-template", empty, "--json", *flag
    )
    elapsed = time.monotonic() - started
    assert run.resource()["contacts"] == contacts(write=30)
    for operation in ("DescribeContact", "GetContactAttributes"):
        times = [record.time for record in emulator.requests if record.operation == operation]
        assert len(times) == 30
        assert _busiest_window(times, 3.0) <= 3 * budget
    assert elapsed >= 29 / budget  # 30 calls of one API, evenly spaced


def test_throttling_is_retried_within_the_budget(run_command, emulator, assembly, tmp_path):
    seed_v1(emulator)
    emulator.set_faults(throttle_share=0.3)
    empty = write_template(tmp_path, {"Resources": {}})
    run = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", empty, "--json")
    assert run.exit_code == 2, run.stderr
    assert run.resource()["contacts"] == contacts(write=3, unchanged=1, missing=1, expiry_skipped=1)
    assert any(record.status == 429 for record in emulator.requests)


def test_access_denied_names_the_missing_action(run_command, emulator, assembly, tmp_path):
    seed_v1(emulator)
    emulator.denied_operations.add("DescribeContact")
    empty = write_template(tmp_path, {"Resources": {}})
    run = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", empty)
    assert run.exit_code == 1
    assert "AccessDenied" in run.stderr and "connect:DescribeContact" in run.stderr
    assert INSTANCE_ID in run.stderr
    assert run.stdout == ""


def test_errors_no_assembly_no_stack_no_credentials(run_command, emulator, assembly, tmp_path, monkeypatch):
    missing = run_command("plan", "--assembly", tmp_path / "nothing-here")
    assert missing.exit_code == 1
    assert "no cloud assembly" in missing.stderr and "cdk synth" in missing.stderr

    no_stack = run_command("drift", "--assembly", assembly, "--stack", "Nope")
    assert no_stack.exit_code == 1
    assert "no stack Nope in the assembly" in no_stack.stderr and "V1" in no_stack.stderr

    several = run_command("plan", "--assembly", assembly, "--deployed-template", tmp_path / "x.json")
    assert several.exit_code == 1 and "choose it with --stack" in several.stderr

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    seed_v1(emulator)
    empty = write_template(tmp_path, {"Resources": {}})
    for args in (("--deployed-template", empty), ()):
        no_credentials = run_command("plan", "--assembly", assembly, "--stack", "V1", *args)
        assert no_credentials.exit_code == 1, no_credentials.stdout
        assert "no AWS credentials" in no_credentials.stderr
    assert emulator.requests == []


def deployed_search(assembly, tmp_path, query: SearchQuery) -> str:
    """V1 as deployed with a search selection instead of its contact IDs."""
    deployed = template(assembly, "V1")
    for resource in deployed["Resources"].values():
        if resource["Type"] == "Custom::ConnectContactDefaults":
            del resource["Properties"]["ContactIds"]
            resource["Properties"]["ContactSearch"] = query.to_properties()
    return str(write_template(tmp_path, deployed))


LAST_WEEK_EMAIL_AND_TASK = SearchQuery(
    within=timedelta(days=7), after=None, before=None, channels=("EMAIL", "TASK"), max_contacts=10
)


def test_drift_of_a_search_runs_the_search_read_only(run_command, emulator, assembly, tmp_path):
    """The search runs now (SearchContacts at its own pace), and only the contacts it returns are planned."""
    month_ago = time.time() - 30 * 86_400
    seed_v1(emulator, **{"c-old": SeedContact("c-old", channel="EMAIL", initiation_timestamp=month_ago)})
    path = deployed_search(assembly, tmp_path, LAST_WEEK_EMAIL_AND_TASK)
    run = run_command("drift", "--assembly", assembly, "--stack", "V1", "--deployed-template", path, "--json")
    assert run.exit_code == 2, run.stderr
    resource = run.resource()
    # c-01, c-02, c-04 (EMAIL/TASK this week) and c-06; not c-03 (VOICE) nor c-old (a month ago)
    assert resource["contacts"] == contacts(write=3, unchanged=1)
    assert sorted(resource["firstContacts"]) == ["c-01", "c-02", "c-06"]
    assert resource["keys"] == {"set": {"greeting": 2, "tier": 3}, "clear": {}}
    assert "unknown" not in resource and "fails" not in resource
    operations = Counter(record.operation for record in emulator.requests)
    assert operations["SearchContacts"] == 1  # one page: its TotalCount is checked before the contacts are planned
    assert not any(record.is_write for record in emulator.requests)


def test_a_search_over_max_contacts_would_fail_with_the_handlers_reason(run_command, emulator, assembly, tmp_path):
    seed_v1(emulator)
    narrow = dataclasses.replace(LAST_WEEK_EMAIL_AND_TASK, channels=(), max_contacts=3)
    path = deployed_search(assembly, tmp_path, narrow)
    run = run_command("drift", "--assembly", assembly, "--stack", "V1", "--deployed-template", path, "--json")
    assert run.exit_code == 2, run.stderr
    resource = run.resource()
    assert resource["fails"].startswith("the search selects 5 contacts, more than max_contacts=3")
    assert resource["contacts"] == contacts()
    assert [record.operation for record in emulator.requests] == ["SearchContacts"]


def test_a_denied_search_names_the_missing_action(run_command, emulator, assembly, tmp_path):
    seed_v1(emulator)
    emulator.denied_operations.add("SearchContacts")
    path = deployed_search(assembly, tmp_path, LAST_WEEK_EMAIL_AND_TASK)
    run = run_command("drift", "--assembly", assembly, "--stack", "V1", "--deployed-template", path)
    assert run.exit_code == 1
    assert "AccessDenied" in run.stderr and "connect:SearchContacts" in run.stderr
    assert INSTANCE_ID in run.stderr


def test_a_search_of_an_unreachable_endpoint_names_it_not_throttling(run_command, assembly, tmp_path, monkeypatch):
    with socket.socket() as probe:  # bound, then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", endpoint)
    path = deployed_search(assembly, tmp_path, LAST_WEEK_EMAIL_AND_TASK)
    run = run_command("drift", "--assembly", assembly, "--stack", "V1", "--deployed-template", path)
    assert run.exit_code == 1
    assert endpoint in run.stderr and "AWS_ENDPOINT_URL_CONNECT" in run.stderr
    assert "thrott" not in run.stderr.lower()


def test_an_update_from_a_search_to_ids_plans_the_contacts_that_leave_it(run_command, emulator, assembly, tmp_path):
    """V1's IDs replace a deployed search under DESTROY: c-06 (TASK, matched by the search, not listed) leaves."""
    seed_v1(emulator, **{"c-06": SeedContact("c-06", channel="TASK", attributes={"greeting": "hello"})})
    path = deployed_search(assembly, tmp_path, LAST_WEEK_EMAIL_AND_TASK)
    run = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", path, "--json")
    assert run.exit_code == 2, run.stderr
    resource = run.resource()
    assert resource["action"] == "update"
    assert resource["keys"]["clear"] == {"greeting": 1}  # the value the search's declaration set on c-06
    assert "c-06" in resource["firstContacts"]
    assert "SearchContacts" in {record.operation for record in emulator.requests}
    assert not any(record.is_write for record in emulator.requests)


@pytest.mark.parametrize(("account", "exit_code"), [("111122223333", 1), (ACCOUNT, 2)])
def test_a_stack_with_an_account_is_planned_with_credentials_of_that_account(
    run_command, emulator, assembly, tmp_path, account, exit_code
):
    """An assembly whose stack names its environment: CloudFormation is asked there, with that account's credentials."""
    seed_v1(emulator)
    shutil.copy(assembly / "V1.template.json", tmp_path / "V1.template.json")
    artifact = {
        "type": "aws:cloudformation:stack",
        "environment": f"aws://{account}/{REGION}",
        "properties": {"templateFile": "V1.template.json", "stackName": "PinnedV1"},
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"PinnedV1": artifact}}))
    run = run_command("plan", "--assembly", tmp_path)
    assert run.exit_code == exit_code, run.stderr
    if exit_code == 1:
        assert f"stack PinnedV1 is in account {account}, but the credentials are for account {ACCOUNT}" in run.stderr
    else:
        assert f"deployed: stack PinnedV1 does not exist in account {ACCOUNT} in {REGION}" in run.stdout


def test_usage_errors_exit_1_not_2(run_command, assembly):
    with pytest.raises(SystemExit) as raised:
        run_command("plan", "--max-requests-per-second", "0")
    assert raised.value.code == 1
