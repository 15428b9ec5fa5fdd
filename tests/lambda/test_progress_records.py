"""The progress record a working operation keeps in its lease item (what `connect-contact-defaults status` reads),
its INFO line and its EMF metrics, from the synthesized asset against the emulator and moto's DynamoDB."""

import json
import time

import boto3

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import resource_properties
from contact_reconciler.progress_record import ProgressSnapshot

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


def progress_of(lambda_runner, logical_id="GreetingDefaults1A2B3C4D"):
    client = boto3.client(
        "dynamodb",
        region_name="eu-west-2",
        endpoint_url=lambda_runner.aws_endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    item = client.get_item(
        TableName=lambda_runner.state_table, Key={"pk": {"S": "lease"}, "sk": {"S": logical_id}}, ConsistentRead=True
    ).get("Item", {})
    return ProgressSnapshot.from_item(item["progress"]) if "progress" in item else None


def test_a_running_create_records_its_progress_with_each_heartbeat_and_ends_done(lambda_runner, emulator):
    ids = [f"task-{n:03d}" for n in range(40)]
    emulator.add_contacts(INSTANCE, (SeedContact(c, channel="TASK") for c in ids))
    event = lambda_runner.event("Create", resource_properties(INSTANCE, ids, {"a": "1"}, max_requests_per_second=5))
    running = lambda_runner.start(event, timeout_seconds=60, extra_env={"LEASE_HEARTBEAT_SECONDS": "1"})
    seen = []
    while not running.done():
        snapshot = progress_of(lambda_runner)
        if snapshot is not None and snapshot.state == "running":
            seen.append(snapshot)
        time.sleep(0.5)
    result = running.result()
    assert result.status == "SUCCESS", result.logs

    assert len(seen) >= 3
    assert all(s.operation == "Create" and s.request_id == event["RequestId"] and s.total == 40 for s in seen)
    done = [s.done for s in seen]
    assert done == sorted(done) and done[-1] > done[0]  # rising
    assert any(s.seconds_left() is not None and 0 < s.seconds_left() < 60 for s in seen)  # a finite ETA
    last = progress_of(lambda_runner)
    assert last.state == "done"
    assert (last.done, last.updated, last.unchanged, last.failed) == (40, int(result.data["Updated"]), 0, 0)

    # The last line and the metrics: counts, no value.
    assert "progress: 40 of 40 contacts (100%)" in result.logs
    (emf,) = [json.loads(line) for line in result.logs.splitlines() if line.startswith('{"_aws"')]
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ConnectContactDefaults"
    assert (emf["Resource"], emf["ContactsWritten"], emf["ContactsFailed"]) == ("GreetingDefaults1A2B3C4D", 40, 0)
    assert emf["Stack"] == "ContactDefaultsExample"
