"""Throughput of the contact reconciler against the local Connect emulator, at several request budgets.

For each budget B (``--budgets``, default 5,10,20):

1. A fresh emulator with Connect's default per-API quotas (10/s, burst 15) and ``--latency`` seconds
   (default 0.05) added to every answer, seeded with N = ceil(B x (seconds + 2) / 4) EMAIL/TASK
   contacts with no attributes. A Create with attributes and an expiry costs 4 calls per contact
   (DescribeContact, GetContactAttributes, UpdateContactAttributes, UpdateContact), so at the pacer's
   RATE_HEADROOM (0.95) x B the work lasts at least ``--seconds`` (default 30).
2. The real reconcile, in-process: ``lifecycle.create_or_update`` with CloudFormation-shaped string
   properties (``local_cloudformation.resource_properties``) and ``index.connect_client`` as the client
   factory, pointed at the emulator through ``AWS_ENDPOINT_URL_CONNECT``.
3. Figures from the emulator's request log (arrival times): span from the first to the last request,
   calls/s = (calls - 1) / span (every call counts, 429s included: the budget covers all of them),
   contacts/s = calls/s / calls per contact, achieved / budget = calls/s / B, 429s, the most requests
   in any 1-second window [t, t + 1), failed contacts (the result's Data, or the ResourceFailed reason),
   and lost contacts: contacts the emulator does not hold in the declared state afterwards.
4. The same Create event again with nothing changed: the writes it makes (must be 0).

Then a plain sequential loop, as a hand-written Lambda would do it (one thread, no pacing, botocore's
'standard' retries): per contact GetContactAttributes, UpdateContactAttributes, UpdateContact, over
as many contacts as the largest budget's run, against a fresh emulator with the same settings.

Run from the repository root: ``.venv/bin/python benchmarks/throughput.py``. Exits 1 if a must-hold
fails (achieved / budget >= 0.9, no failed contact, no lost contact, no write on the repeat, never
more than B requests in one second).
"""

from __future__ import annotations

import argparse
import bisect
import logging
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda"), str(ROOT / "constructs")]

REGION = "eu-west-2"
from connect_contact_defaults.testing.local_cloudformation.local_aws import use_local_aws  # noqa: E402

use_local_aws(REGION)  # before any client exists; every call goes to local stand-ins

import boto3  # noqa: E402
import index  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, RequestRecord, SeedContact  # noqa: E402
from connect_contact_defaults.testing.local_cloudformation import resource_properties  # noqa: E402
from connect_contact_defaults.testing.local_cloudformation.lambda_runner import STACK_ID  # noqa: E402
from connect_contact_rules import CONTACT_EXPIRY_SEGMENT_ATTRIBUTE, RATE_HEADROOM  # noqa: E402
from contact_reconciler.checkpoint import Checkpoint  # noqa: E402
from contact_reconciler.lifecycle import (  # noqa: E402
    InvocationTime,
    LifecycleRequest,
    LifecycleResult,
    ResourceFailed,
    create_or_update,
)
from contact_reconciler.reconcile import worker_count  # noqa: E402

INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
LOGICAL_ID = "ThroughputBenchmark"
DESIRED = {"greetingPlayed": "false", "tier": "gold"}
EXPIRY_MINUTES = 10080
CALLS_PER_CONTACT = 4
"""A Create with attributes and an expiry, on a contact that has neither: read, read, write, write."""
SEQUENTIAL_CALLS_PER_CONTACT = 3
WORK_MARGIN_SECONDS = 2.0
"""Contacts for seconds + 2 s of calls at B, so that at the pacer's RATE_HEADROOM x B the work still lasts >= seconds."""
ACHIEVED_TARGET = 0.9
WINDOW_SECONDS = 1.0
MAX_INVOCATIONS = 50


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Figures:
    """One run's figures, from the emulator's request log."""

    label: str
    budget: float | None
    contacts: int
    calls: int
    span_s: float
    throttled: int
    max_window: int
    failed: int
    lost: int
    repeat_writes: int | None = None
    repeat_max_window: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def calls_per_s(self) -> float:
        return (self.calls - 1) / self.span_s if self.span_s > 0 else math.nan

    @property
    def calls_per_contact(self) -> float:
        return self.calls / self.contacts if self.contacts else math.nan

    @property
    def contacts_per_s(self) -> float:
        return self.calls_per_s / self.calls_per_contact

    @property
    def achieved(self) -> float | None:
        return self.calls_per_s / self.budget if self.budget else None


