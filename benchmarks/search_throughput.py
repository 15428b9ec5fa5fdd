"""Throughput of a search selection (ContactSelection.search) next to the same contacts as an ID list.

For each budget B (``--budgets``, default 5,10,20), two Creates against a fresh emulator each, with
Connect's default quotas (10/s burst 15 per contact API; SearchContacts 0.5/s burst 1) and ``--latency``
seconds (default 0.05) added to every answer, seeded with ``--contacts`` (default 2,000) EMAIL/TASK
contacts in one day's window plus a quarter as many VOICE contacts the search leaves out:

- search: ``ContactSearch`` for that day, channels EMAIL and TASK (the handler lists the contacts with
  SearchContacts, pages of 100 at its own quota, while it reconciles them);
- ids: the same contacts as ``ContactIds``.

Both declare attributes only (GetContactAttributes and UpdateContactAttributes per contact). The harness
is benchmarks/throughput.py's: the reconciler in-process as the Lambda runs it (``run_operation``: hand-offs
continued from their checkpoints, a fresh state table in moto's DynamoDB server per run), the emulators in
a process of their own. Figures come from the emulator's request log: contacts/s = (contacts - 1) / (first
to last request), calls per contact (SearchContacts included), the SearchContacts calls, 429s, the most
calls one API received in any second, failed and lost contacts. Nothing is hard-coded: the figures follow
the pacing of the code under test.

Run from the repository root: ``.venv/bin/python benchmarks/search_throughput.py``. Exits 1 if a
contact failed or was lost, or an API received more than B calls (SearchContacts more than one in two
seconds) in a second.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import throughput  # the shared harness (local AWS, the Lambda's client factory, moto, the emulator process)
from throughput import (
    INSTANCE_ID,
    EmulatorProcess,
    LocalState,
    RemoteEmulator,
    lifecycle_request,
    load,
    max_in_window,
    parse_budgets,
    progress,
    run_operation,
)

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import resource_properties, string_properties
from connect_contact_rules import SearchProp, format_timestamp

DESIRED = {"greetingPlayed": "false", "tier": "gold"}
DAY = datetime(2026, 10, 1, tzinfo=UTC)
SELECTIONS = ("search", "ids")


class SearchEmulator(RemoteEmulator):
    """throughput's emulator, seeded with contacts that a search can find (initiation times, VOICE ones too)."""

    def __init__(self, latency_s: float) -> None:
        super().__init__((throughput.DEFAULT_QUOTA[0], throughput.DEFAULT_QUOTA[1]), latency_s, True)

    def seed_search(self, ids: list[str]) -> None:
        step = 86_000 / len(ids)
        seeds = [
            SeedContact(cid, channel=("EMAIL", "TASK")[n % 2], initiation_timestamp=DAY.timestamp() + n * step)
            for n, cid in enumerate(ids)
        ]
        seeds += [
            SeedContact(f"voice-{n:06d}", channel="VOICE", initiation_timestamp=DAY.timestamp() + n * 4 * step)
            for n in range(len(ids) // 4)
        ]
        self._emulator.add_contacts(INSTANCE_ID, seeds)

    def all_requests(self) -> list[Any]:
        return self._emulator.requests

    def attributes_lost(self, ids: list[str]) -> int:
        return sum(
            1
            for cid in ids
            if any(self._emulator.attributes(INSTANCE_ID, cid).get(key) != value for key, value in DESIRED.items())
        )


class SearchEmulatorProcess(EmulatorProcess):
    """The emulator process, serving SearchEmulator."""


SearchEmulatorProcess.register("SearchEmulator", SearchEmulator)


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

    @property
    def contacts_per_s(self) -> float:
        return (self.contacts - 1) / self.span_s if self.span_s > 0 else math.nan

    @property
    def calls_per_contact(self) -> float:
        return sum(self.calls.values()) / self.contacts


def properties(kind: str, ids: Sequence[str], budget: float) -> dict[str, Any]:
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


def measure(
    state: LocalState, emulators: SearchEmulatorProcess, kind: str, budget: float, contacts: int, latency: float
) -> Run:
    ids = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(contacts)]
    emulator: Any = emulators.SearchEmulator(latency)  # type: ignore[attr-defined]
    try:
        emulator.seed_search(ids)
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = emulator.endpoint_url()
        progress(f"budget {budget:g}, {kind}: {contacts} contacts ...")
        request = lifecycle_request("Create", properties(kind, ids, budget), f"SearchBenchmark{kind}{budget:g}")
        result, reason, invocations, _ = run_operation(state.fresh_clients(), request)
        if result is None:
            progress(f"  ResourceFailed: {reason}")
        records = emulator.all_requests()
        times = [r.time for r in records]
        by_api: dict[str, list[float]] = {}
        for record in records:
            by_api.setdefault(record.operation, []).append(record.time)
        busiest = max(((api, max_in_window(ts)) for api, ts in by_api.items()), key=lambda item: item[1])
        return Run(
            label=kind,
            budget=budget,
            contacts=contacts,
            span_s=max(times) - min(times),
            calls=Counter(r.operation for r in records),
            throttled=sum(r.status == 429 for r in records),
            busiest_api=busiest,
            search_per_2s=max_in_window(by_api.get("SearchContacts", []), 2.0),
            failed=int(result.data["Failed"]) if result is not None else contacts,
            lost=emulator.attributes_lost(ids),
            invocations=invocations,
        )
    finally:
        emulator.stop()


