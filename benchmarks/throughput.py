"""Throughput of the contact reconciler at Connect's per-API quotas, and its Connect calls per contact per API.

Every run is the real reconcile, in-process: ``lifecycle.create_or_update`` (and ``lifecycle.delete``) with
CloudFormation-shaped string properties (``local_cloudformation.resource_properties``), ``index.connect_client``
as the Connect client factory (pointed at the local Connect emulator through ``AWS_ENDPOINT_URL_CONNECT``), and
the resource's lease and declaration in a DynamoDB state table served by moto's server mode over HTTP
(``ThreadedMotoServer``; a fresh table per run, ``lambda_runner.create_state_table``).

1. Throughput. For each budget B (``--budgets``, default 5,10,20), each declaration (attributes only; attributes
   and an expiry) and each emulator quota:

   - "default": Connect's default quota, 10 calls/s with a burst of 15, per API. At B = 20 it is below the
     budget: 429s are expected, and they must be absorbed with nothing lost.
   - "2x budget": every API's quota raised to 2 x B (burst 3 x B), so the quota never binds and the ratio
     measures the pacing alone (at B = 5, the default quota already is 2 x B: not run twice).

   A fresh emulator (in a process of its own, as Connect is another machine) with ``--latency`` s (default
   0.05) added to every answer, seeded with EMAIL/TASK contacts without attributes: as many as keep the
   busiest API busy for ``--seconds`` (default 20) at min(0.95 x B, quota). After a Create with the default quota, the same properties again as an Update with
   nothing changed: it must write nothing. One more run, attributes and an expiry at B = 10 with the default
   quota, has DescribeContact answer without ``Attributes`` (``describe_returns_attributes = False``): the
   GetContactAttributes fallback.

   Figures, from the emulator's request log (arrival times): wall s = first to last request; contacts/s =
   (contacts - 1) / wall s; ratio = contacts/s / B (must be >= 0.9 wherever the quota is at least B: the pacer
   runs each API at 0.95 x B, so 0.95 is the ceiling); per API, calls/s = (its calls - 1) / (its first to last
   request) and calls per contact; 429s; the most calls to any one API in any window [t, t + 1 s), 429s
   included (must be <= B, in the runs and the repeats); failed contacts (the result's Data, or the
   ResourceFailed reason); lost contacts (not in the declared state afterwards).

2. Calls per contact per API, for the README's table: 20 contacts, B = 50, no quota, no latency; Create,
   repeat with no change, Delete under DESTROY, Delete under RETAIN; attributes only and with an expiry;
   DescribeContact with and without ``Attributes``.

3. The sequential loop a hand-written Lambda would run (one thread, no pacing, botocore's 'standard' retries:
   GetContactAttributes, UpdateContactAttributes and, with an expiry, UpdateContact per contact) over
   ``--sequential-contacts`` contacts (default 60: its rate does not depend on the count) per declaration.

Run from the repository root: ``.venv/bin/python benchmarks/throughput.py`` (about 6 minutes). Exits 1 if a
must-hold fails.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import logging
import math
import multiprocessing
import os
import re
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda"), str(ROOT / "constructs")]

REGION = "eu-west-2"
from connect_contact_defaults.testing.local_cloudformation.local_aws import use_local_aws  # noqa: E402

use_local_aws(REGION)  # before any client exists; every call goes to local stand-ins
os.environ["STATE_TABLE"] = "unused"  # index needs one at import; each run passes its own StateTable

import boto3  # noqa: E402
import index  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, RequestRecord, SeedContact  # noqa: E402
from connect_contact_defaults.testing.local_cloudformation import resource_properties  # noqa: E402
from connect_contact_defaults.testing.local_cloudformation.lambda_runner import (  # noqa: E402
    STACK_ID,
    create_state_table,
)
from connect_contact_rules import CONTACT_EXPIRY_SEGMENT_ATTRIBUTE, RATE_HEADROOM  # noqa: E402
from contact_reconciler.checkpoint import Checkpoint  # noqa: E402
from contact_reconciler.lifecycle import (  # noqa: E402
    AwsClients,
    Duplicate,
    HandOff,
    InvocationTime,
    LifecycleRequest,
    LifecycleResult,
    ResourceFailed,
    StateTable,
    create_or_update,
    delete,
)
from contact_reconciler.reconcile import worker_count  # noqa: E402

INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
DESIRED = {"greetingPlayed": "false", "tier": "gold"}
EXPIRY_MINUTES = 10080
OPERATIONS = ("DescribeContact", "GetContactAttributes", "UpdateContactAttributes", "UpdateContact")
SHORT = {"DescribeContact": "D", "GetContactAttributes": "G", "UpdateContactAttributes": "UA", "UpdateContact": "UC"}
DEFAULT_QUOTA = (10.0, 15)
"""Connect's default quota per API: calls/s, burst."""
RATIO_TARGET = 0.9
WINDOW_SECONDS = 1.0
MAX_INVOCATIONS = 50
REMAINING_SECONDS = 900.0
"""What one invocation may spend (a 15-minute Lambda)."""
MATRIX_CONTACTS = 20
MATRIX_BUDGET = 50.0


