"""ConnectEmulator: the Python API, and the order in which a request is handled.

Per request: route (from the model) -> latency -> the operation's token bucket (429) ->
injected fault (429/500) -> validation (400) -> the operation on the contact store
(404/400/200) -> a record in the request log. Nothing is changed before the last step.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from .contact_events import ContactEventPublisher
from .contact_search import SEARCH_BURST, SEARCH_RATE, PageTokens, search_contacts
from .contact_store import ContactSnapshot, ContactStore, SeedContact, expiry_minutes_of
from .errors import ApiError, access_denied, internal_error, throttled, unknown_operation
from .quotas import DEFAULT_BURST, DEFAULT_RATE, Clock, Fault, FaultInjector, Quotas
from .request_log import RequestLog, RequestRecord, region_from_authorization
from .request_validation import service_model, validate_request
from .server import (
    EmulatorHTTPServer,
    HttpResponse,
    RouteTable,
    error_response,
    json_response,
    parse_input,
    split_target,
)

logger = logging.getLogger(__name__)

UNKNOWN_OPERATION = "UnknownOperation"
_READ_PREFIXES = ("Describe", "Get", "List", "Search")

Operation = Callable[[Mapping[str, Any], str | None], dict[str, Any]]


class ConnectEmulator:
    """A local Amazon Connect endpoint for contacts: ``with ConnectEmulator() as emulator: ...``."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        throttle_share: float = 0.0,
        error_share: float = 0.0,
        latency_s: float = 0.0,
        *,
        seed: int | None = 0,
        port: int = 0,
        clock: Clock = time.monotonic,
    ) -> None:
        """``rate`` and ``burst`` are the quota of each contact operation; SearchContacts has its own,
        Connect's default of 0.5 requests/s with a burst of 1 (``set_quota`` changes either).
        ``clock`` drives the token buckets only (tests may pass a fake one); port 0 = a free port."""
        self._port = port
        self._store = ContactStore()
        self._tokens = PageTokens()
        self._operations: dict[str, Operation] = {
            "DescribeContact": self._describe_contact,
            "GetContactAttributes": self._get_contact_attributes,
            "UpdateContactAttributes": self._update_contact_attributes,
            "UpdateContact": self._update_contact,
            "SearchContacts": self._search_contacts,
            "DescribeInstanceAttribute": self._describe_instance_attribute,
        }
        self._routes = RouteTable(service_model())
        self._quotas = Quotas(self._operations, rate, burst, clock)
        self._quotas.set(SEARCH_RATE, SEARCH_BURST, "SearchContacts")
        self._faults = FaultInjector(throttle_share, error_share, latency_s, seed)
        self._log = RequestLog()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.denied_operations: set[str] = set()
        """Operations answered with 403 AccessDeniedException, as IAM answers a caller without the permission."""
        self.event_publisher: ContactEventPublisher | None = None
        """Where contact events go (``publish_events_to``); None: no events, as before."""
        self.describe_returns_attributes = True
        """Whether DescribeContact answers with the contact's `Attributes` (botocore >= 1.38.7 models it; whether
        Connect fills it is unconfirmed): set False to emulate a Connect that leaves it out."""

    # --- lifecycle ---

    def start(self) -> ConnectEmulator:
        if self._server is None:
            self._server = EmulatorHTTPServer(self._port, self._dispatch)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="connect-emulator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> ConnectEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- state ---

    def add_instance(self, instance_id: str, region: str | None = None) -> None:
        """An instance without contacts. With a Region, requests signed for another Region do not find it
        (ResourceNotFoundException), as Connect answers for an instance in another Region."""
        self._store.add_instance(instance_id, region)

    def add_contact(self, instance_id: str, contact: SeedContact, *, publish: bool = True) -> None:
        self.add_contacts(instance_id, [contact], publish=publish)

    def add_contacts(self, instance_id: str, contacts: Iterable[SeedContact], *, publish: bool = True) -> None:
        """Seeds contacts. With an event publisher (``publish_events_to``) and ``publish``, each new contact's
        INITIATED event (and QUEUED for a queued contact) goes to EventBridge, as Connect publishes them;
        ``publish=False`` seeds a contact whose events were lost."""
        seeds = list(contacts)
        self._store.add_contacts(instance_id, seeds)
        if self.event_publisher is not None and publish:
            events = [
                event
                for seed in seeds
                for event in self.event_publisher.contact_created(self._store.snapshot(instance_id, seed.contact_id))
            ]
            self.event_publisher.put(events)

    def start_task_contact(
        self,
        instance_id: str,
        contact_id: str,
        *,
        queue_id: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> None:
        """A task contact created as StartTaskContact creates one (initiation method API), with its events."""
        self.add_contact(
            instance_id,
            SeedContact(
                contact_id, channel="TASK", initiation_method="API", queue_id=queue_id, attributes=attributes or {}
            ),
        )

    def publish_events_to(
        self, events_client: Any, region: str, account: str = "123456789012"
    ) -> ContactEventPublisher:
        """Publishes contact events as Connect does from now on, with ``events_client`` (a boto3 EventBridge client,
        for example on moto's server mode): INITIATED (and QUEUED) for contacts added, CONTACT_DATA_UPDATED for
        every UpdateContactAttributes and UpdateContact the emulator serves. Returns the publisher."""
        self.event_publisher = ContactEventPublisher(events_client, region, account)
        return self.event_publisher

    def contact(self, instance_id: str, contact_id: str) -> ContactSnapshot:
        """A copy of the contact's state; KeyError if there is none."""
        return self._store.snapshot(instance_id, contact_id)

    def attributes(self, instance_id: str, contact_id: str) -> dict[str, str]:
        return self._store.snapshot(instance_id, contact_id).attributes

    def expiry_minutes(self, instance_id: str, contact_id: str) -> int | None:
        return expiry_minutes_of(self._store.snapshot(instance_id, contact_id).segment_attributes)

    # --- quotas, faults, log ---

    def set_quota(self, rate: float | None = None, burst: int | None = None, operation: str | None = None) -> None:
        """Rate (requests/s, math.inf = unlimited) and burst of one operation, or of all (None); starts full."""
        self._quotas.set(rate, burst, operation)

    def quota(self, operation: str) -> tuple[float, int]:
        return self._quotas.quota(operation)

    def set_faults(
        self,
        throttle_share: float | None = None,
        error_share: float | None = None,
        latency_s: float | None = None,
        seed: int | None = None,
    ) -> None:
        """None keeps a setting."""
        self._faults.set(throttle_share, error_share, latency_s, seed)

    def set_next_token_length(self, length: int | None) -> None:
        """SearchContacts' NextTokens are padded to exactly this many characters (at most 100,000, the model's
        limit), to test clients with the largest pages' tokens; None = short tokens (the default)."""
        self._tokens.set_length(length)

    @property
    def requests(self) -> list[RequestRecord]:
        return self._log.records()

    def clear_requests(self) -> None:
        self._log.clear()

    # --- request handling ---

    def _dispatch(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> HttpResponse:
        arrival = time.monotonic()
        region = region_from_authorization(headers.get("authorization"))
        path, query = split_target(target)
        operation = UNKNOWN_OPERATION
        is_write = method not in ("GET", "HEAD")
        params: dict[str, Any] = {}
        try:
            match = self._routes.match(method, path)
            if match is not None:
                operation = match.route.operation.name
                is_write = not operation.startswith(_READ_PREFIXES)
            if self._faults.latency_s > 0:
                time.sleep(self._faults.latency_s)
            if match is None or operation not in self._operations:
                served = ", ".join(self._operations)
                shown = f"{operation} ({method} {path})" if match is not None else f"{method} {path}"
                raise unknown_operation(f"The Connect emulator does not serve {shown}; it serves {served}")
            params = parse_input(match, query, headers, body)
            if operation in self.denied_operations:
                raise access_denied(f"User is not authorized to perform: connect:{operation}")
            if not self._quotas.try_take(operation):
                raise throttled()
            fault = self._faults.draw()
            if fault is Fault.THROTTLE:
                raise throttled()
            if fault is Fault.ERROR:
                raise internal_error("Injected fault: internal service error")
            validate_request(match.route.operation, params)
            response = json_response(self._operations[operation](params, region))
        except ApiError as error:
            response = error_response(error)
        except Exception:
            logger.exception("connect emulator: %s %s failed", method, path)
            response = error_response(internal_error("The Connect emulator failed; see its log"))
        contact_id = params.get("ContactId", params.get("InitialContactId"))
        instance_id = params.get("InstanceId")
        self._log.append(
            RequestRecord(
                time=arrival,
                operation=operation,
                instance_id=instance_id if isinstance(instance_id, str) else None,
                contact_id=contact_id if isinstance(contact_id, str) else None,
                status=response.status,
                error_code=response.headers.get("x-amzn-ErrorType"),
                region=region,
                is_write=is_write,
                user_agent=headers.get("user-agent", ""),
            )
        )
        return response

    def _describe_contact(self, params: Mapping[str, Any], region: str | None) -> dict[str, Any]:
        described = self._store.describe_contact(params["InstanceId"], params["ContactId"], region)
        if not self.describe_returns_attributes:
            del described["Contact"]["Attributes"]
        return described

    def _get_contact_attributes(self, params: Mapping[str, Any], region: str | None) -> dict[str, Any]:
        return self._store.get_contact_attributes(params["InstanceId"], params["InitialContactId"], region)

    def _update_contact_attributes(self, params: Mapping[str, Any], region: str | None) -> dict[str, Any]:
        self._store.update_contact_attributes(
            params["InstanceId"], params["InitialContactId"], params["Attributes"], region
        )
        self._publish_update(params["InstanceId"], params["InitialContactId"], "UserDefinedAttributes")
        return {}

    def _update_contact(self, params: Mapping[str, Any], region: str | None) -> dict[str, Any]:
        self._store.update_contact(params["InstanceId"], params["ContactId"], params, region)
        if params.get("SegmentAttributes"):
            self._publish_update(params["InstanceId"], params["ContactId"], "Segment Attributes")
        return {}

    def _publish_update(self, instance_id: str, contact_id: str, updated_property: str) -> None:
        """CONTACT_DATA_UPDATED, as Connect publishes it after a write (our own writes included)."""
        publisher = self.event_publisher
        if publisher is not None:
            snapshot = self._store.snapshot(instance_id, contact_id)
            publisher.put([publisher.event(snapshot, "CONTACT_DATA_UPDATED", updated_properties=[updated_property])])

    def _describe_instance_attribute(self, params: Mapping[str, Any], region: str | None) -> dict[str, Any]:
        return self._store.describe_instance_attribute(params["InstanceId"], params["AttributeType"], region)

    def _search_contacts(self, params: Mapping[str, Any], region: str | None) -> dict[str, Any]:
        return search_contacts(self._store, self._tokens, params, region)
