"""The Amazon Connect calls the reconciler makes, with its retries and its request budget.

botocore's own retries are switched off (total_max_attempts=1) so that every attempt, retries
included, is paced by its API's RequestPacer (ApiPacers: Connect's quotas are per API). Throttling is any HTTP 429 whatever the error code
(UpdateContactAttributes does not model ThrottlingException); 429, 5xx and connection errors are
retried with capped exponential backoff and full jitter while the deadline allows. An endpoint that has
never answered (no HTTP response yet) and keeps refusing connections for UNREACHABLE_AFTER_SECONDS is
not retried further: ConnectUnreachable names it (a wrong AWS_ENDPOINT_URL_CONNECT, a stopped emulator).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from connect_contact_rules import CONTACT_EXPIRY_SEGMENT_ATTRIBUTE, SEARCH_PAGE_SIZE

from .request_pacer import ApiPacers, Deadline, OutOfTime

BACKOFF_BASE_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 5.0
UNREACHABLE_AFTER_SECONDS = 10.0
"""How long connection errors from an endpoint that never answered are retried (wall time or backoff slept)."""
UNREACHABLE_CODE = "EndpointUnreachable"


class ContactNotFound(Exception):
    """Connect answered ResourceNotFoundException for the contact."""


class InstanceNotFound(Exception):
    """An instance-level call (SearchContacts, DescribeInstanceAttribute) answered ResourceNotFoundException:
    no such instance in the Region the client calls."""


PROBE_ATTRIBUTE = "INBOUND_CALLS"
"""The instance attribute the probe reads: every instance has it; its value is not used."""


class ConnectCallFailed(Exception):
    """A call failed for a reason retrying cannot fix. The message holds the operation and error code only."""

    def __init__(self, operation: str, code: str, status: int | None) -> None:
        super().__init__(f"{operation} failed: {code} (HTTP {status})")
        self.operation = operation
        self.code = code


class ConnectUnreachable(ConnectCallFailed):
    """Connection errors only, from an endpoint that never gave an HTTP answer: retrying will not help."""

    def __init__(self, operation: str, endpoint: str, error: Exception) -> None:
        super().__init__(operation, UNREACHABLE_CODE, None)
        self.endpoint = endpoint
        self.error_name = type(error).__name__
        self.args = (f"{operation} failed: {endpoint} cannot be reached ({self.error_name})",)


@dataclass(frozen=True)
class ContactDescription:
    channel: str
    expiry_minutes: int | None
    attributes: dict[str, str] | None
    """The contact's attributes where the response carried an `Attributes` key, else None (unknown: an absent
    key must never be read as "no attributes"; GetContactAttributes then reads them)."""


@dataclass
class CallCounts:
    calls: int = 0
    throttled: int = 0
    server_errors: int = 0


def expiry_segment_attributes(minutes: int) -> dict[str, Any]:
    return {CONTACT_EXPIRY_SEGMENT_ATTRIBUTE: {"ValueMap": {"ExpiryDuration": {"ValueInteger": minutes}}}}


def read_expiry_minutes(segment_attributes: Mapping[str, Any]) -> int | None:
    value = segment_attributes.get(CONTACT_EXPIRY_SEGMENT_ATTRIBUTE) or {}
    duration = (value.get("ValueMap") or {}).get("ExpiryDuration") or {}
    minutes = duration.get("ValueInteger")
    return minutes if isinstance(minutes, int) else None


class ConnectContacts:
    """Reads and writes contacts of one Connect instance through a boto3 `connect` client."""

    def __init__(
        self,
        client: Any,
        instance_id: str,
        pacers: ApiPacers,
        deadline: Deadline,
        *,
        before_call: Callable[[], None] = lambda: None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """before_call runs before every attempt and may raise to stop the caller (a superseded chain)."""
        self._client = client
        self._instance_id = instance_id
        self._pacers = pacers
        self._before_call = before_call
        self._deadline = deadline
        self._sleep = sleep
        self._jitter = jitter
        self._lock = threading.Lock()
        self.counts = CallCounts()
        self._answered = False
        """Some call got an HTTP response: the endpoint exists, connection errors are transient."""
        self._unreachable_since: float | None = None
        self._unreachable_slept = 0.0

    def get_attributes(self, contact_id: str) -> dict[str, str]:
        response = self._call("get_contact_attributes", InstanceId=self._instance_id, InitialContactId=contact_id)
        return dict(response.get("Attributes") or {})

    def describe(self, contact_id: str) -> ContactDescription:
        contact = self._call("describe_contact", InstanceId=self._instance_id, ContactId=contact_id)["Contact"]
        attributes = contact.get("Attributes")
        return ContactDescription(
            channel=contact.get("Channel", ""),
            expiry_minutes=read_expiry_minutes(contact.get("SegmentAttributes") or {}),
            attributes=dict(attributes) if isinstance(attributes, dict) else None,
        )

    def update_attributes(self, contact_id: str, attributes: Mapping[str, str]) -> None:
        self._call(
            "update_contact_attributes",
            InstanceId=self._instance_id,
            InitialContactId=contact_id,
            Attributes=dict(attributes),
        )

    def update_expiry(self, contact_id: str, minutes: int) -> None:
        self._call(
            "update_contact",
            InstanceId=self._instance_id,
            ContactId=contact_id,
            SegmentAttributes=expiry_segment_attributes(minutes),
        )

    def search_contacts(
        self,
        start: datetime,
        end: datetime,
        criteria: Mapping[str, Any],
        *,
        next_token: str | None = None,
        max_results: int = SEARCH_PAGE_SIZE,
    ) -> dict[str, Any]:
        """One page of SearchContacts: contacts initiated in [start, end) matching ``criteria``, oldest first.

        :raises InstanceNotFound: the instance does not exist in this client's Region.
        """
        params: dict[str, Any] = {
            "InstanceId": self._instance_id,
            "TimeRange": {"Type": "INITIATION_TIMESTAMP", "StartTime": start, "EndTime": end},
            "MaxResults": max_results,
            "Sort": {"FieldName": "INITIATION_TIMESTAMP", "Order": "ASCENDING"},
        }
        if criteria:
            params["SearchCriteria"] = dict(criteria)
        if next_token:
            params["NextToken"] = next_token
        try:
            return self._call("search_contacts", **params)
        except ContactNotFound:
            raise InstanceNotFound(self._instance_id) from None

    def probe_instance(self) -> None:
        """One DescribeInstanceAttribute call that tells a missing instance (or one in another Region) from
        missing contacts before anything is written: contact calls answer ResourceNotFoundException for both.

        :raises InstanceNotFound: Connect answered ResourceNotFoundException.
        """
        try:
            self._call("describe_instance_attribute", InstanceId=self._instance_id, AttributeType=PROBE_ATTRIBUTE)
        except ContactNotFound:
            raise InstanceNotFound(self._instance_id) from None

    def _count(self, field: str) -> None:
        with self._lock:
            setattr(self.counts, field, getattr(self.counts, field) + 1)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        attempt = 0
        pacer = self._pacers.for_operation(operation)
        while True:
            self._before_call()
            pacer.acquire(self._deadline)
            self._count("calls")
            try:
                response = getattr(self._client, operation)(**params)
                self._answered = True
                return response
            except ClientError as error:
                self._answered = True
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                code = error.response.get("Error", {}).get("Code", "Unknown")
                if code == "ResourceNotFoundException":
                    raise ContactNotFound() from None
                if status == 429:
                    self._count("throttled")
                elif status is not None and status >= 500:
                    self._count("server_errors")
                else:
                    raise ConnectCallFailed(operation, code, status) from None
            except ConnectionError as error:  # the request did not reach Connect: retry as for a 5xx
                if self._never_reachable():
                    raise ConnectUnreachable(operation, self.endpoint, error) from None
            except HTTPClientError:
                pass  # the request may have reached Connect: retry as for a 5xx
            delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt) * self._jitter()
            if delay >= self._deadline.remaining():
                raise OutOfTime(f"{operation} kept failing until the deadline")
            self._sleep(delay)
            if not self._answered:
                with self._lock:
                    self._unreachable_slept += delay
            attempt += 1

    def _never_reachable(self) -> bool:
        """Whether connection errors alone have come, for UNREACHABLE_AFTER_SECONDS, from an endpoint that has
        never answered (the first such error starts the clock)."""
        if self._answered:
            return False
        with self._lock:
            now = time.monotonic()
            if self._unreachable_since is None:
                self._unreachable_since = now
            waited = max(now - self._unreachable_since, self._unreachable_slept)
        return waited >= UNREACHABLE_AFTER_SECONDS

    @property
    def endpoint(self) -> str:
        """The URL the client calls."""
        meta = getattr(self._client, "meta", None)
        return str(getattr(meta, "endpoint_url", None) or "the Connect endpoint")