@dataclass(frozen=True)
class Declaration:
    name: str
    expiry_minutes: int | None


ATTRIBUTES_ONLY = Declaration("attributes", None)
WITH_EXPIRY = Declaration("attrs+expiry", EXPIRY_MINUTES)


@dataclass(frozen=True)
class RunSpec:
    budget: float
    declaration: Declaration
    quota: tuple[float, int]
    describe_attributes: bool = True
    repeat: bool = False

    @property
    def quota_label(self) -> str:
        rate, burst = self.quota
        return f"{rate:g}/s b{burst}"

    @property
    def quota_allows(self) -> bool:
        """Whether the emulator's quota is at least the budget (then the ratio must reach the target)."""
        return self.quota[0] >= self.budget

    @property
    def label(self) -> str:
        return self.declaration.name + ("" if self.describe_attributes else ", no D.Attributes")


@dataclass
class Figures:
    """One run's figures, from the emulator's request log."""

    spec: RunSpec
    contacts: int
    wall_s: float
    calls: Counter[str]
    calls_per_s: dict[str, float]
    throttled: int
    max_window: int
    failed: int
    lost: int
    sent_max_window: int
    """The most calls to one API that left this process in any one second (before-send), run and repeat."""
    repeat_writes: int | None = None
    repeat_max_window: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def contacts_per_s(self) -> float:
        return (self.contacts - 1) / self.wall_s if self.wall_s > 0 else math.nan

    @property
    def ratio(self) -> float:
        return self.contacts_per_s / self.spec.budget


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def contact_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def seed_contacts(emulator: ConnectEmulator, ids: Sequence[str]) -> None:
    channels = ("EMAIL", "TASK")
    emulator.add_contacts(
        INSTANCE_ID, [SeedContact(cid, channel=channels[n % 2], attributes={}) for n, cid in enumerate(ids)]
    )


def max_in_window(times: Sequence[float], window: float = WINDOW_SECONDS) -> int:
    """The most requests whose arrival falls in any half-open window [t, t + window)."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, start + window) - i for i, start in enumerate(ordered)), default=0)


def tightest_span(times: Sequence[float], count: int) -> float:
    """The shortest time spanned by `count` consecutive calls (inf if there are fewer)."""
    ordered = sorted(times)
    return min((ordered[i + count - 1] - ordered[i] for i in range(len(ordered) - count + 1)), default=math.inf)


def per_api_max_window(records: Sequence[RequestRecord]) -> tuple[int, str]:
    """The most calls to one API in any one second, and that API."""
    best = (0, "-")
    for operation in OPERATIONS:
        count = max_in_window([r.time for r in records if r.operation == operation])
        best = max(best, (count, operation))
    return best


def lost_contacts(emulator: ConnectEmulator, ids: Sequence[str], declaration: Declaration) -> list[str]:
    """Contacts not in the declared state: the declared attributes (FILL_MISSING on empty contacts) and expiry."""
    lost = []
    for cid in ids:
        attributes = emulator.attributes(INSTANCE_ID, cid)
        attributes_ok = all(attributes.get(key) == value for key, value in DESIRED.items())
        expiry = emulator.expiry_minutes(INSTANCE_ID, cid)
        if not attributes_ok or expiry != declaration.expiry_minutes:
            lost.append(cid)
    return lost


def _no_s3_client() -> Any:
    raise RuntimeError("the benchmark selects contacts inline; no contact file is read from S3")


class RemoteEmulator:
    """A ConnectEmulator in the emulator process, with the methods a throughput run uses (a manager's proxy
    forwards methods only)."""

    def __init__(self, quota: tuple[float, int], latency_s: float, describe_attributes: bool) -> None:
        self._emulator = ConnectEmulator(rate=quota[0], burst=quota[1], latency_s=latency_s).start()
        self._emulator.describe_returns_attributes = describe_attributes

    def endpoint_url(self) -> str:
        return self._emulator.endpoint_url

    def seed(self, ids: list[str]) -> None:
        seed_contacts(self._emulator, ids)

    def requests(self) -> list[RequestRecord]:
        return [record for record in self._emulator.requests if record.instance_id == INSTANCE_ID]

    def clear_requests(self) -> None:
        self._emulator.clear_requests()

    def lost(self, ids: list[str], declaration: Declaration) -> list[str]:
        return lost_contacts(self._emulator, ids, declaration)

    def stop(self) -> None:
        self._emulator.stop()


class EmulatorProcess(BaseManager):
    """A process of its own for the throughput runs' emulators, as Connect is another machine: the emulator's
    threads then share no GIL with the reconciler's workers, whose timing they would otherwise disturb."""