def contact_ids(count: int, run: int) -> list[str]:
    return [f"{run:08x}-0000-4000-8000-{number:012x}" for number in range(count)]


def seed_contacts(emulator: ConnectEmulator, ids: Sequence[str]) -> None:
    channels = ("EMAIL", "TASK")
    emulator.add_contacts(
        INSTANCE_ID, [SeedContact(cid, channel=channels[n % 2], attributes={}) for n, cid in enumerate(ids)]
    )


def max_in_window(times: Sequence[float], window: float = WINDOW_SECONDS) -> int:
    """The most requests whose arrival falls in any half-open window [t, t + window)."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, start + window) - i for i, start in enumerate(ordered)), default=0)


def tightest(times: Sequence[float], count: int) -> tuple[float, int, float] | None:
    """The shortest time spanned by `count` consecutive requests: (span, index of the first, its offset in s)."""
    ordered = sorted(times)
    if count < 2 or len(ordered) < count:
        return None
    span, first = min((ordered[i + count - 1] - ordered[i], i) for i in range(len(ordered) - count + 1))
    return span, first, ordered[first] - ordered[0]


def spacing_note(times: Sequence[float], budget: float) -> str:
    """How close the requests came to budget + 1 in one second, against the pacer's schedule."""
    count = math.floor(budget) + 1
    found = tightest(times, count)
    if found is None:
        return ""
    span, first, offset = found
    scheduled = (count - 1) / (budget * RATE_HEADROOM)
    return (
        f"{count} consecutive requests spanned at least {span:.4f} s (#{first} at +{offset:.2f} s; "
        f"scheduled {scheduled:.4f} s apart by the pacer: over {1000 * (scheduled - 1.0):.1f} ms of jitter "
        f"puts {count} into one second)"
    )


def log_figures(records: Sequence[RequestRecord]) -> tuple[int, float, int, int]:
    """(calls, span from first to last arrival, 429s, most calls in one second)."""
    times = [record.time for record in records]
    span = max(times) - min(times) if times else 0.0
    throttled = sum(1 for record in records if record.status == 429)
    return len(records), span, throttled, max_in_window(times)


def lost_contacts(emulator: ConnectEmulator, ids: Sequence[str]) -> list[str]:
    """Contacts not in the declared state: the declared attributes (FILL_MISSING on empty contacts) and expiry."""
    lost = []
    for cid in ids:
        attributes = emulator.attributes(INSTANCE_ID, cid)
        attributes_ok = all(attributes.get(key) == value for key, value in DESIRED.items())
        if not attributes_ok or emulator.expiry_minutes(INSTANCE_ID, cid) != EXPIRY_MINUTES:
            lost.append(cid)
    return lost


def _no_s3_client() -> Any:
    raise RuntimeError("the benchmark selects contacts inline; no contact file is read from S3")


def run_lifecycle(request: LifecycleRequest, remaining_seconds: float) -> tuple[LifecycleResult | None, str, int]:
    """create_or_update as the Lambda calls it: (result, "", invocations) or (None, the ResourceFailed
    reason, invocations). A HandOff is continued from its checkpoint, as the next invocation would."""
    physical_ids: list[str] = []
    checkpoint: Checkpoint | None = None
    invocations = 0
    while True:
        invocations += 1
        try:
            outcome = create_or_update(
                request,
                InvocationTime(remaining_seconds),
                index.connect_client,
                _no_s3_client,
                physical_ids.append,
                checkpoint=checkpoint,
            )
        except ResourceFailed as error:
            return None, str(error), invocations
        if isinstance(outcome, LifecycleResult):
            return outcome, "", invocations
        checkpoint = outcome.checkpoint  # a HandOff
        if invocations >= MAX_INVOCATIONS:
            return None, f"still not finished after {invocations} invocations", invocations


def failed_count(result: LifecycleResult | None, reason: str, contacts: int) -> int:
    if result is not None:
        return int(result.data.get("Failed", "0"))
    match = re.match(r"(\d+) of \d+ contacts failed", reason)
    return int(match.group(1)) if match else contacts  # failed some other way: count every contact


