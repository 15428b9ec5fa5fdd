"""Contact events as Amazon Connect publishes them, sent to an EventBridge endpoint (moto's server mode, say).

Connect puts its contact events on the default bus of the instance's Region: source ``aws.connect``,
detail-type "Amazon Connect Contact Event", ``resources`` the instance and contact ARNs, and a ``detail`` with
eventType, contactId, channel, instanceArn, initiationMethod, initiationTimestamp and, once the contact is queued,
queueInfo. User-defined attributes are never in an event. Shapes from the admin guide, "Amazon Connect contact
events" (data model); see docs/continuous-defaults.md.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .contact_store import ContactSnapshot

SOURCE = "aws.connect"
DETAIL_TYPE = "Amazon Connect Contact Event"
PUT_EVENTS_ENTRIES_MAX = 10
"""PutEvents takes at most 10 entries a call."""


def _timestamp(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ContactEventPublisher:
    """Builds real-shaped contact events and puts them on the default bus of ``events_client``."""

    def __init__(self, events_client: Any, region: str, account: str = "123456789012") -> None:
        self._client = events_client
        self.region = region
        self.account = account
        self._lock = threading.Lock()
        self.published: list[dict[str, Any]] = []
        """Every event put, as sent (for assertions)."""

    def instance_arn(self, instance_id: str) -> str:
        return f"arn:aws:connect:{self.region}:{self.account}:instance/{instance_id}"

    def event(
        self,
        contact: ContactSnapshot,
        event_type: str,
        *,
        updated_properties: Iterable[str] = (),
        detail_overrides: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The envelope of one contact event (``Detail`` as an object)."""
        instance_arn = self.instance_arn(contact.instance_id)
        detail: dict[str, Any] = {
            "eventType": event_type,
            "contactId": contact.contact_id,
            "channel": contact.channel,
            "instanceArn": instance_arn,
            "initiationMethod": contact.initiation_method,
            "initiationTimestamp": _timestamp(contact.initiation_timestamp),
            "tags": {"aws:connect:instanceId": contact.instance_id},
        }
        if contact.queue_id is not None and event_type != "INITIATED":
            detail["queueInfo"] = {
                "queueArn": f"{instance_arn}/queue/{contact.queue_id}",
                "queueType": "STANDARD",
                "enqueueTimestamp": _timestamp(contact.initiation_timestamp),
            }
        if updated_properties:
            detail["updatedProperties"] = list(updated_properties)
        detail.update(detail_overrides or {})
        return {
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Resources": [instance_arn, f"{instance_arn}/contact/{contact.contact_id}"],
            "Detail": detail,
        }

    def put(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Puts events on the default bus, 10 a call; raises if EventBridge refused any."""
        batch = list(events)
        with self._lock:
            self.published.extend(dict(event) for event in batch)
        for start in range(0, len(batch), PUT_EVENTS_ENTRIES_MAX):
            entries = [
                {**event, "Detail": json.dumps(event["Detail"]), "EventBusName": "default"}
                for event in batch[start : start + PUT_EVENTS_ENTRIES_MAX]
            ]
            response = self._client.put_events(Entries=entries)
            if response.get("FailedEntryCount"):
                raise RuntimeError(f"PutEvents refused {response['FailedEntryCount']} of {len(entries)} events")

    def contact_created(self, contact: ContactSnapshot) -> list[dict[str, Any]]:
        """INITIATED, and QUEUED where the contact has a queue (as Connect publishes for a new contact)."""
        events = [self.event(contact, "INITIATED")]
        if contact.queue_id is not None:
            events.append(self.event(contact, "QUEUED"))
        return events