EmulatorProcess.register("RemoteEmulator", RemoteEmulator)


class SendLog:
    """When each Connect request left this process (botocore's before-send event, after signing), per API.

    Compared with the emulator's arrival times, it tells jitter in this harness (the emulator shares the process
    and its GIL, on a loaded machine) from pacing: the pacer releases each API's calls 1 / (0.95 x B) apart.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.times: dict[str, list[float]] = {}

    def _record(self, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.times.setdefault(operation, []).append(time.monotonic())
        # returns None: a before-send handler that returns something replaces the HTTP request

    def client_factory(self, region: str, max_concurrency: int) -> Any:
        """index.connect_client, observed."""
        client = index.connect_client(region, max_concurrency)
        client.meta.events.register("before-send.connect", self._record)
        return client

    def clear(self) -> None:
        with self._lock:
            self.times.clear()

    def max_window(self) -> int:
        with self._lock:
            return max((max_in_window(times) for times in self.times.values()), default=0)

    def tightest_span(self, count: int) -> float:
        with self._lock:
            return min((tightest_span(times, count) for times in self.times.values()), default=math.inf)


class LocalState:
    """moto's server mode on 127.0.0.1: one DynamoDB endpoint, a fresh state table per resource run."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._client = boto3.client(
            "dynamodb", region_name=REGION, endpoint_url=self.endpoint_url, config=Config(retries={"mode": "standard"})
        )

    def fresh_clients(self, sends: SendLog | None = None) -> AwsClients:
        table = StateTable(self._client, create_state_table(self.endpoint_url, REGION))
        return AwsClients(sends.client_factory if sends else index.connect_client, _no_s3_client, table)

    def stop(self) -> None:
        self._moto.stop()


def run_operation(clients: AwsClients, request: LifecycleRequest) -> tuple[LifecycleResult | None, str, int, list[str]]:
    """One CloudFormation operation as the Lambda runs it, its hand-offs continued from their checkpoints as the
    next invocation would: (result, "", invocations, physical IDs) or (None, the ResourceFailed reason, ...)."""
    physical_ids: list[str] = []
    checkpoint: Checkpoint | None = None
    invocations = 0
    while True:
        invocations += 1
        try:
            if request.request_type == "Delete":
                outcome = delete(request, InvocationTime(REMAINING_SECONDS), clients, checkpoint=checkpoint)
            else:
                outcome = create_or_update(
                    request, InvocationTime(REMAINING_SECONDS), clients, physical_ids.append, checkpoint=checkpoint
                )
        except ResourceFailed as error:
            return None, str(error), invocations, physical_ids
        if isinstance(outcome, LifecycleResult):
            return outcome, "", invocations, physical_ids
        if isinstance(outcome, Duplicate):
            return None, "a duplicate delivery (the benchmark sends each request once)", invocations, physical_ids
        assert isinstance(outcome, HandOff)
        checkpoint = outcome.checkpoint
        if invocations >= MAX_INVOCATIONS:
            return None, f"still not finished after {invocations} invocations", invocations, physical_ids


