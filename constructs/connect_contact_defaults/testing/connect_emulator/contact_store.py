"""Thread-safe contact state and the Connect contact operations the emulator serves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid_request, not_found
from .request_validation import (
    CONTACT_EXPIRY,
    check_attributes_size,
    parse_expiry_minutes,
    service_model,
)

CHANNELS: frozenset[str] = frozenset(service_model().shape_for("Channel").enum)
INITIATION_METHODS: frozenset[str] = frozenset(service_model().shape_for("ContactInitiationMethod").enum)
CHANNELS_WITH_EXPIRY = frozenset({"EMAIL", "TASK"})
DEFAULT_REGION = "us-east-1"
"""Used in ARNs when a request carries no SigV4 signature."""


_ENABLED_INSTANCE_ATTRIBUTES = frozenset({"INBOUND_CALLS", "OUTBOUND_CALLS"})


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars), cheaper than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()} if value else {}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class SeedContact:
    """A contact to seed. ``segment_attributes`` are given as the API returns them."""

    contact_id: str
    channel: str = "VOICE"
    attributes: Mapping[str, str] = field(default_factory=dict)
    segment_attributes: Mapping[str, Any] = field(default_factory=dict)
    initiation_method: str = "API"
    initiation_timestamp: float | None = None
    """Epoch seconds; None = when it is seeded."""
    queue_id: str | None = None
    """The queue the contact was routed to (SearchContacts' QueueIds and QueueInfo); None = never queued."""


@dataclass(frozen=True, slots=True)
class ContactSnapshot:
    """A copy of one contact's state at one moment."""

    instance_id: str
    contact_id: str
    channel: str
    initiation_method: str
    initiation_timestamp: float
    attributes: dict[str, str]
    segment_attributes: dict[str, Any]
    name: str | None
    description: str | None
    last_update_timestamp: float | None
    queue_id: str | None = None


@dataclass(slots=True)
class _Contact:
    contact_id: str
    channel: str
    initiation_method: str
    initiation_timestamp: float
    attributes: dict[str, str]
    segment_attributes: dict[str, Any]
    name: str | None = None
    description: str | None = None
    last_update_timestamp: float | None = None
    queue_id: str | None = None


def _contact_from_seed(seed: SeedContact, now: float) -> _Contact:
    if not isinstance(seed.contact_id, str) or not seed.contact_id:
        raise ValueError(f"a contact ID is a non-empty string, not {seed.contact_id!r}")
    if seed.channel not in CHANNELS:
        raise ValueError(f"contact {seed.contact_id}: channel {seed.channel!r} is not one of {sorted(CHANNELS)}")
    if seed.initiation_method not in INITIATION_METHODS:
        raise ValueError(f"contact {seed.contact_id}: initiation method {seed.initiation_method!r} is not known")
    attributes = dict(seed.attributes)
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in attributes.items()):
        raise ValueError(f"contact {seed.contact_id}: attribute keys and values are strings")
    if seed.queue_id is not None and (not isinstance(seed.queue_id, str) or not seed.queue_id):
        raise ValueError(f"contact {seed.contact_id}: a queue ID is a non-empty string, not {seed.queue_id!r}")
    return _Contact(
        contact_id=seed.contact_id,
        channel=seed.channel,
        initiation_method=seed.initiation_method,
        initiation_timestamp=now if seed.initiation_timestamp is None else seed.initiation_timestamp,
        attributes=attributes,
        segment_attributes=_copy_json(dict(seed.segment_attributes)),
        queue_id=seed.queue_id,
    )


def expiry_minutes_of(segment_attributes: Mapping[str, Any]) -> int | None:
    """The minutes of ``connect:ContactExpiry``, or None when it is absent or malformed."""
    if CONTACT_EXPIRY not in segment_attributes:
        return None
    try:
        return parse_expiry_minutes(segment_attributes[CONTACT_EXPIRY])
    except Exception:
        return None


