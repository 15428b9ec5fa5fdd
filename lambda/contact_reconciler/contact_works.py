"""The ordered per-contact work of a Create, Update or Delete: which contacts, what each should hold, and what it held.

The order is fixed (the selection's order, then the contacts that left it, sorted), so a position identifies a
contact across invocations (Checkpoint). A sharded resource stamps only its shard of the selection; for what it
held before, the whole previous selection counts (the resources of one ContactDefaults declared it together), and
a contact that moves to another shard has not left the selection: that shard stamps it.

Memory grows with the shard, not the file: a file is streamed and only the IDs this shard needs are kept (its
shard of the new selection, and of the old one on Update). Each selection is read at most once per Selections
(one invocation), however often the works are asked for (the estimate, then the run).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .contact_plan import ContactWork
from .contact_source import ContactFileUnavailable, S3ClientFactory, iter_selection, selection_source
from .resource_spec import ResourceSpec

logger = logging.getLogger(__name__)


def _unique(contact_ids: Iterable[str]) -> list[str]:
    """Each ID once, in order (a file is checked unique at synth; a hand-written one may repeat a line)."""
    seen: set[str] = set()
    ordered: list[str] = []
    for contact_id in contact_ids:
        if contact_id not in seen:
            seen.add(contact_id)
            ordered.append(contact_id)
    return ordered


@dataclass(frozen=True)
class UpdateSelection:
    """What an Update of one shard needs of the old and the new selection, and nothing more."""

    new_ids: list[str]
    """This shard of the new selection, in its order."""
    held_before: frozenset[str] | None
    """Those of new_ids the whole old selection held; None: all of them (same selection, or old file unreadable)."""
    leaving: list[str]
    """The contacts of the old shard that the whole new selection no longer holds, sorted."""

    def held(self, contact_id: str) -> bool:
        return self.held_before is None or contact_id in self.held_before


class Selections:
    """Reads the contact IDs of a spec's selection (inline or from S3), remembering an unavailable old file."""

    def __init__(self, s3_client: S3ClientFactory) -> None:
        self._s3_client = s3_client
        self.old_selection_unavailable = False
        self._shards: dict[tuple[object, ...], list[str]] = {}
        self._updates: dict[tuple[object, ...], UpdateSelection] = {}

    def ids(self, spec: ResourceSpec) -> list[str]:
        """The contacts this resource stamps: its shard of the selection, each once, in order (read once)."""
        key = (selection_source(spec), spec.shard)
        if key not in self._shards:
            self._shards[key] = _unique(c for c in iter_selection(spec, self._s3_client) if spec.selects(c))
        return self._shards[key]

    def old_ids(self, spec: ResourceSpec) -> set[str] | None:
        """The whole previous selection as a set, or None when its file cannot be read (a search's Update only:
        a search holds at most max_contacts contacts, but this set is the whole old file)."""
        try:
            return set(iter_selection(spec, self._s3_client))
        except ContactFileUnavailable as error:
            self._old_unavailable(error)
            return None

    def update(self, old: ResourceSpec, new: ResourceSpec) -> UpdateSelection:
        """The old and the new selection as one shard's Update needs them: each file streamed once."""
        key = (selection_source(old), old.shard, selection_source(new), new.shard)
        if key not in self._updates:
            self._updates[key] = self._read_update(old, new)
        return self._updates[key]

    def _read_update(self, old: ResourceSpec, new: ResourceSpec) -> UpdateSelection:
        if selection_source(old) == selection_source(new):  # attributes or shard count changed: nobody left
            return UpdateSelection(self.ids(new), None, [])
        try:  # of the old selection, only what this shard needs: its new shard's and its old shard's contacts
            old_kept = {c for c in iter_selection(old, self._s3_client) if new.selects(c) or old.selects(c)}
        except ContactFileUnavailable as error:
            self._old_unavailable(error)
            return UpdateSelection(self.ids(new), None, [])
        leaving = {c for c in old_kept if old.selects(c)}
        new_ids: list[str] = []
        seen: set[str] = set()
        for contact_id in iter_selection(new, self._s3_client):
            leaving.discard(contact_id)
            if new.selects(contact_id) and contact_id not in seen:
                seen.add(contact_id)
                new_ids.append(contact_id)
        self._shards[(selection_source(new), new.shard)] = new_ids
        held = frozenset(seen & old_kept)
        return UpdateSelection(new_ids, held, sorted(leaving))

    def _old_unavailable(self, error: ContactFileUnavailable) -> None:
        logger.warning("previous contact file %s cannot be read: contacts only it held are left as they are", error)
        self.old_selection_unavailable = True


def works_for_create(spec: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    for contact_id in selections.ids(spec):
        yield ContactWork(contact_id, spec.attributes, {}, spec.expiry_minutes)


def works_for_update(old: ResourceSpec, new: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    """This shard of the new selection in its order, then the contacts of the old shard that left the whole
    selection, sorted. If the old file cannot be read, every selected contact is taken to have held the old
    declaration (and no contact is known to have left)."""
    update = selections.update(old, new)
    for contact_id in update.new_ids:
        last_applied = old.attributes if update.held(contact_id) else {}
        yield ContactWork(contact_id, new.attributes, last_applied, new.expiry_minutes)
    for contact_id in update.leaving:
        yield ContactWork(contact_id, {}, old.attributes, None)


def works_for_delete(spec: ResourceSpec, selections: Selections) -> Iterator[ContactWork]:
    for contact_id in selections.ids(spec):
        yield ContactWork(contact_id, {}, spec.attributes, None)
