"""The handler's read-and-plan step for one contact (contact_reconciler.reconcile.plan_contact), with a Connect
client that cannot write.

The plan calls the very function the handler calls before it writes, through the handler's own Connect
client (ConnectContacts: per-API pacing, retries, 429 handling), and counts its result as the handler's
reconcile_contact does (updated, unchanged, missing, failed, expiry skipped). Only the write step
(apply_change) is left out, and the client refuses it anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connect_contact_rules import AttributeMode, ValueRemovalPolicy
from contact_reconciler.connect_contacts import ConnectContacts, ContactDescription
from contact_reconciler.contact_plan import ContactWork, ExpiryAction
from contact_reconciler.reconcile import ContactChange, ContactResult, planned_result
from contact_reconciler.request_pacer import ApiPacers, Deadline

READ_OPERATIONS = frozenset({"describe_contact", "get_contact_attributes", "search_contacts"})
"""The only Connect operations the plan may call."""


class WriteRefused(RuntimeError):
    """Something asked the plan's Connect client for an operation that is not a read."""


class ReadOnlyConnectClient:
    """A boto3 ``connect`` client that hands out its read operations only; anything else raises WriteRefused."""

    def __init__(self, client: Any) -> None:
        self._client = client

    @property
    def meta(self) -> Any:
        return self._client.meta

    def __getattr__(self, name: str) -> Any:
        if name in READ_OPERATIONS:
            return getattr(self._client, name)
        raise WriteRefused(f"the plan makes read calls only ({', '.join(sorted(READ_OPERATIONS))}), not {name}")


def read_only_contacts(
    client: Any, instance_id: str, rate: float, seconds: float, rates: dict[str, float] | None = None
) -> ConnectContacts:
    """The handler's Connect client (each API paced at `rate`, or lower where `rates` says so, retries until
    `seconds` have passed), reads only."""
    return ConnectContacts(ReadOnlyConnectClient(client), instance_id, ApiPacers(rate, rates), Deadline(seconds))


class LiveValues:
    """The reads of a ConnectContacts, passed through, with the attributes each contact held kept (--show-values)."""

    def __init__(self, connect: ConnectContacts) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._attributes: dict[str, dict[str, str]] = {}

    def describe(self, contact_id: str) -> ContactDescription:
        description = self._connect.describe(contact_id)
        if description.attributes is not None:
            self._keep(contact_id, description.attributes)
        return description

    def get_attributes(self, contact_id: str) -> dict[str, str]:
        attributes = self._connect.get_attributes(contact_id)
        self._keep(contact_id, attributes)
        return attributes

    def _keep(self, contact_id: str, attributes: Mapping[str, str]) -> None:
        with self._lock:
            self._attributes[contact_id] = dict(attributes)

    def of(self, contact_id: str) -> dict[str, str]:
        with self._lock:
            return self._attributes.get(contact_id, {})


@dataclass(frozen=True)
class PlannedContact:
    result: ContactResult
    """As the handler counts it: UPDATED (it would write), UNCHANGED, MISSING, FAILED (with the reason), or
    INTERRUPTED (the reads did not finish in time)."""
    change: ContactChange | None = None
    """What it would write; None when the contact could not be read."""
    live: Mapping[str, str] = field(default_factory=dict)
    """The attributes the contact holds now (kept only with --show-values)."""

    @property
    def attributes(self) -> Mapping[str, str]:
        return self.change.attributes if self.change is not None and self.change.writes else {}

    @property
    def sets_expiry(self) -> bool:
        return self.change is not None and self.change.writes and self.change.expiry is ExpiryAction.SET


def planned_contact(
    work: ContactWork,
    connect: ConnectContacts,
    mode: AttributeMode,
    removal_policy: ValueRemovalPolicy,
    live_values: LiveValues | None = None,
) -> PlannedContact:
    """What reconcile_contact would do to one contact: the handler's planned_result, counted as it counts it."""
    reads: Any = live_values if live_values is not None else connect
    result, change = planned_result(work, reads, mode, removal_policy)
    live = live_values.of(work.contact_id) if live_values is not None and change is not None else {}
    return PlannedContact(result, change, live)