def budget_run(run: int, budget: float, seconds: float, latency: float) -> Figures:
    contacts = math.ceil(budget * (seconds + WORK_MARGIN_SECONDS) / CALLS_PER_CONTACT)
    ids = contact_ids(contacts, run)
    properties = resource_properties(
        INSTANCE_ID, ids, dict(DESIRED), expiry_minutes=EXPIRY_MINUTES, max_requests_per_second=budget
    )
    request = LifecycleRequest(
        request_type="Create",
        properties=properties,
        old_properties=None,
        physical_id=None,
        stack_id=STACK_ID,
        logical_id=LOGICAL_ID,
        default_region=REGION,
    )
    remaining = max(900.0, 10 * seconds)
    with ConnectEmulator(latency_s=latency) as emulator:
        seed_contacts(emulator, ids)
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = emulator.endpoint_url
        progress(f"budget {budget:g}: {contacts} contacts, {worker_count(budget)} workers ...")
        started = time.monotonic()
        result, reason, invocations = run_lifecycle(request, remaining)
        elapsed = time.monotonic() - started
        records = [r for r in emulator.requests if r.instance_id == INSTANCE_ID]
        calls, span, throttled, window = log_figures(records)
        lost = lost_contacts(emulator, ids)
        figures = Figures(
            label=f"budget {budget:g}",
            budget=budget,
            contacts=contacts,
            calls=calls,
            span_s=span,
            throttled=throttled,
            max_window=window,
            failed=failed_count(result, reason, contacts),
            lost=len(lost),
        )
        operations = Counter(r.operation for r in records)
        times = [r.time for r in records]
        figures.notes.append(
            f"{elapsed:.1f} s in create_or_update ({invocations} invocation(s)); calls {dict(sorted(operations.items()))}; "
            f"Data {result.data if result else 'none: ResourceFailed ' + repr(reason)}"
        )
        figures.notes.append(spacing_note(times, budget))
        if lost:
            figures.notes.append(f"lost (first 5): {lost[:5]}")

        progress(f"budget {budget:g}: repeat with nothing changed ...")
        emulator.clear_requests()
        repeat, repeat_reason, _ = run_lifecycle(request, remaining)
        repeat_records = [r for r in emulator.requests if r.instance_id == INSTANCE_ID]
        figures.repeat_writes = sum(1 for r in repeat_records if r.is_write)
        repeat_calls, repeat_span, _, repeat_window = log_figures(repeat_records)
        figures.repeat_max_window = repeat_window
        figures.notes.append(
            f"repeat: {repeat_calls} calls in {repeat_span:.1f} s "
            f"({dict(sorted(Counter(r.operation for r in repeat_records).items()))}), max {repeat_window} in 1 s; "
            f"Data {repeat.data if repeat else 'none: ResourceFailed ' + repr(repeat_reason)}"
        )
        figures.notes.append("repeat: " + spacing_note([r.time for r in repeat_records], budget))
        if repeat is None:
            figures.failed += failed_count(None, repeat_reason, contacts)
    return figures


def sequential_run(run: int, contacts: int, latency: float) -> Figures:
    """The hand-written loop: read, write, write per contact; one thread, no pacing, standard retries."""
    ids = contact_ids(contacts, run)
    failures: list[str] = []
    with ConnectEmulator(latency_s=latency) as emulator:
        seed_contacts(emulator, ids)
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = emulator.endpoint_url
        client: Any = boto3.client("connect", region_name=REGION, config=Config(retries={"mode": "standard"}))
        expiry = {CONTACT_EXPIRY_SEGMENT_ATTRIBUTE: {"ValueMap": {"ExpiryDuration": {"ValueInteger": EXPIRY_MINUTES}}}}
        progress(f"sequential loop: {contacts} contacts ...")
        started = time.monotonic()
        for cid in ids:
            try:
                live = client.get_contact_attributes(InstanceId=INSTANCE_ID, InitialContactId=cid)["Attributes"]
                merged = {key: live.get(key) or value for key, value in DESIRED.items()}  # fill missing
                client.update_contact_attributes(InstanceId=INSTANCE_ID, InitialContactId=cid, Attributes=merged)
                client.update_contact(InstanceId=INSTANCE_ID, ContactId=cid, SegmentAttributes=expiry)
            except (ClientError, BotoCoreError) as error:
                failures.append(f"{cid}: {error}")
        elapsed = time.monotonic() - started
        records = [r for r in emulator.requests if r.instance_id == INSTANCE_ID]
        calls, span, throttled, window = log_figures(records)
        lost = lost_contacts(emulator, ids)
    figures = Figures(
        label="sequential",
        budget=None,
        contacts=contacts,
        calls=calls,
        span_s=span,
        throttled=throttled,
        max_window=window,
        failed=len(failures),
        lost=len(lost),
    )
    figures.notes.append(f"{elapsed:.1f} s for the loop; all {contacts} contacts run (no extrapolation)")
    if failures:
        figures.notes.append(f"failures (first 3): {failures[:3]}")
    return figures


