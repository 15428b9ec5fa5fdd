"""Throughput of a search selection (ContactSelection.search) next to the same contacts as an ID list.

For each budget B (``--budgets``, default 5,10,20), two Creates against a fresh emulator each, with
Connect's default quotas (10/s burst 15 per contact API; SearchContacts 0.5/s burst 1) and ``--latency``
seconds (default 0.05) added to every answer, seeded with ``--contacts`` (default 2,000) EMAIL/TASK
contacts in one day's window plus a quarter as many VOICE contacts the search leaves out:

- search: ``ContactSearch`` for that day, channels EMAIL and TASK (the handler lists the contacts with
  SearchContacts, pages of 100 at its own quota, while it reconciles them);
- ids: the same contacts as ``ContactIds``.

Both declare attributes only (GetContactAttributes and UpdateContactAttributes per contact). The
reconciler runs in-process as the Lambda runs it (``lifecycle.create_or_update`` with the Lambda's Connect
client factory, a fresh state table in moto's DynamoDB server per run, hand-offs continued from their
checkpoints, 900 s per invocation). Figures come from the emulator's request log: contacts/s
= contacts / (first to last request), calls per contact (SearchContacts included), the SearchContacts
calls, 429s, the most calls one API received in any second, failed and lost contacts. Nothing is
hard-coded: the figures move with the pacing (per API or shared) of the code under test.

Run from the repository root: ``.venv/bin/python benchmarks/search_throughput.py``. Exits 1 if a
contact failed or was lost, or an API received more than B calls (SearchContacts more than one) in a
second.
"""

from __future__ import annotations

import argparse
import bisect
import logging
import math
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda"), str(ROOT / "constructs")]

REGION = "eu-west-2"
from connect_contact_defaults.testing.local_cloudformation.local_aws import use_local_aws  # noqa: E402

use_local_aws(REGION)  # before any client exists; every call goes to local stand-ins

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact  # noqa: E402
from connect_contact_defaults.testing.local_cloudformation import (  # noqa: E402
    create_state_table,
    resource_properties,
    string_properties,
)
from connect_contact_defaults.testing.local_cloudformation.lambda_runner import STACK_ID  # noqa: E402
from connect_contact_rules import SearchProp, format_timestamp  # noqa: E402
from contact_reconciler.checkpoint import Checkpoint  # noqa: E402
from contact_reconciler.lifecycle import (  # noqa: E402
    AwsClients,
    HandOff,
    InvocationTime,
    LifecycleRequest,
    LifecycleResult,
    ResourceFailed,
    StateTable,
    create_or_update,
)

INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
DESIRED = {"greetingPlayed": "false", "tier": "gold"}
DAY = datetime(2026, 10, 1, tzinfo=UTC)
INVOCATION_SECONDS = 900.0
MAX_INVOCATIONS = 50


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most requests whose arrival falls in any half-open window [t, t + window)."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, start + window) - i for i, start in enumerate(ordered)), default=0)


def connect_client(region: str, max_concurrency: int) -> Any:
    """The Lambda's own client factory (index.connect_client), imported once the state table exists."""
    import index  # noqa: PLC0415 (its import reads STATE_TABLE)

    return index.connect_client(region, max_concurrency)


def _no_s3_client() -> Any:
    raise RuntimeError("the benchmark selects contacts by search or inline; no contact file is read from S3")


def run_create(request: LifecycleRequest, state: StateTable) -> tuple[LifecycleResult | None, str, int]:
    """create_or_update as the Lambda calls it, each HandOff continued from its checkpoint as the next
    invocation would: (result, "", invocations) or (None, why it failed, invocations)."""
    clients = AwsClients(connect_client, _no_s3_client, state)
    checkpoint: Checkpoint | None = None
    for invocation in range(1, MAX_INVOCATIONS + 1):
        try:
            outcome = create_or_update(
                request, InvocationTime(INVOCATION_SECONDS), clients, lambda _: None, checkpoint=checkpoint
            )
        except ResourceFailed as error:
            return None, str(error), invocation
        if isinstance(outcome, LifecycleResult):
            return outcome, "", invocation
        if not isinstance(outcome, HandOff):
            return None, f"unexpected {type(outcome).__name__}", invocation
        checkpoint = outcome.checkpoint
    return None, f"still not finished after {MAX_INVOCATIONS} invocations", MAX_INVOCATIONS


@dataclass
class Run:
    label: str
    budget: float
    contacts: int
    span_s: float
    calls: Counter[str]
    throttled: int
    busiest_api: tuple[str, int]
    search_per_2s: int
    failed: int
    lost: int
    invocations: int
    elapsed_s: float

    @property
    def contacts_per_s(self) -> float:
        return self.contacts / self.span_s if self.span_s > 0 else math.nan

    @property
    def calls_per_contact(self) -> float:
        return sum(self.calls.values()) / self.contacts


