"""The pure reconcile rules: desired + last applied + live state of one contact -> the writes to make.

No I/O here. Absent and empty ("") attribute values are treated alike everywhere, because
Connect has no delete: clearing a key means setting it to "".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum

from connect_contact_rules import (
    CHANNELS_WITH_EXPIRY,
    CONTACT_ATTRIBUTES_MAX_BYTES,
    AttributeMode,
    ValueRemovalPolicy,
    attributes_size_bytes,
)


def plan_attribute_changes(
    desired: Mapping[str, str],
    last_applied: Mapping[str, str],
    live: Mapping[str, str],
    mode: AttributeMode,
    removal_policy: ValueRemovalPolicy,
    *,
    kept: Mapping[str, Collection[str]] | None = None,
) -> dict[str, str]:
    """Returns the attributes to write (key -> new value; "" clears) so the contact matches the declaration.

    - OVERWRITE sets every declared key whose live value differs.
    - FILL_MISSING sets a declared key only where it is absent or empty, or still holds the value this
      resource set before (live == last applied != desired): a value somebody else wrote is never overwritten.
    - A key that was applied before and is no longer declared (all of them on Delete) is cleared under
      DESTROY where the contact still holds the value set before; under RETAIN it is left alone. A value that
      another resource declares for this contact (kept: key -> values) is never cleared.
    """
    kept = kept or {}
    changes: dict[str, str] = {}
    for key, value in desired.items():
        current = live.get(key, "")
        if current == value:
            continue
        if mode is AttributeMode.OVERWRITE or current == "" or current == last_applied.get(key):
            changes[key] = value
    if removal_policy is ValueRemovalPolicy.DESTROY:
        for key, value in last_applied.items():
            if key not in desired and value != "" and live.get(key, "") == value and value not in kept.get(key, ()):
                changes[key] = ""
    return changes


def needs_live_attributes(
    desired: Mapping[str, str], last_applied: Mapping[str, str], removal_policy: ValueRemovalPolicy
) -> bool:
    """Whether planning can produce any attribute write at all (if not, don't read the contact's attributes)."""
    if desired:
        return True
    return removal_policy is ValueRemovalPolicy.DESTROY and any(value != "" for value in last_applied.values())


def needs_calls(work: ContactWork, removal_policy: ValueRemovalPolicy) -> bool:
    """Whether reconciling the contact can make any Connect call (attributes to plan, or an expiry): the
    contacts an operation counts, estimates and reconciles."""
    return needs_live_attributes(work.desired, work.last_applied, removal_policy) or work.expiry_minutes is not None


def size_after(live: Mapping[str, str], changes: Mapping[str, str]) -> int:
    """UTF-8 bytes the contact's attributes would take once the changes are written."""
    return attributes_size_bytes({**live, **changes})


def exceeds_contact_limit(live: Mapping[str, str], changes: Mapping[str, str]) -> bool:
    return bool(changes) and size_after(live, changes) > CONTACT_ATTRIBUTES_MAX_BYTES


class ExpiryAction(Enum):
    KEEP = "KEEP"
    """Nothing declared, or the contact already has the declared expiry."""
    SET = "SET"
    SKIP_CHANNEL = "SKIP_CHANNEL"
    """The contact's channel has no contact expiry (voice, chat): skipped and counted, not failed."""


def plan_expiry(desired_minutes: int | None, channel: str, current_minutes: int | None) -> ExpiryAction:
    if desired_minutes is None:
        return ExpiryAction.KEEP
    if channel not in CHANNELS_WITH_EXPIRY:
        return ExpiryAction.SKIP_CHANNEL
    if current_minutes == desired_minutes:
        return ExpiryAction.KEEP
    return ExpiryAction.SET


@dataclass(frozen=True)
class ListedFacts:
    """What a listing (a SearchContacts summary) already tells about a contact."""

    channel: str
    expiry_minutes: int | None
    """The connect:ContactExpiry minutes the summary's segment attributes hold, if they hold it."""


@dataclass(frozen=True)
class ContactWork:
    """What one contact should end up as: the inputs of plan_attribute_changes and plan_expiry."""

    contact_id: str
    desired: Mapping[str, str]
    last_applied: Mapping[str, str]
    expiry_minutes: int | None
    """None: no expiry declared for this contact (or it left the selection)."""
    listed: ListedFacts | None = None
    """Set when the contact came from a search: its channel, and its expiry where the summary holds one."""

    def known_channel_and_expiry(self) -> tuple[str, int | None] | None:
        """(channel, current expiry minutes) when the listing already tells both, so DescribeContact can be
        skipped: a channel without contact expiry needs no expiry, and a summary holding the expiry gives it."""
        listed = self.listed
        if listed is None:
            return None
        if listed.channel not in CHANNELS_WITH_EXPIRY or listed.expiry_minutes is not None:
            return listed.channel, listed.expiry_minutes
        return None

    @property
    def is_declared(self) -> bool:
        """False for a contact that left the selection (or every contact on Delete)."""
        return bool(self.desired) or self.expiry_minutes is not None
