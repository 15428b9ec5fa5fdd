"""An Amazon Connect contact event, as the continuous consumer reads it from an SQS message (pure, no I/O).

The message body is the EventBridge envelope (source aws.connect, detail-type "Amazon Connect Contact Event").
Only the fields the decision needs are read; user-defined attributes are never in an event. A body that is not
such an event raises MalformedEvent (the message is reported failed and, after its retries, dead-lettered).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from connect_contact_rules import CONTACT_EVENT_DETAIL_TYPE, CONTACT_EVENT_SOURCE


class MalformedEvent(ValueError):
    """The message is not a contact event; the text names what is wrong (never a value of the event)."""


@dataclass(frozen=True)
class ContactEvent:
    event_type: str
    instance_arn: str
    contact_id: str
    initial_contact_id: str
    """initialContactId, or contactId where the event has none (the first segment): attributes are keyed by it."""
    channel: str
    initiation_method: str
    queue_id: str | None

    @classmethod
    def from_message_body(cls, body: str) -> ContactEvent:
        try:
            envelope = json.loads(body)
        except (TypeError, ValueError):
            raise MalformedEvent("the body is not JSON") from None
        if not isinstance(envelope, dict):
            raise MalformedEvent("the body is not a JSON object")
        if envelope.get("source") != CONTACT_EVENT_SOURCE or envelope.get("detail-type") != CONTACT_EVENT_DETAIL_TYPE:
            raise MalformedEvent("not an Amazon Connect contact event (source or detail-type)")
        detail = envelope.get("detail")
        if not isinstance(detail, dict):
            raise MalformedEvent("the event has no detail object")
        contact_id = _text(detail, "contactId")
        initial = detail.get("initialContactId")
        queue_arn = (
            (detail.get("queueInfo") or {}).get("queueArn") if isinstance(detail.get("queueInfo"), dict) else None
        )
        return cls(
            event_type=_text(detail, "eventType"),
            instance_arn=_text(detail, "instanceArn"),
            contact_id=contact_id,
            initial_contact_id=initial if isinstance(initial, str) and initial else contact_id,
            channel=str(detail.get("channel") or "").upper(),
            initiation_method=str(detail.get("initiationMethod") or ""),
            queue_id=queue_arn.rsplit("/", 1)[-1] if isinstance(queue_arn, str) and "/queue/" in queue_arn else None,
        )

    def selected_by(
        self,
        instance_arn: str,
        event_types: Collection[str],
        channels: Collection[str],
        queue_ids: Collection[str],
        initiation_methods: Collection[str],
    ) -> bool:
        """Whether the declaration applies to this contact (empty filters select every value). The rule already
        filters; this check keeps a message that reached the queue another way from causing a write."""
        return (
            self.instance_arn == instance_arn
            and self.event_type in event_types
            and (not channels or self.channel in channels)
            and (not queue_ids or self.queue_id in queue_ids)
            and (not initiation_methods or self.initiation_method in initiation_methods)
        )


def _text(detail: dict[str, Any], key: str) -> str:
    value = detail.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"detail.{key} is missing or not a string")
    return value