Column = tuple[str, int, Callable[[Figures], str]]


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def print_table(rows: Sequence[Figures], sequential: Figures) -> None:
    base = sequential.contacts_per_s
    columns: list[Column] = [
        ("run", 11, lambda f: f.label),
        ("contacts", 8, lambda f: str(f.contacts)),
        ("wall s", 7, lambda f: _number(f.span_s, 1)),
        ("contacts/s", 10, lambda f: _number(f.contacts_per_s)),
        ("calls/s", 7, lambda f: _number(f.calls_per_s)),
        ("achieved/budget", 15, lambda f: _number(f.achieved, 3)),
        ("calls/contact", 13, lambda f: _number(f.calls_per_contact)),
        ("429s", 5, lambda f: str(f.throttled)),
        ("max in 1 s", 10, lambda f: str(f.max_window)),
        ("failed", 6, lambda f: str(f.failed)),
        ("lost", 4, lambda f: str(f.lost)),
        ("repeat writes", 13, lambda f: "-" if f.repeat_writes is None else str(f.repeat_writes)),
        ("vs sequential", 13, lambda f: f"{f.contacts_per_s / base:.2f}x" if base > 0 else "-"),
    ]
    print(
        "  ".join(f"{title:<{width}}" if n == 0 else f"{title:>{width}}" for n, (title, width, _) in enumerate(columns))
    )
    for row in [*rows, sequential]:
        print(
            "  ".join(
                f"{cell(row):<{width}}" if n == 0 else f"{cell(row):>{width}}"
                for n, (_, width, cell) in enumerate(columns)
            )
        )


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def parse_budgets(text: str) -> list[float]:
    budgets = [float(part) for part in text.split(",") if part.strip()]
    if not budgets or any(not budget > 0 for budget in budgets):
        raise argparse.ArgumentTypeError(f"budgets are positive numbers separated by commas, not {text!r}")
    return budgets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=parse_budgets, default=[5.0, 10.0, 20.0], help="requests/s, e.g. 5,10,20")
    parser.add_argument("--seconds", type=float, default=30.0, help="target seconds of work per budget (default 30)")
    parser.add_argument("--latency", type=float, default=0.05, help="emulator latency per call in seconds (0.05)")
    args = parser.parse_args(argv)
    logging.getLogger("contact_reconciler").setLevel(logging.WARNING)  # no line per contact

    rows = [budget_run(run, budget, args.seconds, args.latency) for run, budget in enumerate(args.budgets, start=1)]
    largest = max(rows, key=lambda row: row.contacts)
    sequential = sequential_run(len(rows) + 1, largest.contacts, args.latency)

    print(
        f"Connect emulator: default quotas (10/s, burst 15 per API), latency {args.latency * 1000:g} ms per call; "
        f"pacer at {RATE_HEADROOM:g} x budget; target {args.seconds:g} s of work per budget"
    )
    print()
    print_table(rows, sequential)
    print()
    for row in [*rows, sequential]:
        workers = f", {worker_count(row.budget)} workers" if row.budget else ""
        for n, note in enumerate(row.notes):
            print(f"{row.label + workers if n == 0 else '':<23}  {note}")
    print()
    checks = {
        f"achieved/budget >= {ACHIEVED_TARGET:g}": all((row.achieved or 0) >= ACHIEVED_TARGET for row in rows),
        "failed 0": all(row.failed == 0 for row in rows),
        "lost 0": all(row.lost == 0 for row in rows),
        "repeat writes 0": all(row.repeat_writes == 0 for row in rows),
        "max in any 1 s <= budget (runs and repeats)": all(
            row.budget is not None and max(row.max_window, row.repeat_max_window or 0) <= row.budget for row in rows
        ),
    }
    for name, held in checks.items():
        print(f"{name}: {yes_no(held)}")
    enough = all(row.span_s >= args.seconds for row in rows)
    print(f"(each budget ran >= {args.seconds:g} s of work: {yes_no(enough)}; sequential loop failed 0: ", end="")
    print(f"{yes_no(sequential.failed == 0)}, lost 0: {yes_no(sequential.lost == 0)})")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
