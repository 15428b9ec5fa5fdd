"""SearchContacts: the time range, the filters the emulator serves, the sort, and opaque page tokens.

What Connect documents (botocore's model): TimeRange {Type, StartTime, EndTime} is required; MaxResults is
1-100; NextToken is 1-100,000 characters; the answer holds Contacts, NextToken and TotalCount (all matches,
not the page). What Connect does not document, and the emulator decides (say so where it matters):

- a contact matches when StartTime <= its timestamp < EndTime;
- without a Sort the newest contacts come first; contacts with the same sort value keep the order they
  were seeded in (so they are *not* in contact ID order);
- a StartTime that is not before EndTime is an InvalidParameterException, and so is a NextToken the
  emulator did not issue for the same query.

Only TimeRange.Type INITIATION_TIMESTAMP and the criteria Channels, QueueIds and InitiationMethods are
served; any other is refused with InvalidRequestException rather than ignored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .contact_store import ContactStore
from .errors import invalid_parameter, invalid_request

SEARCH_RATE = 0.5
"""Requests per second refilled into SearchContacts' bucket (Connect's default quota for it)."""
SEARCH_BURST = 1
DEFAULT_PAGE_SIZE = 100
NEXT_TOKEN_MAX_LENGTH = 100_000
"""LargeNextToken in the model."""
SERVED_TIME_RANGE_TYPES = ("INITIATION_TIMESTAMP",)
SERVED_CRITERIA = ("Channels", "QueueIds", "InitiationMethods")
SORT_FIELDS = {
    "INITIATION_TIMESTAMP": "InitiationTimestamp",
    "CHANNEL": "Channel",
    "INITIATION_METHOD": "InitiationMethod",
}


def _epoch_seconds(value: object, name: str) -> float:
    """A rest-json timestamp (epoch seconds, as botocore sends it, or an ISO 8601 string) as epoch seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise invalid_parameter(f"TimeRange.{name} is not a timestamp")


class PageTokens:
    """Issues and reads NextTokens: the position in the result list, bound to one query, padded to a length."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._length: int | None = None

    def set_length(self, length: int | None) -> None:
        """Every token is padded to exactly ``length`` characters (None = as short as it comes)."""
        if length is not None and not 64 <= length <= NEXT_TOKEN_MAX_LENGTH:
            raise ValueError(f"a NextToken length is 64 to {NEXT_TOKEN_MAX_LENGTH} characters, not {length}")
        with self._lock:
            self._length = length

    def issue(self, query: str, offset: int) -> str:
        token = base64.urlsafe_b64encode(json.dumps({"q": query, "o": offset}).encode()).decode().rstrip("=")
        with self._lock:
            length = self._length
        return token + "." + "x" * (length - len(token) - 1) if length is not None else token

    def read(self, token: str, query: str) -> int:
        """The offset a token stands for; InvalidParameterException if it was not issued for this query."""
        encoded = token.split(".", 1)[0]
        try:
            content = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
            offset = content["o"]
            issued_for = content["q"]
        except (ValueError, KeyError, TypeError):
            raise invalid_parameter("The NextToken is not valid") from None
        if issued_for != query or not isinstance(offset, int) or offset < 0:
            raise invalid_parameter("The NextToken is not valid for this request")
        return offset


def query_digest(params: Mapping[str, Any]) -> str:
    """What a NextToken is bound to: the request less MaxResults and NextToken."""
    query = {key: value for key, value in params.items() if key not in ("MaxResults", "NextToken")}
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _filter(criteria: Mapping[str, Any], name: str) -> frozenset[str] | None:
    values = criteria.get(name)
    return None if values is None else frozenset(values)


def search_contacts(
    store: ContactStore, tokens: PageTokens, params: Mapping[str, Any], region: str | None
) -> dict[str, Any]:
    """Answers a SearchContacts request that passed the model's validation."""
    criteria = params.get("SearchCriteria") or {}
    refused = [name for name, value in criteria.items() if name not in SERVED_CRITERIA and value is not None]
    if refused:
        raise invalid_request(
            f"The Connect emulator does not implement SearchCriteria {', '.join(sorted(refused))}; "
            f"it filters by {', '.join(SERVED_CRITERIA)}"
        )
    time_range = params["TimeRange"]
    if time_range["Type"] not in SERVED_TIME_RANGE_TYPES:
        raise invalid_request(f"The Connect emulator does not implement TimeRange.Type {time_range['Type']}")
    start = _epoch_seconds(time_range["StartTime"], "StartTime")
    end = _epoch_seconds(time_range["EndTime"], "EndTime")
    if start >= end:
        raise invalid_parameter("TimeRange.StartTime must be earlier than TimeRange.EndTime")
    sort = params.get("Sort") or {"FieldName": "INITIATION_TIMESTAMP", "Order": "DESCENDING"}
    if sort["FieldName"] not in SORT_FIELDS:
        raise invalid_request(
            f"The Connect emulator does not implement sorting by {sort['FieldName']}; "
            f"it sorts by {', '.join(SORT_FIELDS)}"
        )
    query = query_digest(params)
    offset = tokens.read(params["NextToken"], query) if params.get("NextToken") else 0

    contacts = store.search_contacts(
        params["InstanceId"],
        region,
        start,
        end,
        channels=_filter(criteria, "Channels"),
        queue_ids=_filter(criteria, "QueueIds"),
        initiation_methods=_filter(criteria, "InitiationMethods"),
    )
    field = SORT_FIELDS[sort["FieldName"]]
    contacts.sort(key=lambda contact: contact[field], reverse=sort["Order"] == "DESCENDING")  # stable
    size = params.get("MaxResults") or DEFAULT_PAGE_SIZE
    answer: dict[str, Any] = {"Contacts": contacts[offset : offset + size], "TotalCount": len(contacts)}
    if offset + size < len(contacts):
        answer["NextToken"] = tokens.issue(query, offset + size)
    return answer