def lifecycle_request(
    request_type: str,
    properties: dict[str, Any],
    logical_id: str,
    *,
    old_properties: dict[str, Any] | None = None,
    physical_id: str | None = None,
) -> LifecycleRequest:
    return LifecycleRequest(
        request_id=str(uuid.uuid4()),
        request_type=request_type,
        properties=properties,
        old_properties=old_properties,
        physical_id=physical_id,
        stack_id=STACK_ID,
        logical_id=logical_id,
        default_region=REGION,
    )


def failed_count(result: LifecycleResult | None, reason: str, contacts: int) -> int:
    if result is not None:
        return int(result.data.get("Failed", "0"))
    match = re.match(r"(\d+) of \d+ contacts failed", reason)
    return int(match.group(1)) if match else contacts  # failed some other way: count every contact


def properties_for(
    ids: list[str], declaration: Declaration, budget: float, removal_policy: str = "RETAIN"
) -> dict[str, Any]:
    return resource_properties(
        INSTANCE_ID,
        ids,
        dict(DESIRED),
        expiry_minutes=declaration.expiry_minutes,
        max_requests_per_second=budget,
        removal_policy=removal_policy,
    )


def throughput_run(
    state: LocalState, emulators: EmulatorProcess, spec: RunSpec, seconds: float, latency: float
) -> Figures:
    quota_rate, quota_burst = spec.quota
    busiest_rate = min(spec.budget * RATE_HEADROOM, quota_rate)
    contacts = math.ceil(busiest_rate * seconds) + 1 + (0 if spec.quota_allows else quota_burst)  # + the burst
    ids = contact_ids(contacts)
    properties = properties_for(ids, spec.declaration, spec.budget)
    logical_id = f"Throughput{uuid.uuid4().hex[:8].upper()}"
    sends = SendLog()
    clients = state.fresh_clients(sends)
    emulator: Any = emulators.RemoteEmulator(spec.quota, latency, spec.describe_attributes)  # type: ignore[attr-defined]
    try:
        emulator.seed(ids)
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = emulator.endpoint_url()
        progress(f"B {spec.budget:g}, {spec.label}, quota {spec.quota_label}: {contacts} contacts ...")
        started = time.monotonic()
        result, reason, invocations, physical_ids = run_operation(
            clients, lifecycle_request("Create", properties, logical_id)
        )
        elapsed = time.monotonic() - started
        records = emulator.requests()
        times = [r.time for r in records]
        wall = max(times) - min(times) if times else 0.0
        calls = Counter(r.operation for r in records)
        calls_per_s = {}
        for operation in calls:
            op_times = [r.time for r in records if r.operation == operation]
            op_span = max(op_times) - min(op_times)
            calls_per_s[operation] = (len(op_times) - 1) / op_span if op_span > 0 else math.nan
        window, window_api = per_api_max_window(records)
        lost = emulator.lost(ids, spec.declaration)
        figures = Figures(
            spec=spec,
            contacts=contacts,
            wall_s=wall,
            calls=calls,
            calls_per_s=calls_per_s,
            throttled=sum(1 for r in records if r.status == 429),
            max_window=window,
            failed=failed_count(result, reason, contacts),
            lost=len(lost),
            sent_max_window=sends.max_window(),
        )
        figures.notes.append(
            f"{elapsed:.1f} s in create_or_update ({invocations} invocation(s), {worker_count(spec.budget)} workers); "
            f"most in 1 s: {window} {window_api}; "
            f"Data {result.data if result else 'none: ResourceFailed ' + repr(reason)}"
        )
        count = math.floor(spec.budget) + 1
        arrived = min(tightest_span([r.time for r in records if r.operation == op], count) for op in OPERATIONS)
        figures.notes.append(
            f"{count} consecutive calls to one API: arrived within {arrived:.3f} s at the least, sent within "
            f"{sends.tightest_span(count):.3f} s (the pacer releases them {(count - 1) / (spec.budget * RATE_HEADROOM):.3f} s apart)"
        )
        if lost:
            figures.notes.append(f"lost (first 5): {lost[:5]}")
        if spec.repeat and physical_ids:
            progress(f"B {spec.budget:g}, {spec.label}: repeat with nothing changed ...")
            emulator.clear_requests()
            sends.clear()
            repeat, repeat_reason, _, _ = run_operation(
                clients,
                lifecycle_request(
                    "Update", properties, logical_id, old_properties=properties, physical_id=physical_ids[-1]
                ),
            )
            repeat_records = emulator.requests()
            figures.repeat_writes = sum(1 for r in repeat_records if r.is_write)
            figures.repeat_max_window, repeat_api = per_api_max_window(repeat_records)
            figures.sent_max_window = max(figures.sent_max_window, sends.max_window())
            repeat_calls = Counter(r.operation for r in repeat_records)
            figures.notes.append(
                f"repeat: {sum(repeat_calls.values())} calls ({dict(sorted(repeat_calls.items()))}), "
                f"most in 1 s: {figures.repeat_max_window} {repeat_api}; "
                f"Data {repeat.data if repeat else 'none: ResourceFailed ' + repr(repeat_reason)}"
            )
            if repeat is None:
                figures.failed += failed_count(None, repeat_reason, contacts)
    finally:
        emulator.stop()
    return figures


