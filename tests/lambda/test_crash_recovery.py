"""An invocation that dies never hangs the stack: Lambda's retry finishes the work, and every request gets its answer.

The synthesized asset with the real crhelper against the Connect emulator, the state table in moto's DynamoDB,
and the runner's Lambda service doing what Lambda does with an asynchronous invocation that dies (SIGKILL, as an
out-of-memory kill): it retries the same event as the synthesized AWS::Lambda::EventInvokeConfig says, then sends
its record to the synthesized on-failure destination, run from the same asset. Time is scaled: Lambda's retries
come about 60 and 120 s after a failure, here 7 s; the lease's heartbeat is 1 s instead of 5 s (stale after 6 s
instead of 30 s), so every ratio the design relies on holds.
"""

import time
from collections import Counter

import pytest

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import (
    Crash,
    LambdaRunner,
    resource_properties,
    synthesized_async_invoke_config,
)

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
BUDGET = 4
RETRY_DELAY_SECONDS = 7.0
HEARTBEAT = {"LEASE_HEARTBEAT_SECONDS": "1"}


@pytest.fixture
def runner(asset_dir, cdk_out, emulator, response_server, certificates, aws_endpoint):
    config = synthesized_async_invoke_config(cdk_out)
    assert (config.maximum_retry_attempts, config.on_failure_handler) == (2, "retries_exhausted.handler")
    running = LambdaRunner(
        asset_dir,
        emulator.endpoint_url,
        response_server,
        certificates.ca_file,
        aws_endpoint_url=aws_endpoint,
        async_invoke=config.scaled(RETRY_DELAY_SECONDS, RETRY_DELAY_SECONDS),
    )
    yield running
    running.close()


def seed_tasks(emulator, count):
    ids = [f"task-{n:03d}" for n in range(count)]
    emulator.add_contacts(INSTANCE, (SeedContact(c, channel="TASK") for c in ids))
    return ids


def writes_per_contact(emulator, operation="UpdateContactAttributes"):
    return Counter(r.contact_id for r in emulator.requests if r.operation == operation and r.status == 200)


def busiest_second_per_api(records):
    """The most calls to one API that arrived within any one second, per API (retries and every chain included)."""
    by_api = {}
    for record in records:
        by_api.setdefault(record.operation, []).append(record.time)
    return {
        operation: max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(sorted(times)))
        for operation, times in ((op, sorted(ts)) for op, ts in by_api.items())
    }


def assert_declared(emulator, ids, attributes):
    for contact_id in ids:
        assert emulator.contact(INSTANCE, contact_id).attributes == attributes, contact_id


def assert_within_budget(emulator):
    assert all(count <= BUDGET for count in busiest_second_per_api(emulator.requests).values())


def test_a_killed_first_invocation_of_a_create_is_finished_by_lambdas_retry(runner, emulator):
    ids = seed_tasks(emulator, 60)
    props = resource_properties(INSTANCE, ids, {"a": "1"}, max_requests_per_second=BUDGET)
    runner.crashes = [Crash(invocation=1, after_seconds=3.0)]
    result = runner.send(runner.event("Create", props), timeout_seconds=60, extra_env=HEARTBEAT)

    assert result.status == "SUCCESS", result.logs
    assert len(result.responses) == 1
    assert runner.failed_attempts == [(1, 1)]
    assert "died" in result.logs and "taking over and doing its work again" in result.logs
    killed_wrote = 60 - int(result.data["Updated"])
    assert 0 < killed_wrote < 60  # the killed attempt did part of the work, the retry the rest
    assert int(result.data["Unchanged"]) == killed_wrote
    assert_declared(emulator, ids, {"a": "1"})
    assert max(writes_per_contact(emulator).values()) <= 2
    assert set(writes_per_contact(emulator)) == set(ids)
    assert_within_budget(emulator)  # the retry's calls and the dead holder's last ones together


def test_a_killed_hand_off_is_finished_by_lambdas_retry_of_that_hand_off(runner, emulator):
    ids = seed_tasks(emulator, 60)
    props = resource_properties(INSTANCE, ids, {"a": "1"}, max_requests_per_second=BUDGET)
    runner.crashes = [Crash(invocation=2, after_seconds=2.5)]
    result = runner.send(runner.event("Create", props), timeout_seconds=7, extra_env=HEARTBEAT)

    assert result.status == "SUCCESS", result.logs
    assert len(result.responses) == 1
    assert runner.failed_attempts == [(2, 1)]
    assert len(result.hand_offs) >= 2
    assert "taking over and doing its work again" in result.logs
    assert_declared(emulator, ids, {"a": "1"})
    assert max(writes_per_contact(emulator).values()) <= 2
    assert_within_budget(emulator)