class ContactStore:
    """Instances and their contacts behind one lock. Operations take validated input."""

    def __init__(self, account_id: str = "123456789012") -> None:
        self._account_id = account_id
        self._lock = threading.Lock()
        self._instances: dict[str, dict[str, _Contact]] = {}
        self._regions: dict[str, str] = {}
        """The Region of an instance added with one: requests signed for another Region do not find it."""

    # --- seeding and inspection ---

    def add_instance(self, instance_id: str, region: str | None = None) -> None:
        with self._lock:
            self._instances.setdefault(instance_id, {})
            if region is not None:
                self._regions[instance_id] = region

    def add_contacts(self, instance_id: str, seeds: Iterable[SeedContact]) -> None:
        """Seeds contacts (replacing any with the same ID); creates the instance if needed."""
        if not isinstance(instance_id, str) or not instance_id:
            raise ValueError(f"an instance ID is a non-empty string, not {instance_id!r}")
        now = time.time()
        contacts = {contact.contact_id: contact for contact in (_contact_from_seed(seed, now) for seed in seeds)}
        with self._lock:
            self._instances.setdefault(instance_id, {}).update(contacts)

    def snapshot(self, instance_id: str, contact_id: str) -> ContactSnapshot:
        """A copy of the contact; KeyError if there is no such contact."""
        with self._lock:
            contact = self._instances[instance_id][contact_id]
            return ContactSnapshot(
                instance_id=instance_id,
                contact_id=contact.contact_id,
                channel=contact.channel,
                initiation_method=contact.initiation_method,
                initiation_timestamp=contact.initiation_timestamp,
                attributes=dict(contact.attributes),
                segment_attributes=_copy_json(contact.segment_attributes),
                name=contact.name,
                description=contact.description,
                last_update_timestamp=contact.last_update_timestamp,
                queue_id=contact.queue_id,
            )

    def contact_count(self, instance_id: str) -> int:
        with self._lock:
            return len(self._instances.get(instance_id, {}))

    # --- operations (called with input that passed request_validation) ---

    def _contacts_of(self, instance_id: str, region: str | None) -> dict[str, _Contact]:
        """The instance's contacts, as a request signed for ``region`` sees them. Call with the lock held."""
        contacts = self._instances.get(instance_id)
        home = self._regions.get(instance_id)
        if contacts is None or (home is not None and region is not None and region != home):
            raise not_found(f"Instance {instance_id} not found")
        return contacts

    def _find(self, instance_id: str, contact_id: str, region: str | None) -> _Contact:
        """Call with the lock held."""
        contact = self._contacts_of(instance_id, region).get(contact_id)
        if contact is None:
            raise not_found(f"Contact {contact_id} not found in instance {instance_id}")
        return contact

    def describe_instance_attribute(self, instance_id: str, attribute_type: str, region: str | None) -> dict[str, Any]:
        """An instance attribute: calls are enabled, every other feature is off (a new instance's settings)."""
        with self._lock:
            self._contacts_of(instance_id, region)
        value = "true" if attribute_type in _ENABLED_INSTANCE_ATTRIBUTES else "false"
        return {"Attribute": {"AttributeType": attribute_type, "Value": value}}

    def describe_contact(self, instance_id: str, contact_id: str, region: str | None) -> dict[str, Any]:
        with self._lock:
            contact = self._find(instance_id, contact_id, region)
            arn = (
                f"arn:aws:connect:{region or DEFAULT_REGION}:{self._account_id}:"
                f"instance/{instance_id}/contact/{contact.contact_id}"
            )
            described: dict[str, Any] = {
                "Arn": arn,
                "Id": contact.contact_id,
                "InitialContactId": contact.contact_id,
                "Channel": contact.channel,
                "InitiationMethod": contact.initiation_method,
                "InitiationTimestamp": contact.initiation_timestamp,
                "SegmentAttributes": _copy_json(contact.segment_attributes),
                "Attributes": dict(contact.attributes),
            }
            if contact.last_update_timestamp is not None:
                described["LastUpdateTimestamp"] = contact.last_update_timestamp
            if contact.name is not None:
                described["Name"] = contact.name
            if contact.description is not None:
                described["Description"] = contact.description
            if contact.queue_id is not None:
                described["QueueInfo"] = {"Id": contact.queue_id}
            return {"Contact": described}

    def search_contacts(
        self,
        instance_id: str,
        region: str | None,
        start: float,
        end: float,
        *,
        channels: frozenset[str] | None = None,
        queue_ids: frozenset[str] | None = None,
        initiation_methods: frozenset[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Summaries (ContactSearchSummary) of the contacts initiated at or after ``start`` and before ``end`` that
        match every given filter (None = no filter), in the order they were seeded."""
        with self._lock:
            contacts = self._contacts_of(instance_id, region)
            return [
                self._summary(instance_id, contact, region)
                for contact in contacts.values()
                if start <= contact.initiation_timestamp < end
                and (channels is None or contact.channel in channels)
                and (queue_ids is None or contact.queue_id in queue_ids)
                and (initiation_methods is None or contact.initiation_method in initiation_methods)
            ]

    def _summary(self, instance_id: str, contact: _Contact, region: str | None) -> dict[str, Any]:
        """Call with the lock held."""
        summary: dict[str, Any] = {
            "Arn": f"arn:aws:connect:{region or DEFAULT_REGION}:{self._account_id}:"
            f"instance/{instance_id}/contact/{contact.contact_id}",
            "Id": contact.contact_id,
            "InitialContactId": contact.contact_id,
            "Channel": contact.channel,
            "InitiationMethod": contact.initiation_method,
            "InitiationTimestamp": contact.initiation_timestamp,
        }
        if contact.queue_id is not None:
            summary["QueueInfo"] = {"Id": contact.queue_id}
        # ContactSearchSummarySegmentAttributeValue has only ValueString and ValueMap.
        segment_attributes = {
            key: {member: _copy_json(value[member]) for member in ("ValueString", "ValueMap") if member in value}
            for key, value in contact.segment_attributes.items()
            if isinstance(value, dict) and ("ValueString" in value or "ValueMap" in value)
        }
        if segment_attributes:
            summary["SegmentAttributes"] = segment_attributes
        if contact.name is not None:
            summary["Name"] = contact.name
        return summary

    def get_contact_attributes(self, instance_id: str, contact_id: str, region: str | None = None) -> dict[str, Any]:
        with self._lock:
            return {"Attributes": dict(self._find(instance_id, contact_id, region).attributes)}

    def update_contact_attributes(
        self, instance_id: str, contact_id: str, attributes: Mapping[str, str], region: str | None = None
    ) -> None:
        """Merges ``attributes`` in; all or nothing (the 32,768-byte limit counts the merged result)."""
        with self._lock:
            contact = self._find(instance_id, contact_id, region)
            merged = {**contact.attributes, **attributes}
            check_attributes_size(merged)
            contact.attributes = merged

    def update_contact(
        self, instance_id: str, contact_id: str, fields: Mapping[str, Any], region: str | None = None
    ) -> None:
        """Stores Name, Description and SegmentAttributes (merged by key)."""
        segment_attributes = fields.get("SegmentAttributes") or {}
        with self._lock:
            contact = self._find(instance_id, contact_id, region)
            if CONTACT_EXPIRY in segment_attributes and contact.channel not in CHANNELS_WITH_EXPIRY:
                raise invalid_request(
                    f"Contact {contact_id} is a {contact.channel} contact; the {contact.channel} channel "
                    f"does not support contact expiry ({CONTACT_EXPIRY} is supported on "
                    f"{' and '.join(sorted(CHANNELS_WITH_EXPIRY))} contacts only)"
                )
            contact.segment_attributes.update(_copy_json(dict(segment_attributes)))
            if fields.get("Name") is not None:
                contact.name = fields["Name"]
            if fields.get("Description") is not None:
                contact.description = fields["Description"]
            contact.last_update_timestamp = time.time()
