"""Peak memory of the custom-resource Lambda on a 100,000-line contact file streamed from S3.

What it runs (no AWS account; everything on 127.0.0.1):

1. A contact file of ``--contacts`` lines (default 100,000), one contact ID a line, each ID shaped like
   Connect's (a lowercase UUID, drawn from a seeded generator), put into moto's S3 server
   (``moto.server.ThreadedMotoServer``, a thread of this process).
2. The Connect emulator (a thread of this process) seeded with those contacts, TASK channel, no
   attributes, and no quota limit (``set_quota(rate=math.inf)``).
3. A real Create through ``local_cloudformation.LambdaRunner`` from the built asset directory
   (``make asset``, or ``--asset-dir``; copied to a temporary directory first, so that a rebuild during
   the run cannot change it; a warning if its handler sources differ from lambda/): the handler in a ``python -S`` subprocess, a CloudFormation-shaped event with
   ``ContactFile`` = {Bucket, Key, Format: LINES}, Attributes {"greetingPlayed": "false", "tier": "gold"},
   FILL_MISSING, ``MaxRequestsPerSecond`` = ``--rate`` (default 2000), ``ServiceTimeoutSeconds`` 3600
   (what the construct declares), a function timeout of 900 s. Hand-offs to fresh invocations, if any,
   are run one after the other as Lambda would.

How memory is measured: the peak resident set (``VmHWM`` in ``/proc/<pid>/status``) of each Lambda
process, read by that process itself right after the handler returned: the runner's subprocess script
(``lambda_runner.RUNNER``) is run unchanged with two lines appended that print ``VmHWM``. The figure is
the largest over all invocations. ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is printed too but not used:
on Linux a child's figure includes the resident set of this (parent) process at the moment it was
spawned (the kernel folds the pre-exec memory's high-water mark into the child's), and this process holds
moto, the emulator and 100,000 contacts, so that figure says how big the harness is, not the Lambda.

Checks (exit 1 if any fails): the response is SUCCESS with Updated = contacts, Failed = Unchanged =
Missing = 0; every contact in the emulator holds exactly the declared attributes and was written once;
no Connect call was answered with an error; and the peak is under 256 MB (the function's memory size).

Run from the repository root: ``.venv/bin/python benchmarks/memory.py [--contacts N] [--rate R]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

REGION = "eu-west-2"
from connect_contact_defaults.testing.local_cloudformation.local_aws import use_local_aws  # noqa: E402

use_local_aws(REGION)  # before any client exists; every call goes to local stand-ins

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

import connect_contact_defaults.testing.local_cloudformation.lambda_runner as lambda_runner_module  # noqa: E402
from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact  # noqa: E402
from connect_contact_defaults.testing.local_cloudformation import (  # noqa: E402
    Invocation,
    LambdaRunner,
    ResponseServer,
    make_certificates,
    resource_properties,
)

ASSET_DIR = ROOT / "constructs" / "connect_contact_defaults" / "handler_asset"
INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
DESIRED = {"greetingPlayed": "false", "tier": "gold"}
FUNCTION_TIMEOUT_SECONDS = 900.0
SERVICE_TIMEOUT_SECONDS = 3600
"""What the construct declares by default (contact_defaults.SERVICE_TIMEOUT, 1 hour)."""
MEMORY_LIMIT_MB = 256
"""The function's memory size (contact_defaults_function.py)."""
SEED = 20_251_122

# Appended to the runner's subprocess script: after the handler has returned, the process prints its own
# peak and current resident set (kB) from /proc/self/status. Nothing runs before or around the handler.
MEMORY_PROBE = r"""
with open("/proc/self/status") as _status:
    _memory = {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in _status) if k in ("VmHWM", "VmRSS")}
print("MEMORY_PROBE " + json.dumps(_memory))
"""
PROBE_LINE = re.compile(r"^MEMORY_PROBE (\{.*\})$", re.MULTILINE)
REPORT_LINE = re.compile(
    r"^\[INFO\] contact_reconciler\.lifecycle: (estimate: .*|instance .*invocation \d+: .*)$", re.M
)


