"""What each resource of the stack declares now, so that clearing a value never undoes another resource's.

One item per resource in the stack's state table, pk "declaration", sk the logical ID: its physical ID and its
properties (instance, selection, attributes), written when a Create or Update starts and removed by the Delete
that removes the resource. Before a value is cleared (a key or contact dropped, or a Delete under DESTROY), the
handler asks OtherDeclarations which values the other resources on the same instance declare for that contact:
those are kept. That covers a rename (the new resource is created before the old one is deleted), resources that
overlap, and the shards of one large selection.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from connect_contact_rules import RuleViolation, shard_of

from .contact_source import ContactFileUnavailable, S3ClientFactory, iter_selection, selection_source
from .resource_spec import ResourceSpec, parse_resource_spec

logger = logging.getLogger(__name__)

DECLARATION_PARTITION = "declaration"
NOT_DECLARED = "ServiceToken"
"""Properties not stored: the function's ARN says nothing of the contacts."""


def _key(logical_id: str) -> dict[str, Any]:
    return {"pk": {"S": DECLARATION_PARTITION}, "sk": {"S": logical_id}}


def record_declaration(
    client: Any, table: str, logical_id: str, physical_id: str, properties: Mapping[str, Any]
) -> None:
    """Records what this resource declares from now on (the properties of its newest Create or Update)."""
    stored = {name: value for name, value in properties.items() if name != NOT_DECLARED}
    client.put_item(
        TableName=table,
        Item={
            **_key(logical_id),
            "physicalId": {"S": physical_id},
            "properties": {"S": json.dumps(stored, sort_keys=True, separators=(",", ":"))},
        },
    )


def remove_declaration(client: Any, table: str, logical_id: str, physical_id: str) -> bool:
    """Removes the resource's declaration if it is this physical resource's (not a replacement's); whether it did."""
    try:
        client.delete_item(
            TableName=table,
            Key=_key(logical_id),
            ConditionExpression="physicalId = :physical_id",
            ExpressionAttributeValues={":physical_id": {"S": physical_id}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _declarations(client: Any, table: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": DECLARATION_PARTITION}},
        "ConsistentRead": True,
    }
    while True:
        page = client.query(**request)
        for item in page.get("Items", []):
            yield item["sk"]["S"], json.loads(item["properties"]["S"])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


Selected = frozenset[str] | None
"""Of the contacts this resource asks about, those a declaration selects; None: it may select any contact."""


class OtherDeclarations:
    """The values the stack's other resources on the same instance declare, per contact (read on first use).

    Only the contacts this resource can ask about are kept: those of its shard (and of its previous shard, when
    given), so memory grows with the shard, not with the other files. Each other file is streamed once, however
    many declarations list it. A sibling shard of the same file with the same shard count selects none of them
    (shard_of decides), so its file is not read at all.
    """

    def __init__(
        self,
        client: Any,
        table: str,
        logical_id: str,
        spec: ResourceSpec,
        s3_client: S3ClientFactory,
        *,
        previous: ResourceSpec | None = None,
    ) -> None:
        self._client = client
        self._table = table
        self._logical_id = logical_id
        self._spec = spec
        self._previous = previous
        self._s3_client = s3_client
        self._lock = threading.Lock()
        self._others: list[tuple[ResourceSpec, Selected]] | None = None
        self._warned_outside = False

    def asks_about(self, contact_id: str) -> bool:
        """Whether a contact is one this resource's works can hold: its shard, or its previous shard."""
        previous = self._previous
        return self._spec.selects(contact_id) or (previous is not None and previous.selects(contact_id))

    def kept(self, contact_id: str) -> Mapping[str, frozenset[str]]:
        """Key -> the values other resources declare for this contact (none of them is ever cleared)."""
        others = self._load()
        outside = not self.asks_about(contact_id)
        kept: dict[str, set[str]] = {}
        for other, selected in others:
            if not other.selects(contact_id):
                continue
            if selected is not None and contact_id not in selected:
                if not outside or selection_source(other) == selection_source(self._spec):
                    continue  # a contact outside this resource's file is in no file-sibling's selection
                self._warn_outside(contact_id)
            for key, value in other.attributes.items():
                kept.setdefault(key, set()).add(value)
        return {key: frozenset(values) for key, values in kept.items()}

    def held_ids(self) -> int:
        """How many contact IDs are held for the other declarations (what memory grows with)."""
        return sum(len(selected) for _, selected in self._load() if selected is not None)

    def _warn_outside(self, contact_id: str) -> None:
        if not self._warned_outside:
            self._warned_outside = True
            logger.warning(
                "contact %s is outside this resource's shard and no previous shard was given: the values other "
                "resources with other files declare are kept on it",
                contact_id,
            )

    def _load(self) -> list[tuple[ResourceSpec, Selected]]:
        with self._lock:
            if self._others is None:
                self._others = self._read()
            return self._others

    def _read(self) -> list[tuple[ResourceSpec, Selected]]:
        """(spec, what it selects of the contacts asked about, or None) of each other declaration here."""
        own = self._spec
        found: list[tuple[ResourceSpec, Selected]] = []
        by_source: dict[tuple[object, ...], list[ResourceSpec]] = {}
        for logical_id, properties in _declarations(self._client, self._table):
            if logical_id == self._logical_id:
                continue
            try:
                other = parse_resource_spec(properties, own.region)
            except RuleViolation as error:
                logger.warning("declaration of %s is unreadable (%s): ignored", logical_id, error.field)
                continue
            if (other.instance_id, other.region) != (own.instance_id, own.region) or not other.attributes:
                continue
            if other.search is not None:  # which contacts it holds is known only by running it
                logger.info(
                    "%s (a search) also declares keys %s on this instance", logical_id, sorted(other.attributes)
                )
                found.append((other, None))
                continue
            if self._sibling_selecting_none(other):
                continue
            logger.info("%s also declares keys %s on this instance", logical_id, sorted(other.attributes))
            by_source.setdefault(selection_source(other), []).append(other)
        for group in by_source.values():
            found.extend(zip(group, self._selected(group), strict=True))
        return found

    def _sibling_selecting_none(self, other: ResourceSpec) -> bool:
        """A shard of this resource's own selection with the same count and another index (no read needed): it
        selects none of this shard's contacts, and the others asked about (left the selection) are not in it."""
        own = self._spec
        if other.shard is None or own.shard is None or selection_source(other) != selection_source(own):
            return False
        return other.shard.count == own.shard.count and other.shard.index != own.shard.index

    def _selected(self, group: list[ResourceSpec]) -> list[Selected]:
        """Streams the selection the declarations of a group share once, keeping the asked-about IDs each selects."""
        held: list[set[str]] = [set() for _ in group]
        by_count: dict[int | None, dict[int | None, list[int]]] = {}
        for position, other in enumerate(group):
            count, index = (other.shard.count, other.shard.index) if other.shard else (None, None)
            by_count.setdefault(count, {}).setdefault(index, []).append(position)
        try:
            for contact_id in iter_selection(group[0], self._s3_client):
                if not self.asks_about(contact_id):
                    continue
                for count, positions_by_index in by_count.items():
                    index = None if count is None else shard_of(contact_id, count)
                    for position in positions_by_index.get(index, ()):
                        held[position].add(contact_id)
        except ContactFileUnavailable as error:
            logger.warning("contact file %s cannot be read: the keys of %d declarations are kept", error, len(group))
            return [None for _ in group]
        return [frozenset(ids) for ids in held]