MatrixKey = tuple[str, str, bool]
"""(operation, declaration name, DescribeContact carries Attributes)."""


def measured_calls(
    emulator: ConnectEmulator, clients: AwsClients, request: LifecycleRequest
) -> tuple[Counter[str], str]:
    """The Connect calls per API that one operation made, and its physical ID."""
    emulator.clear_requests()
    result, reason, _, physical_ids = run_operation(clients, request)
    if result is None:
        raise RuntimeError(f"{request.request_type} failed: {reason}")
    calls = Counter(r.operation for r in emulator.requests if r.instance_id == INSTANCE_ID)
    return calls, physical_ids[-1] if physical_ids else result.physical_id


def calls_per_contact_matrix(state: LocalState) -> dict[MatrixKey, Counter[str]]:
    """Connect calls per API for MATRIX_CONTACTS contacts without attributes, per operation of a resource."""
    matrix: dict[MatrixKey, Counter[str]] = {}
    for declaration in (ATTRIBUTES_ONLY, WITH_EXPIRY):
        for describe_attributes in (True, False):
            progress(f"calls per contact: {declaration.name}, DescribeContact Attributes {describe_attributes} ...")
            ids = contact_ids(MATRIX_CONTACTS)
            with ConnectEmulator(rate=math.inf) as emulator:
                emulator.describe_returns_attributes = describe_attributes
                seed_contacts(emulator, ids)
                os.environ["AWS_ENDPOINT_URL_CONNECT"] = emulator.endpoint_url

                for policy in ("DESTROY", "RETAIN"):  # Create and repeat recorded once (DESTROY): the same calls
                    clients = state.fresh_clients()
                    logical_id = f"CallsPerContact{policy.title()}"
                    properties = properties_for(ids, declaration, MATRIX_BUDGET, policy)
                    calls, physical_id = measured_calls(
                        emulator, clients, lifecycle_request("Create", properties, logical_id)
                    )
                    if policy == "DESTROY":
                        matrix[("Create", declaration.name, describe_attributes)] = calls
                    update = lifecycle_request(
                        "Update", properties, logical_id, old_properties=properties, physical_id=physical_id
                    )
                    calls, _ = measured_calls(emulator, clients, update)
                    if policy == "DESTROY":
                        matrix[("repeat with no change", declaration.name, describe_attributes)] = calls
                    remove = lifecycle_request("Delete", properties, logical_id, physical_id=physical_id)
                    matrix[(f"Delete, {policy}", declaration.name, describe_attributes)], _ = measured_calls(
                        emulator, clients, remove
                    )
    return matrix


