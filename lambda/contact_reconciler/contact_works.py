"""The ordered per-contact work of a Create, Update or Delete: which contacts, what each should hold, and what it held.

The order is fixed (the selection's order, then the contacts that left it, sorted), so a position identifies a
contact across invocations (Checkpoint). A sharded resource stamps only its shard of the selection; for what it
held before, the whole previous selection counts (the resources of one ContactDefaults declared it together), and
a contact that moves to another shard has not left the selection: that shard stamps it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from .contact_plan import ContactWork
from .contact_source import ContactFileUnavailable, S3ClientFactory, iter_selection
from .resource_spec import ResourceSpec

logger = logging.getLogger(__name__)


class Selections:
    """Reads the contact IDs of a spec's selection (inline or from S3), remembering an unavailable old file."""

    def __init__(self, s3_client: S3ClientFactory) -> None:
        self._s3_client = s3_client
        self.old_selection_unavailable = False

    def all_ids(self, spec: ResourceSpec) -> Iterator[str]:
        """Every contact of the selection, each once, in order, whatever the shard."""
        seen: set[str] = set()
        for contact_id in iter_selection(spec, self._s3_client):
            if contact_id not in seen:
                seen.add(contact_id)
                yield contact_id

    def ids(self, spec: ResourceSpec) -> Iterator[str]:
        """The contacts this resource stamps: its shard of the selection."""
        return (contact_id for contact_id in self.all_ids(spec) if spec.selects(contact_id))

    def old_ids(self, spec: ResourceSpec) -> set[str] | None:
        """The whole previous selection as a set, or None when its file cannot be read."""
        try:
            return set(self.all_ids(spec))
        except ContactFileUnavailable as error:
            logger.warning("previous contact file %s cannot be read: contacts only it held are left as they are", error)
            self.old_selection_unavailable = True
            return None


def works_for_create(spec: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    for contact_id in selections.ids(spec):
        yield ContactWork(contact_id, spec.attributes, {}, spec.expiry_minutes)


def works_for_update(old: ResourceSpec, new: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    """This shard of the new selection in its order, then the contacts of the old shard that left the whole
    selection, sorted. If the old file cannot be read, every selected contact is taken to have held the old
    declaration (and no contact is known to have left)."""
    old_ids = selections.old_ids(old)
    new_ids: set[str] = set()
    for contact_id in selections.all_ids(new):
        new_ids.add(contact_id)
        if new.selects(contact_id):
            last_applied = old.attributes if old_ids is None or contact_id in old_ids else {}
            yield ContactWork(contact_id, new.attributes, last_applied, new.expiry_minutes)
    left = (old_ids or set()) - new_ids
    for contact_id in sorted(contact_id for contact_id in left if old.selects(contact_id)):
        yield ContactWork(contact_id, {}, old.attributes, None)


def works_for_delete(spec: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    for contact_id in selections.ids(spec):
        yield ContactWork(contact_id, {}, spec.attributes, None)