def print_table(runs: Sequence[Run]) -> None:
    print(
        f"{'budget':>6}  {'selection':<9}  {'contacts':>8}  {'wall s':>7}  {'contacts/s':>10}  {'calls/contact':>13}  "
        f"{'SearchContacts':>14}  {'429s':>5}  {'busiest API in 1 s':>24}  {'failed':>6}  {'lost':>4}  {'invocations':>11}"
    )
    for run in runs:
        api, most = run.busiest_api
        print(
            f"{run.budget:>6g}  {run.label:<9}  {run.contacts:>8}  {run.span_s:>7.1f}  {run.contacts_per_s:>10.2f}  "
            f"{run.calls_per_contact:>13.3f}  {run.calls['SearchContacts']:>14}  {run.throttled:>5}  "
            f"{f'{api} {most}':>24}  {run.failed:>6}  {run.lost:>4}  {run.invocations:>11}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=parse_budgets, default=[5.0, 10.0, 20.0], help="requests/s, e.g. 5,10,20")
    parser.add_argument("--contacts", type=int, default=2_000, help="selected contacts per run (default 2000)")
    parser.add_argument("--latency", type=float, default=0.05, help="emulator latency per call in seconds (0.05)")
    args = parser.parse_args(argv)
    logging.getLogger("contact_reconciler").setLevel(logging.WARNING)  # no line per contact

    load_before = load()
    started = time.monotonic()
    state = LocalState()
    emulators = SearchEmulatorProcess(ctx=multiprocessing.get_context("spawn"))
    emulators.start(initializer=gc.freeze)
    state.fresh_clients()  # loads moto's DynamoDB backend
    gc.freeze()  # as index does at cold start
    try:
        runs = [
            measure(state, emulators, kind, budget, args.contacts, args.latency)
            for budget in args.budgets
            for kind in SELECTIONS
        ]
    finally:
        emulators.shutdown()
        state.stop()
    print(
        f"Connect emulator: default quotas (10/s burst 15 per contact API, SearchContacts 0.5/s burst 1), "
        f"latency {args.latency * 1000:g} ms per call; {args.contacts} selected contacts (+{args.contacts // 4} VOICE "
        f"the search leaves out); attributes only; {load_before} before, {load()} after; "
        f"{(time.monotonic() - started) / 60:.0f} minutes"
    )
    print()
    print_table(runs)
    print()
    for budget in args.budgets:
        search, ids = (next(r for r in runs if r.budget == budget and r.label == kind) for kind in SELECTIONS)
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