def sequential_run(declaration: Declaration, contacts: int, latency: float) -> tuple[float, int, int]:
    """The hand-written loop: (contacts/s, failed, lost), at Connect's default quota."""
    ids = contact_ids(contacts)
    failures = 0
    expiry = {CONTACT_EXPIRY_SEGMENT_ATTRIBUTE: {"ValueMap": {"ExpiryDuration": {"ValueInteger": EXPIRY_MINUTES}}}}
    with ConnectEmulator(latency_s=latency) as emulator:
        seed_contacts(emulator, ids)
        client: Any = boto3.client(
            "connect",
            region_name=REGION,
            endpoint_url=emulator.endpoint_url,
            config=Config(retries={"mode": "standard"}),
        )
        progress(f"sequential loop, {declaration.name}: {contacts} contacts ...")
        for cid in ids:
            try:
                live = client.get_contact_attributes(InstanceId=INSTANCE_ID, InitialContactId=cid)["Attributes"]
                merged = {key: live.get(key) or value for key, value in DESIRED.items()}  # fill missing
                client.update_contact_attributes(InstanceId=INSTANCE_ID, InitialContactId=cid, Attributes=merged)
                if declaration.expiry_minutes is not None:
                    client.update_contact(InstanceId=INSTANCE_ID, ContactId=cid, SegmentAttributes=expiry)
            except (ClientError, BotoCoreError):
                failures += 1
        times = [r.time for r in emulator.requests]
        lost = lost_contacts(emulator, ids, declaration)
    contacts_per_s = (contacts - 1) / (max(times) - min(times))
    return contacts_per_s, failures, len(lost)


Column = tuple[str, int, Callable[[Figures], str]]


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _per_api(values: dict[str, float], digits: int) -> str:
    return "/".join(_number(values[op], digits) if op in values else "-" for op in OPERATIONS)


def print_table(rows: Sequence[Figures]) -> None:
    columns: list[Column] = [
        ("B", 3, lambda f: f"{f.spec.budget:g}"),
        ("declaration", 29, lambda f: f.spec.label),
        ("quota/API", 10, lambda f: f.spec.quota_label),
        ("contacts", 8, lambda f: str(f.contacts)),
        ("wall s", 6, lambda f: _number(f.wall_s, 1)),
        ("contacts/s", 10, lambda f: _number(f.contacts_per_s)),
        ("ratio", 5, lambda f: _number(f.ratio)),
        ("calls/s D/G/UA/UC", 23, lambda f: _per_api(f.calls_per_s, 2)),
        ("calls/contact D/G/UA/UC", 23, lambda f: _per_api({k: v / f.contacts for k, v in f.calls.items()}, 2)),
        ("429s", 4, lambda f: str(f.throttled)),
        ("max/API/1s (sent)", 17, lambda f: f"{max(f.max_window, f.repeat_max_window or 0)} ({f.sent_max_window})"),
        ("failed", 6, lambda f: str(f.failed)),
        ("lost", 4, lambda f: str(f.lost)),
        ("repeat writes", 13, lambda f: "-" if f.repeat_writes is None else str(f.repeat_writes)),
    ]
    print(
        "  ".join(f"{title:<{width}}" if n < 3 else f"{title:>{width}}" for n, (title, width, _) in enumerate(columns))
    )
    for row in rows:
        cells = (cell(row) for _, _, cell in columns)
        print(
            "  ".join(
                f"{text:<{width}}" if n < 3 else f"{text:>{width}}"
                for n, (text, (_, width, _)) in enumerate(zip(cells, columns, strict=True))
            )
        )


def print_matrix(matrix: dict[MatrixKey, Counter[str]]) -> None:
    print(f"Connect calls per contact, per API ({MATRIX_CONTACTS} contacts without attributes, FILL_MISSING):")
    heads = [(d.name, a) for d in (ATTRIBUTES_ONLY, WITH_EXPIRY) for a in (True, False)]
    print(
        f"{'':<22}" + "".join(f"  {name + (', D.Attributes' if a else ', no D.Attributes'):<29}" for name, a in heads)
    )
    operations = list(dict.fromkeys(key[0] for key in matrix))
    for operation in operations:
        cells = []
        for name, attributes in heads:
            counts = matrix.get((operation, name, attributes))
            if counts is None:
                cells.append("-")
                continue
            text = " ".join(f"{SHORT[op]} {counts[op] / MATRIX_CONTACTS:g}" for op in OPERATIONS if counts[op])
            cells.append(text or "0")
        print(f"{operation:<22}" + "".join(f"  {cell:<29}" for cell in cells))


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def parse_budgets(text: str) -> list[float]:
    budgets = [float(part) for part in text.split(",") if part.strip()]
    if not budgets or any(not 0 < budget < math.inf for budget in budgets):
        raise argparse.ArgumentTypeError(f"budgets are positive numbers separated by commas, not {text!r}")
    return budgets


