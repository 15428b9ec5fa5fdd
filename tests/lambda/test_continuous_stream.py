"""Continuous stamping end to end: the synthesized rule's pattern on moto's EventBridge (server mode), delivering to
an SQS queue on moto shaped as the template declares it, and the synthesized continuous function run from its asset,
fed the messages moto delivered, against the Connect emulator, which publishes contact events as Connect does."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, Stack

from connect_contact_defaults import Channel, ContactDefaults, ContactSelection, ContinuousStamping
from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import (
    ContinuousFunction,
    EventSourcePoller,
    LocalContinuousStream,
    local_client,
)
from connect_contact_defaults.testing.local_cloudformation.local_aws import local_aws_environment

REGION = "eu-west-2"
ACCOUNT = "123456789012"
INSTANCE_ID = "c0c0c0c0-1111-2222-3333-444444444444"
OTHER_INSTANCE_ID = "d0d0d0d0-1111-2222-3333-444444444444"
UPDATES = ("UpdateContactAttributes", "UpdateContact")


def synth(
    outdir: Path,
    *,
    attributes: dict[str, str],
    channels: list[Channel] | None = None,
    queue_ids: list[str] | None = None,
    initiation_methods: list[str] | None = None,
    expiry_days: int | None = 3,
    budget: float = 3,
) -> ContinuousFunction:
    """A stack with one continuous ContactDefaults, synthesized into outdir; its continuous function."""
    app = App(outdir=str(outdir), context={"aws:cdk:enable-asset-metadata": True})
    stack = Stack(app, "ContinuousStack", env=Environment(account=ACCOUNT, region=REGION))
    ContactDefaults(
        stack,
        "NewTasks",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.search(
            initiated_within=Duration.days(1),
            channels=channels,
            queue_ids=queue_ids,
            initiation_methods=initiation_methods,
            continuous=ContinuousStamping(max_requests_per_second=budget),
        ),
        attributes=attributes,
        contact_expiry=None if expiry_days is None else Duration.days(expiry_days),
    )
    app.synth()
    return ContinuousFunction.from_template(outdir, "NewTasks", region=REGION, account=ACCOUNT)


def client(service: str, endpoint: str) -> Any:
    return local_client(service, endpoint, REGION)


class Stream(LocalContinuousStream):
    def received(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """Every message now in the queue (each received once, then deleted)."""
        bodies = []
        while messages := self.sqs.receive_message(QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url or self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies


@pytest.fixture
def stream_for(aws_endpoint, emulator) -> Iterator[Any]:
    streams: list[Stream] = []
    emulator.add_instance(INSTANCE_ID)
    emulator.add_instance(OTHER_INSTANCE_ID)
    emulator.publish_events_to(client("events", aws_endpoint), REGION, ACCOUNT)

    def make(function: ContinuousFunction) -> Stream:
        stream = Stream(aws_endpoint, function, region=REGION)
        streams.append(stream)
        return stream

    yield make
    for stream in streams:
        stream.close()


@pytest.fixture(scope="module")
def tasks_function(tmp_path_factory) -> ContinuousFunction:
    """Task and email contacts created through the API: a survey flag and a 3-day expiry; budget 3/s."""
    return synth(
        tmp_path_factory.mktemp("tasks"),
        attributes={"surveyOffered": "false"},
        channels=[Channel.TASK, Channel.EMAIL],
        initiation_methods=["API"],
    )


def delivered(bodies: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(body["detail"]["contactId"], body["detail"]["eventType"]) for body in bodies}


def test_the_rule_delivers_only_initiated_events_of_the_instance_channels_and_methods(
    tasks_function, stream_for, emulator
):
    stream = stream_for(tasks_function)
    publisher = emulator.event_publisher
    emulator.add_contacts(
        INSTANCE_ID,
        [
            SeedContact("task-api", channel="TASK", initiation_method="API"),
            SeedContact("email-api", channel="EMAIL", initiation_method="API", queue_id="q1"),
            SeedContact("voice-api", channel="VOICE", initiation_method="API"),
            SeedContact("task-transfer", channel="TASK", initiation_method="TRANSFER"),
        ],
    )
    emulator.add_contact(OTHER_INSTANCE_ID, SeedContact("other-instance", channel="TASK", initiation_method="API"))
    task = emulator.contact(INSTANCE_ID, "task-api")
    publisher.put(
        [
            publisher.event(task, "CONTACT_DATA_UPDATED", updated_properties=["UserDefinedAttributes"]),
            publisher.event(task, "CONNECTED_TO_AGENT"),
            publisher.event(task, "SOME_FUTURE_EVENT_TYPE"),
            {**publisher.event(task, "INITIATED"), "DetailType": "Amazon Connect Rules Action Execution Failed"},
        ]
    )
    # email-api's QUEUED event (it has a queue) is not matched: without a queue filter only INITIATED is.
    assert delivered(stream.received()) == {("task-api", "INITIATED"), ("email-api", "INITIATED")}
    assert tasks_function.event_pattern["detail"]["eventType"] == ["INITIATED"]


def test_with_a_queue_filter_the_rule_delivers_queued_events_of_those_queues(tmp_path, stream_for, emulator):
    function = synth(tmp_path, attributes={"tier": "gold"}, queue_ids=["q1"], expiry_days=None)
    stream = stream_for(function)
    emulator.add_contacts(
        INSTANCE_ID,
        [
            SeedContact("on-q1", channel="CHAT", initiation_method="INBOUND", queue_id="q1"),
            SeedContact("on-q2", channel="CHAT", initiation_method="INBOUND", queue_id="q2"),
            SeedContact("never-queued", channel="CHAT", initiation_method="INBOUND"),
        ],
    )
    # INITIATED carries no queue yet: only on-q1's QUEUED event matches.
    assert delivered(stream.received()) == {("on-q1", "QUEUED")}
    assert function.event_pattern["detail"]["eventType"] == ["INITIATED", "QUEUED"]


def updates_of(emulator, contact_id: str) -> list[str]:
    return [r.operation for r in emulator.requests if r.contact_id == contact_id and r.operation in UPDATES]


def test_a_new_matching_contact_gets_the_declaration_once_and_nothing_else_is_touched(
    tasks_function, stream_for, emulator
):
    stream = stream_for(tasks_function)
    poller = EventSourcePoller(tasks_function, stream.sqs, stream.queue_url, connect_endpoint_url=emulator.endpoint_url)
    emulator.start_task_contact(INSTANCE_ID, "new-task")
    emulator.add_contact(INSTANCE_ID, SeedContact("new-voice", channel="VOICE", attributes={"queue": "sales"}))
    emulator.add_contact(INSTANCE_ID, SeedContact("taken-task", channel="TASK", attributes={"surveyOffered": "true"}))
    assert poller.drain() >= 1
    assert emulator.attributes(INSTANCE_ID, "new-task") == {"surveyOffered": "false"}
    assert emulator.expiry_minutes(INSTANCE_ID, "new-task") == 3 * 24 * 60
    assert updates_of(emulator, "new-task") == ["UpdateContactAttributes", "UpdateContact"]
    # Not matched (a voice contact): never reached the queue, never read.
    assert emulator.attributes(INSTANCE_ID, "new-voice") == {"queue": "sales"}
    assert not [r for r in emulator.requests if r.contact_id == "new-voice"]
    # FILL_MISSING never overwrites; the expiry still goes on the task.
    assert emulator.attributes(INSTANCE_ID, "taken-task") == {"surveyOffered": "true"}
    assert updates_of(emulator, "taken-task") == ["UpdateContact"]
    # Our writes caused CONTACT_DATA_UPDATED events (the emulator published them); the rule matched none of them.
    published = [e["Detail"]["eventType"] for e in emulator.event_publisher.published]
    assert published.count("CONTACT_DATA_UPDATED") == 3
    assert stream.depth(stream.queue_url) == 0

    # The same event again (EventBridge and SQS deliver at least once): read, no second write.
    event = next(e for e in emulator.event_publisher.published if e["Detail"]["contactId"] == "new-task")
    emulator.event_publisher.put([event])
    assert poller.drain() == 1
    assert updates_of(emulator, "new-task") == ["UpdateContactAttributes", "UpdateContact"]
    # A message for a contact the query does not select (fed to the queue directly) is ignored by the consumer.
    voice = emulator.event_publisher.event(emulator.contact(INSTANCE_ID, "new-voice"), "INITIATED")
    stream.sqs.send_message(QueueUrl=stream.queue_url, MessageBody=json.dumps(envelope(voice)))
    assert poller.drain() == 1
    assert not [r for r in emulator.requests if r.contact_id == "new-voice"]
    assert all("false" not in run.logs for run in poller.runs)  # no attribute value in the logs


def envelope(entry: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge envelope as a rule delivers it, from a PutEvents entry."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": ACCOUNT,
        "time": "2026-12-01T12:00:00Z",
        "region": REGION,
        "resources": entry["Resources"],
        "detail": entry["Detail"],
    }


def test_200_events_at_once_stay_within_the_budget_per_api_and_second(tmp_path, stream_for, emulator):
    budget = 24.0
    function = synth(tmp_path, attributes={"surveyOffered": "false"}, channels=[Channel.TASK], budget=budget)
    stream = stream_for(function)
    emulator.set_quota(rate=float("inf"))
    emulator.add_contacts(INSTANCE_ID, [SeedContact(f"burst-{n:03d}", channel="TASK") for n in range(200)])
    emulator.clear_requests()
    poller = EventSourcePoller(function, stream.sqs, stream.queue_url, connect_endpoint_url=emulator.endpoint_url)
    poller.drain()
    for n in range(200):
        assert emulator.attributes(INSTANCE_ID, f"burst-{n:03d}") == {"surveyOffered": "false"}
    requests = emulator.requests
    by_api = Counter(r.operation for r in requests)
    assert by_api["UpdateContactAttributes"] == 200 and by_api["UpdateContact"] == 200
    for operation in by_api:
        times = sorted(r.time for r in requests if r.operation == operation)
        busiest = max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))
        assert busiest <= budget, (operation, busiest)
    assert function.max_concurrency == 2 and function.batch_size == 10


def test_a_contact_whose_events_were_lost_is_stamped_by_the_sweep(tasks_function, stream_for, emulator):
    stream_for(tasks_function)
    emulator.add_contact(INSTANCE_ID, SeedContact("lost-task", channel="TASK", initiation_method="API"), publish=False)
    emulator.add_contact(
        INSTANCE_ID, SeedContact("lost-voice", channel="VOICE", initiation_method="API"), publish=False
    )
    run = tasks_function.run({"Sweep": {}}, connect_endpoint_url=emulator.endpoint_url)
    assert run.result is not None and run.result["complete"], run.logs
    assert emulator.attributes(INSTANCE_ID, "lost-task") == {"surveyOffered": "false"}
    assert emulator.expiry_minutes(INSTANCE_ID, "lost-task") == 3 * 24 * 60
    assert emulator.attributes(INSTANCE_ID, "lost-voice") == {}
    assert [r.operation for r in emulator.requests].count("SearchContacts") == 1
    again = tasks_function.run({"Sweep": {}}, connect_endpoint_url=emulator.endpoint_url)
    assert again.result is not None and again.result["updated"] == 0 and again.result["unchanged"] == 1


def test_after_an_update_new_contacts_get_the_new_declaration(tmp_path, stream_for, emulator):
    old = synth(tmp_path / "v1", attributes={"surveyOffered": "false"}, channels=[Channel.TASK])
    new = synth(tmp_path / "v2", attributes={"surveyOffered": "true", "tier": "gold"}, channels=[Channel.TASK])
    assert old.event_pattern == new.event_pattern and old.environment != new.environment
    stream = stream_for(old)
    emulator.start_task_contact(INSTANCE_ID, "before-update")
    EventSourcePoller(old, stream.sqs, stream.queue_url, connect_endpoint_url=emulator.endpoint_url).drain()
    emulator.start_task_contact(INSTANCE_ID, "after-update")
    EventSourcePoller(new, stream.sqs, stream.queue_url, connect_endpoint_url=emulator.endpoint_url).drain()
    assert emulator.attributes(INSTANCE_ID, "before-update") == {"surveyOffered": "false"}
    assert emulator.attributes(INSTANCE_ID, "after-update") == {"surveyOffered": "true", "tier": "gold"}


def test_a_poison_message_goes_to_the_dead_letter_queue_and_does_not_block_the_others(
    tasks_function, stream_for, emulator
):
    stream = stream_for(tasks_function)
    poison = '{"source": "aws.connect", "detail": "not an object"'
    stream.sqs.send_message(QueueUrl=stream.queue_url, MessageBody=poison)
    emulator.start_task_contact(INSTANCE_ID, "beside-poison")
    poller = EventSourcePoller(tasks_function, stream.sqs, stream.queue_url, connect_endpoint_url=emulator.endpoint_url)
    poller.drain()
    assert emulator.attributes(INSTANCE_ID, "beside-poison") == {"surveyOffered": "false"}
    failures = [item for run in poller.runs for item in (run.result or {}).get("batchItemFailures", [])]
    assert len(failures) == tasks_function.max_receive_count  # each receive of the poison, and only it
    assert stream.depth(stream.queue_url) == 0
    dead = stream.sqs.receive_message(QueueUrl=stream.dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [message["Body"] for message in dead] == [poison]


def drift(emulator, assembly: Path) -> tuple[int, str]:
    """connect-contact-defaults drift on the assembly, as deployed, with the emulator as Connect."""
    env = local_aws_environment(REGION, {"connect": emulator.endpoint_url})
    completed = subprocess.run(
        [sys.executable, "-m", "connect_contact_defaults", "drift", "--assembly", assembly.name,
         "--deployed-template", f"{assembly.name}/ContinuousStack.template.json"],
        cwd=assembly.parent, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return completed.returncode, completed.stdout + completed.stderr


def test_drift_finds_new_contacts_in_the_window_that_lack_the_declaration(tmp_path, stream_for, emulator):
    function = synth(tmp_path / "assembly", attributes={"surveyOffered": "false"}, channels=[Channel.TASK])
    stream = stream_for(function)
    emulator.start_task_contact(INSTANCE_ID, "stamped-task")
    EventSourcePoller(function, stream.sqs, stream.queue_url, connect_endpoint_url=emulator.endpoint_url).drain()
    code, output = drift(emulator, tmp_path / "assembly")
    assert code == 0, output
    emulator.add_contact(INSTANCE_ID, SeedContact("lost-task", channel="TASK"), publish=False)
    code, output = drift(emulator, tmp_path / "assembly")
    assert code == 2 and "1 of 1 ContactDefaults drifted" in output and "1 to write" in output, output
    function.run({"Sweep": {}}, connect_endpoint_url=emulator.endpoint_url)
    code, output = drift(emulator, tmp_path / "assembly")
    assert code == 0, output
