"""contact_event and the continuous declaration: what a message body says, and which contact each write goes to."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from connect_contact_rules import AttributeMode, RuleViolation
from contact_reconciler.contact_event import ContactEvent, MalformedEvent
from contact_reconciler.continuous_stamping import ContinuousDeclaration

ARN = "arn:aws:connect:eu-west-2:123456789012:instance/i-1"


def body(**detail: object) -> str:
    return json.dumps(
        {
            "source": "aws.connect",
            "detail-type": "Amazon Connect Contact Event",
            "detail": {"eventType": "INITIATED", "contactId": "c-2", "instanceArn": ARN, **detail},
        }
    )


def declaration(**changes: object) -> ContinuousDeclaration:
    fields: dict[str, object] = {
        "instance_id": "i-1",
        "instance_arn": ARN,
        "attributes": {"a": "b"},
        "mode": AttributeMode.FILL_MISSING,
        "expiry_minutes": 60,
        "channels": ("TASK",),
        "queue_ids": (),
        "initiation_methods": (),
        "max_requests_per_second": 3.0,
        "sweep_window": timedelta(minutes=20),
    }
    fields.update(changes)
    return ContinuousDeclaration(**fields)  # type: ignore[arg-type]


def test_a_transfer_puts_the_attributes_on_the_initial_contact_and_the_expiry_on_the_segment():
    event = ContactEvent.from_message_body(body(initialContactId="c-1", channel="TASK", initiationMethod="TRANSFER"))
    works = declaration().works(event)
    assert [(w.contact_id, dict(w.desired), w.expiry_minutes) for w in works] == [
        ("c-1", {"a": "b"}, None),
        ("c-2", {}, 60),
    ]


def test_a_first_segment_is_one_work_and_the_queue_id_comes_from_the_queue_arn():
    event = ContactEvent.from_message_body(
        body(channel="task", eventType="QUEUED", queueInfo={"queueArn": f"{ARN}/queue/q-9"})
    )
    assert (event.initial_contact_id, event.channel, event.queue_id) == ("c-2", "TASK", "q-9")
    assert [w.contact_id for w in declaration().works(event)] == ["c-2"]
    queued = declaration(queue_ids=("q-9",))
    assert queued.event_types == ("INITIATED", "QUEUED")
    assert event.selected_by(ARN, queued.event_types, ("TASK",), ("q-9",), ())
    assert not event.selected_by(ARN, declaration().event_types, ("TASK",), (), ())  # QUEUED without a queue filter
    assert not event.selected_by(ARN.replace("i-1", "i-2"), queued.event_types, (), (), ())


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ("[]", "not a JSON object"),
        (json.dumps({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}), "source or detail-type"),
        (body(contactId=7), "detail.contactId"),
    ],
)
def test_a_body_that_is_not_a_contact_event_is_malformed(text, problem):
    with pytest.raises(MalformedEvent, match=problem):
        ContactEvent.from_message_body(text)


def test_an_unreadable_declaration_names_the_variable():
    with pytest.raises(RuleViolation, match="CONTINUOUS_DECLARATION"):
        ContinuousDeclaration.from_json('{"InstanceId": "i-1"}')
