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

from connect_contact_rules import RuleViolation

from .contact_source import ContactFileUnavailable, S3ClientFactory, iter_selection
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


class OtherDeclarations:
    """The values the stack's other resources on the same instance declare, per contact (read on first use)."""

    def __init__(
        self, client: Any, table: str, logical_id: str, spec: ResourceSpec, s3_client: S3ClientFactory
    ) -> None:
        self._client = client
        self._table = table
        self._logical_id = logical_id
        self._spec = spec
        self._s3_client = s3_client
        self._lock = threading.Lock()
        self._others: list[tuple[ResourceSpec, frozenset[str] | None]] | None = None

    def kept(self, contact_id: str) -> Mapping[str, frozenset[str]]:
        """Key -> the values other resources declare for this contact (none of them is ever cleared)."""
        kept: dict[str, set[str]] = {}
        for other, selected in self._load():
            if (selected is None or contact_id in selected) and other.selects(contact_id):
                for key, value in other.attributes.items():
                    kept.setdefault(key, set()).add(value)
        return {key: frozenset(values) for key, values in kept.items()}

    def _load(self) -> list[tuple[ResourceSpec, frozenset[str] | None]]:
        with self._lock:
            if self._others is None:
                self._others = list(self._read())
            return self._others

    def _read(self) -> Iterator[tuple[ResourceSpec, frozenset[str] | None]]:
        """(spec, its selection as a set, or None: it may select any contact) of each other declaration here."""
        own = self._spec
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
                yield other, None
                continue
            try:
                selected: frozenset[str] | None = frozenset(iter_selection(other, self._s3_client))
            except ContactFileUnavailable as error:
                logger.warning(
                    "contact file of %s cannot be read (%s): its keys are kept on every contact", logical_id, error
                )
                selected = None
            logger.info("%s also declares keys %s on this instance", logical_id, sorted(other.attributes))
            yield other, selected