def run_specs(budgets: Sequence[float]) -> list[RunSpec]:
    specs = []
    for budget in budgets:
        for declaration in (ATTRIBUTES_ONLY, WITH_EXPIRY):
            specs.append(RunSpec(budget, declaration, DEFAULT_QUOTA, repeat=True))
        raised = (2 * budget, math.ceil(3 * budget))
        if raised[0] != DEFAULT_QUOTA[0]:
            specs.extend(RunSpec(budget, declaration, raised) for declaration in (ATTRIBUTES_ONLY, WITH_EXPIRY))
    fallback_budget = 10.0 if 10.0 in budgets else budgets[0]
    specs.append(RunSpec(fallback_budget, WITH_EXPIRY, DEFAULT_QUOTA, describe_attributes=False))
    return specs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=parse_budgets, default=[5.0, 10.0, 20.0], help="requests/s, e.g. 5,10,20")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of the busiest API's work per run (20)")
    parser.add_argument("--latency", type=float, default=0.05, help="emulator latency per call in seconds (0.05)")
    parser.add_argument("--sequential-contacts", type=int, default=60, help="contacts of the sequential loop (60)")
    args = parser.parse_args(argv)
    logging.getLogger("contact_reconciler").setLevel(logging.WARNING)  # no line per contact

    load_before = load()
    state = LocalState()
    emulators = EmulatorProcess(ctx=multiprocessing.get_context("spawn"))  # no fork of a process with threads
    emulators.start(initializer=gc.freeze)  # its imports (this module's, moto's) out of the collector's view
    state.fresh_clients()  # loads moto's DynamoDB backend
    gc.freeze()  # as index does at cold start: the harness's objects (moto) out of the collector's view too
    try:
        rows = [throughput_run(state, emulators, spec, args.seconds, args.latency) for spec in run_specs(args.budgets)]
        matrix = calls_per_contact_matrix(state)
    finally:
        emulators.shutdown()
        state.stop()
    sequential = {
        d.name: sequential_run(d, args.sequential_contacts, args.latency) for d in (ATTRIBUTES_ONLY, WITH_EXPIRY)
    }

    print(
        f"Connect emulator: per-API quotas as shown, {args.latency * 1000:g} ms per call; pacer at "
        f"{RATE_HEADROOM:g} x B per API; state table in moto's server mode; {load_before} before, {load()} after"
    )
    print("D = DescribeContact, G = GetContactAttributes, UA = UpdateContactAttributes, UC = UpdateContact")
    print()
    print_table(rows)
    print()
    for row in rows:
        head = f"B {row.spec.budget:g}, {row.spec.label}, quota {row.spec.quota_label}"
        for n, note in enumerate(row.notes):
            print(f"{head if n == 0 else '':<48}  {note}")
    print()
    print_matrix(matrix)
    print()
    for name, (rate, failures, lost) in sequential.items():
        print(
            f"sequential loop, {name}: {rate:.2f} contacts/s over {args.sequential_contacts} contacts "
            f"(default quota); failed {failures}, lost {lost}"
        )
    print()
    bound = [row for row in rows if row.spec.quota_allows]
    checks = {
        f"ratio >= {RATIO_TARGET:g} wherever the quota is at least B": all(row.ratio >= RATIO_TARGET for row in bound),
        "failed 0": all(row.failed == 0 for row in rows),
        "lost 0": all(row.lost == 0 for row in rows),
        "repeat writes 0": all(row.repeat_writes in (None, 0) for row in rows),
        "no API above B in any 1 s (runs and repeats)": all(
            max(row.max_window, row.repeat_max_window or 0) <= row.spec.budget for row in rows
        ),
    }
    for name, held in checks.items():
        print(f"{name}: {yes_no(held)}")
    sent_within = all(row.sent_max_window <= row.spec.budget for row in rows)
    print(f"(diagnosis: no API above B in any 1 s as the calls left this process: {yes_no(sent_within)})")
    enough = all(row.wall_s >= args.seconds for row in rows)
    print(f"(each run spanned >= {args.seconds:g} s of calls: {yes_no(enough)})")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