def contact_ids(count: int, seed: int = SEED) -> list[str]:
    """Distinct version-4 UUIDs, lowercase, as Connect's contact IDs look; the same for the same seed."""
    rng = random.Random(seed)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]
    if len(set(ids)) != count:
        raise RuntimeError("the generated contact IDs are not distinct")
    return ids


def asset_snapshot(source: Path, into: Path) -> Path:
    """A private copy of the built asset; says so if its handler sources differ from lambda/ (not rebuilt)."""
    if not (source / "index.py").is_file():
        raise SystemExit(f"no built asset at {source}: run `make asset` first")
    copy = Path(shutil.copytree(source, into / "asset", ignore=shutil.ignore_patterns("__pycache__")))
    stale = [
        str(path.relative_to(ROOT / "lambda"))
        for path in sorted((ROOT / "lambda").rglob("*.py"))
        if "__pycache__" not in path.parts
        and (
            not (copy / path.relative_to(ROOT / "lambda")).is_file()
            or (copy / path.relative_to(ROOT / "lambda")).read_bytes() != path.read_bytes()
        )
    ]
    if stale:
        print(f"warning: the asset differs from lambda/ in {', '.join(stale)}: run `make asset` to measure the source")
    return copy


def memory_probes(result: Invocation) -> list[dict[str, int]]:
    return [json.loads(match) for match in PROBE_LINE.findall(result.logs)]