def test_a_killed_destroy_delete_is_finished_by_lambdas_retry(runner, emulator):
    ids = seed_tasks(emulator, 60)
    props = resource_properties(INSTANCE, ids, {"a": "1"}, max_requests_per_second=BUDGET, removal_policy="DESTROY")
    created = runner.send(runner.event("Create", props), timeout_seconds=60, extra_env=HEARTBEAT)
    assert created.status == "SUCCESS", created.logs
    emulator.clear_requests()

    runner.crashes = [Crash(invocation=1, after_seconds=3.0)]
    deleted = runner.send(
        runner.event("Delete", props, physical_id=created.physical_id), timeout_seconds=60, extra_env=HEARTBEAT
    )
    assert deleted.status == "SUCCESS", deleted.logs
    assert len(deleted.responses) == 1
    assert runner.failed_attempts == [(1, 1)]
    assert_declared(emulator, ids, {"a": ""})  # cleared (Connect has no attribute delete)
    assert max(writes_per_contact(emulator).values()) <= 2
    assert_within_budget(emulator)


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_when_every_attempt_dies_the_on_failure_destination_answers_within_the_retry_schedule(
    runner, emulator, request_type
):
    ids = seed_tasks(emulator, 30)
    props = resource_properties(INSTANCE, ids, {"a": "1"}, max_requests_per_second=BUDGET, removal_policy="DESTROY")
    kwargs = {}
    if request_type != "Create":
        created = runner.send(runner.event("Create", props), timeout_seconds=60, extra_env=HEARTBEAT)
        kwargs["physical_id"] = created.physical_id
        if request_type == "Update":
            kwargs["old_properties"] = props
            props = resource_properties(INSTANCE, ids, {"a": "2"}, max_requests_per_second=BUDGET)
    runner.crashes = [Crash(invocation=1, after_seconds=2.0, attempt=None)]  # a deterministic out-of-memory, say
    started = time.monotonic()
    result = runner.send(runner.event(request_type, props, **kwargs), timeout_seconds=60, extra_env=HEARTBEAT)
    settled = time.monotonic() - started

    assert runner.failed_attempts == [(1, 1), (1, 2), (1, 3)]
    assert len(runner.destination_records) == 1
    assert len(result.responses) == 1
    if request_type == "Delete":
        assert result.status == "SUCCESS"
        assert "WARNING: Delete of GreetingDefaults1A2B3C4D ended without an answer" in result.logs
    else:
        assert result.status == "FAILED"
        assert result.response["Reason"] == (
            "the handler's invocation ended without an answer 3 times (out of memory or a crash); "
            "see log group /aws/lambda/ContactDefaultsFunction"
        )
    if request_type == "Create":  # the handler's own ID, so that the rollback's Delete undoes what was written
        assert result.physical_id.startswith(f"connect-contact-defaults:eu-west-2:{INSTANCE}:")
    else:
        assert result.physical_id == kwargs["physical_id"]
    # three attempts of 2 s and two retry delays, not the ServiceTimeout
    assert settled < 3 * 2.0 + 2 * RETRY_DELAY_SECONDS + 20
    # nothing of the event's properties or the ResponseURL in any log
    assert "SecretSignature" not in "\n".join(runner.all_logs)


def test_a_response_the_response_url_refuses_is_sent_again_until_accepted(runner, emulator, response_server):
    ids = seed_tasks(emulator, 5)
    event = runner.event("Create", resource_properties(INSTANCE, ids, {"a": "1"}, max_requests_per_second=BUDGET))
    response_server.refuse_next(event["RequestId"], [500, 503, 429])
    result = runner.send(event, timeout_seconds=60, extra_env=HEARTBEAT)

    assert result.status == "SUCCESS", result.logs
    assert len(result.responses) == 1  # one accepted response...
    assert response_server.refused[event["RequestId"]] == [500, 503, 429]  # ...after three refused PUTs
    assert result.logs.count("the response was not accepted") == 3
    assert "CloudFormation accepted the SUCCESS response (attempt 4)" in result.logs
    assert runner.failed_attempts == []