def seed(emulator: ConnectEmulator, contacts: int) -> list[str]:
    selected = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(contacts)]
    step = 86_000 / contacts
    seeds = [
        SeedContact(cid, channel=("EMAIL", "TASK")[n % 2], initiation_timestamp=DAY.timestamp() + n * step)
        for n, cid in enumerate(selected)
    ]
    seeds += [
        SeedContact(f"voice-{n:06d}", channel="VOICE", initiation_timestamp=DAY.timestamp() + n * 4 * step)
        for n in range(contacts // 4)
    ]
    emulator.add_contacts(INSTANCE_ID, seeds)
    return selected


def properties(kind: str, ids: Sequence[str], budget: float) -> dict:
    properties = resource_properties(INSTANCE_ID, list(ids), dict(DESIRED), max_requests_per_second=budget)
    if kind == "search":
        del properties["ContactIds"]
        properties["ContactSearch"] = string_properties(
            {
                SearchProp.INITIATED_AFTER: format_timestamp(DAY),
                SearchProp.INITIATED_BEFORE: format_timestamp(DAY + timedelta(days=1)),
                SearchProp.CHANNELS: ["EMAIL", "TASK"],
                SearchProp.MAX_CONTACTS: 10_000,
            }
        )
    return properties


def measure(kind: str, budget: float, contacts: int, latency: float, dynamodb_endpoint: str) -> Run:
    state = StateTable(
        boto3.client("dynamodb", endpoint_url=dynamodb_endpoint), create_state_table(dynamodb_endpoint, REGION)
    )
    with ConnectEmulator(latency_s=latency) as emulator:
        ids = seed(emulator, contacts)
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = emulator.endpoint_url
        request = LifecycleRequest(
            request_id=str(uuid.uuid4()),
            request_type="Create",
            properties=properties(kind, ids, budget),
            old_properties=None,
            physical_id=None,
            stack_id=STACK_ID,
            logical_id=f"SearchBenchmark{kind}",
            default_region=REGION,
        )
        progress(f"budget {budget:g}, {kind}: {contacts} contacts ...")
        started = time.monotonic()
        result, reason, invocations = run_create(request, state)
        elapsed = time.monotonic() - started
        records = emulator.requests
        times = [r.time for r in records]
        by_api: dict[str, list[float]] = {}
        for record in records:
            by_api.setdefault(record.operation, []).append(record.time)
        busiest = max(((api, max_in_window(ts)) for api, ts in by_api.items()), key=lambda item: item[1])
        lost = sum(
            1
            for cid in ids
            if any(emulator.attributes(INSTANCE_ID, cid).get(key) != value for key, value in DESIRED.items())
        )
        failed = int(result.data["Failed"]) if result is not None else contacts
        if result is None:
            progress(f"  ResourceFailed: {reason}")
        return Run(
            label=kind,
            budget=budget,
            contacts=contacts,
            span_s=max(times) - min(times),
            calls=Counter(r.operation for r in records),
            throttled=sum(r.status == 429 for r in records),
            busiest_api=busiest,
            search_per_2s=max_in_window(by_api.get("SearchContacts", []), 2.0),
            failed=failed,
            lost=lost,
            invocations=invocations,
            elapsed_s=elapsed,
        )


def print_table(runs: Sequence[Run]) -> None:
    header = (
        f"{'budget':>6}  {'selection':<9}  {'contacts':>8}  {'wall s':>7}  {'contacts/s':>10}  {'calls/contact':>13}  "
        f"{'SearchContacts':>14}  {'429s':>5}  {'busiest API in 1 s':>24}  {'failed':>6}  {'lost':>4}  {'invocations':>11}"
    )
    print(header)
    for run in runs:
        api, most = run.busiest_api
        print(
            f"{run.budget:>6g}  {run.label:<9}  {run.contacts:>8}  {run.span_s:>7.1f}  {run.contacts_per_s:>10.2f}  "
            f"{run.calls_per_contact:>13.3f}  {run.calls['SearchContacts']:>14}  {run.throttled:>5}  "
            f"{f'{api} {most}':>24}  {run.failed:>6}  {run.lost:>4}  {run.invocations:>11}"
        )


def parse_budgets(text: str) -> list[float]:
    budgets = [float(part) for part in text.split(",") if part.strip()]
    if not budgets or any(not budget > 0 for budget in budgets):
        raise argparse.ArgumentTypeError(f"budgets are positive numbers separated by commas, not {text!r}")
    return budgets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=parse_budgets, default=[5.0, 10.0, 20.0], help="requests/s, e.g. 5,10,20")
    parser.add_argument("--contacts", type=int, default=2_000, help="selected contacts per run (default 2000)")
    parser.add_argument("--latency", type=float, default=0.05, help="emulator latency per call in seconds (0.05)")
    args = parser.parse_args(argv)
    logging.getLogger("contact_reconciler").setLevel(logging.WARNING)  # no line per contact
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server: no line per request

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # the stack's state table
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        os.environ["STATE_TABLE"] = create_state_table(endpoint, REGION)  # what index reads at import
        runs = [
            measure(kind, budget, args.contacts, args.latency, endpoint)
            for budget in args.budgets
            for kind in ("search", "ids")
        ]
    finally:
        moto.stop()
    print(
        f"Connect emulator: default quotas (10/s burst 15 per contact API, SearchContacts 0.5/s burst 1), "
        f"latency {args.latency * 1000:g} ms per call; {args.contacts} selected contacts (+{args.contacts // 4} VOICE "
        "the search leaves out); attributes only"
    )
    print()
    print_table(runs)
    print()
    for budget in args.budgets:
        search, ids = (next(r for r in runs if r.budget == budget and r.label == kind) for kind in ("search", "ids"))
        print(
            f"budget {budget:g}: search {search.contacts_per_s / ids.contacts_per_s:.2f}x the ID list's contacts/s; "
            f"calls {dict(sorted(search.calls.items()))} vs {dict(sorted(ids.calls.items()))}"
        )
    checks = {
        "failed 0": all(run.failed == 0 for run in runs),
        "lost 0": all(run.lost == 0 for run in runs),
        "no API above the budget in any second": all(run.busiest_api[1] <= run.budget for run in runs),
        "SearchContacts at most 1 in any 2 s": all(run.search_per_2s <= 1 for run in runs),
    }
    print()
    for name, held in checks.items():
        print(f"{name}: {'yes' if held else 'no'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