def mb(kilobytes: float) -> float:
    return kilobytes / 1024.0


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def run(contacts: int, rate: float, asset_source: Path = ASSET_DIR) -> int:
    ids = contact_ids(contacts)
    body = ("\n".join(ids) + "\n").encode()

    with tempfile.TemporaryDirectory(prefix="memory-benchmark-") as work:
        asset_dir = asset_snapshot(asset_source, Path(work))
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        try:
            host, port = moto.get_host_and_port()
            s3_endpoint = f"http://{host}:{port}"
            s3 = boto3.client("s3", region_name=REGION, endpoint_url=s3_endpoint)
            bucket, key = f"cdk-assets-{uuid.uuid4().hex[:12]}", "contacts/backfill.txt"
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_object(Bucket=bucket, Key=key, Body=body)

            certificates = make_certificates(Path(work))
            responses = ResponseServer(certificates)
            with ConnectEmulator(seed=7) as emulator:
                emulator.add_contacts(INSTANCE_ID, (SeedContact(contact_id, channel="TASK") for contact_id in ids))
                emulator.set_quota(rate=math.inf, burst=1_000)  # unlimited: burst is not consulted at rate inf
                runner = LambdaRunner(asset_dir, emulator.endpoint_url, responses, certificates.ca_file)
                properties = resource_properties(
                    INSTANCE_ID, ["placeholder"], DESIRED, mode="FILL_MISSING", max_requests_per_second=rate
                )
                del properties["ContactIds"]
                properties["ContactFile"] = {"Bucket": bucket, "Key": key, "Format": "LINES"}
                properties["ServiceTimeoutSeconds"] = str(SERVICE_TIMEOUT_SECONDS)
                event = runner.event("Create", properties)
                started = time.monotonic()
                try:
                    with mock.patch.object(lambda_runner_module, "RUNNER", lambda_runner_module.RUNNER + MEMORY_PROBE):
                        result: Invocation | None = runner.send(
                            event,
                            timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
                            extra_env={"AWS_ENDPOINT_URL_S3": s3_endpoint},
                        )
                except AssertionError as error:  # a Lambda process failed, or not exactly one response
                    text = str(error)
                    print(f"the run failed: {text[:3000]}{' ... ' + text[-3000:] if len(text) > 6000 else ''}")
                    result = None
                wall = time.monotonic() - started
                runner.close()
                requests = emulator.requests
                wrong = [c for c in ids if emulator.attributes(INSTANCE_ID, c) != DESIRED]
        finally:
            moto.stop()
        responses.close()

    if result is None:
        return 1
    data = result.data
    probes = memory_probes(result)
    invocations = len(result.invocation_starts)
    peak_kb = max((probe["VmHWM"] for probe in probes), default=math.inf)
    operations = Counter(record.operation for record in requests)
    statuses = Counter(record.status for record in requests)
    writes = Counter(
        record.contact_id
        for record in requests
        if record.operation == "UpdateContactAttributes" and record.status == 200
    )
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"contacts:        {contacts:,} (s3://{bucket}/{key}, {len(body):,} bytes, LINES)")
    print(
        f"invocations:     {invocations} ({len(result.hand_offs)} hand-offs), function timeout {FUNCTION_TIMEOUT_SECONDS:g} s"
    )
    print(f"wall time:       {wall:.1f} s (Create sent to response received), MaxRequestsPerSecond {rate:g}")
    calls = len(requests)
    per_operation = ", ".join(f"{name} {count:,}" for name, count in sorted(operations.items()))
    print(f"Connect calls:   {calls:,} ({per_operation}); {calls / wall:.0f} calls/s; statuses {dict(statuses)}")
    print(
        f"result:          {result.status}, Data {json.dumps(data, sort_keys=True)}"
        + (f", Reason {result.response.get('Reason')!r}" if result.status != "SUCCESS" else "")
    )
    for line in REPORT_LINE.findall(result.logs):
        print(f"  lambda log:    {line}")
    print(
        f"emulator check:  {contacts - len(wrong):,}/{contacts:,} contacts hold exactly {json.dumps(DESIRED)}; "
        f"{len(writes):,} written, {sum(1 for count in writes.values() if count > 1)} more than once"
    )
    each = ", ".join(f"{mb(probe['VmHWM']):.1f}" for probe in probes)
    print(f"peak RSS:        {mb(peak_kb):.1f} MB (VmHWM of each Lambda process, MB: {each})")
    print(
        f"  not used:      getrusage(RUSAGE_CHILDREN).ru_maxrss {mb(children_kb):.1f} MB; this harness's own peak "
        f"{mb(self_kb):.1f} MB (a child's ru_maxrss includes the parent's resident set when it was spawned)"
    )
    print(f"peak < {MEMORY_LIMIT_MB} MB: {yes_no(peak_kb < MEMORY_LIMIT_MB * 1024)}")

    checks = {
        "memory probe read in every invocation": len(probes) == invocations,
        f"peak < {MEMORY_LIMIT_MB} MB": peak_kb < MEMORY_LIMIT_MB * 1024,
        "SUCCESS": result.status == "SUCCESS",
        f"Updated == {contacts}": data.get("Updated") == str(contacts),
        "Failed == 0": data.get("Failed") == "0",
        "Unchanged == 0 and Missing == 0": data.get("Unchanged") == "0" and data.get("Missing") == "0",
        "every contact holds the declared attributes": not wrong,
        "every contact written exactly once": len(writes) == contacts and set(writes.values()) == {1},
        "no Connect error": set(statuses) == {200},
    }
    failed = [name for name, held in checks.items() if not held]
    if failed:
        print(f"FAILED: {'; '.join(failed)}")
    return 1 if failed else 0


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"a number of contacts is 1 or more, not {text!r}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"a rate is a positive number of requests per second, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=positive_int, default=100_000, help="lines in the contact file (100000)")
    parser.add_argument("--rate", type=positive_float, default=2000.0, help="MaxRequestsPerSecond (2000)")
    parser.add_argument(
        "--asset-dir",
        type=Path,
        default=ASSET_DIR,
        help="a built handler asset (default: the one `make asset` builds; `tools/handler_asset.py DEST` builds another)",
    )
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server: no line per S3 request
    return run(args.contacts, args.rate, args.asset_dir)


if __name__ == "__main__":
    sys.exit(main())
