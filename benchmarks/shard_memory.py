"""Peak memory per invocation of one shard of a big contact file: Create, Updates and a DESTROY Delete.

What it runs (no AWS account; everything on 127.0.0.1), for each ``--contacts`` size (default 1,000,000):

1. A contact file of that many IDs (seeded lowercase UUIDs, one a line, LINES) and a copy with one ID
   changed, put into S3 in moto's server mode (one ``ThreadedMotoServer`` for S3 and DynamoDB, its WSGI app
   wrapped to count the bytes of every S3 GET it answers). The shard count is the construct's own
   (``connect_contact_rules.contacts_within`` at the default budget and the 1-hour ServiceTimeout, the count
   checked with ``shard_of`` as ``shard_count`` does), e.g. 76 shards for 1,000,000 IDs.
2. The state table holds every other shard's declaration (``record_declaration``, as each shard's own Create
   writes it). Shard 0 then runs, from the built asset (``make asset``) through ``LambdaRunner``, each event in
   turn: Create; Update changing the attributes; Update to the file with one ID changed (the siblings still
   declare the old file, as while CloudFormation updates them one by one); Update changing the shard count
   (count + 1, the siblings still at the old count); DESTROY Delete (the siblings at the new count). The
   Connect emulator holds shard 0's contacts; ``MaxRequestsPerSecond`` is ``--rate`` (2000, so the Connect
   calls take seconds, not the hour of the default budget: the shards stay the default budget's).

Memory is each Lambda process's peak resident set (``VmHWM``), read by the process after its handler returned
(memory.MEMORY_PROBE). Checks (exit 1 if any fails): every operation answers SUCCESS; every peak is at most
``--limit-mb`` (160 MB of the function's 256 MB). The S3 bytes each operation read are printed next to the
file's size (a Delete must read a few times the file at most, not the file times the shard count).

Run from the repository root: ``.venv/bin/python benchmarks/shard_memory.py [--contacts 1000000 2700000]``.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

from memory import (
    MEMORY_PROBE,
    REGION,
    ROOT,
    asset_snapshot,
    contact_ids,
    mb,
    memory_probes,
)

sys.path[:0] = [str(ROOT / "lambda")]

import boto3  # noqa: E402
from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import connect_contact_defaults.testing.local_cloudformation.lambda_runner as lambda_runner_module  # noqa: E402
from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact  # noqa: E402
from connect_contact_defaults.testing.local_cloudformation import (  # noqa: E402
    Invocation,
    LambdaRunner,
    ResponseServer,
    make_certificates,
    resource_properties,
)
from connect_contact_rules import (  # noqa: E402
    MAX_REQUESTS_PER_SECOND_DEFAULT,
    SERVICE_TIMEOUT_MAX_SECONDS,
    contacts_within,
    shard_of,
)
from contact_reconciler.declarations import record_declaration  # noqa: E402

ASSET_DIR = ROOT / "constructs" / "connect_contact_defaults" / "handler_asset"
INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
LIMIT_MB = 160.0
FUNCTION_TIMEOUT_SECONDS = 900.0
STACK_ID = "arn:aws:cloudformation:eu-west-2:123456789012:stack/BigFile/0"


class CountingMotoServer(ThreadedMotoServer):
    """moto's server mode, counting the body bytes of the GET requests it answers (S3 object reads)."""

    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.get_bytes = 0
        self._count_lock = threading.Lock()

    def _server_entry(self) -> None:
        moto_app = DomainDispatcherApplication(create_backend_app)

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            body = moto_app(environ, start_response)
            if environ.get("REQUEST_METHOD") != "GET":
                return body
            return self._counted(body)

        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    def _counted(self, body: Any) -> Any:
        for chunk in body:
            with self._count_lock:
                self.get_bytes += len(chunk)
            yield chunk


def shards_for(ids: list[str]) -> int:
    """The construct's shard count at the default budget: the fewest shards that each fit contacts_within."""
    capacity = contacts_within(MAX_REQUESTS_PER_SECOND_DEFAULT, SERVICE_TIMEOUT_MAX_SECONDS)
    count = math.ceil(len(ids) / capacity)
    while max(Counter(shard_of(c, count) for c in ids).values()) > capacity:
        count += 1
    return count


def run_size(contacts: int, rate: float, asset_source: Path, limit_mb: float) -> list[str]:
    """Runs the five operations at one size; returns the failed checks."""
    ids = contact_ids(contacts)
    count = shards_for(ids)
    changed = ids[:]
    changed[1] = str(uuid.UUID(int=contacts, version=4))  # one ID replaced
    files = {
        "contacts/v1.txt": ("\n".join(ids) + "\n").encode(),
        "contacts/v2.txt": ("\n".join(changed) + "\n").encode(),
    }
    size = len(files["contacts/v1.txt"])
    mine = {c for c in (*ids, changed[1]) if shard_of(c, count) == 0 or shard_of(c, count + 1) == 0}
    del ids, changed
    print(f"\n{contacts:,} IDs, {count} shards, file {size:,} bytes; shard 0 holds about {len(mine):,} contacts")
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="shard-memory-") as work:
        asset_dir = asset_snapshot(asset_source, Path(work))
        moto = CountingMotoServer()
        moto.start()
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
        bucket = f"cdk-assets-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        for key, body in files.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        del files
        certificates = make_certificates(Path(work))
        responses = ResponseServer(certificates)
        try:
            with ConnectEmulator(seed=7) as emulator:
                emulator.add_contacts(INSTANCE_ID, (SeedContact(c, channel="TASK") for c in mine))
                emulator.set_quota(rate=math.inf, burst=1_000)
                runner = LambdaRunner(
                    asset_dir, emulator.endpoint_url, responses, certificates.ca_file, aws_endpoint_url=endpoint
                )
                dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)

                def props(key: str, shard_count: int, index: int, attributes: dict[str, str]) -> dict[str, Any]:
                    properties = resource_properties(
                        INSTANCE_ID, ["placeholder"], attributes, mode="FILL_MISSING", max_requests_per_second=rate
                    )
                    del properties["ContactIds"]
                    properties["ContactFile"] = {"Bucket": bucket, "Key": key, "Format": "LINES"}
                    properties["ServiceTimeoutSeconds"] = str(SERVICE_TIMEOUT_MAX_SECONDS)
                    properties["RemovalPolicy"] = "DESTROY"
                    properties["Shard"] = {"Index": str(index), "Count": str(shard_count)}
                    return properties

                def declare_siblings(key: str, shard_count: int, attributes: dict[str, str]) -> None:
                    for index in range(1, shard_count):
                        record_declaration(
                            dynamodb,
                            runner.state_table,
                            f"DefaultsShard{index}",
                            f"connect-contact-defaults:{REGION}:{INSTANCE_ID}:shard{index}",
                            props(key, shard_count, index, attributes),
                        )

                gold, silver = {"tier": "gold"}, {"tier": "silver"}
                v1, v2 = "contacts/v1.txt", "contacts/v2.txt"
                steps: list[tuple[str, str, dict[str, Any], dict[str, Any] | None, tuple[str, int, dict[str, str]]]] = [
                    ("Create", "Create", props(v1, count, 0, gold), None, (v1, count, gold)),
                    (
                        "Update (attributes changed)",
                        "Update",
                        props(v1, count, 0, silver),
                        props(v1, count, 0, gold),
                        (v1, count, silver),
                    ),
                    (
                        "Update (one ID changed)",
                        "Update",
                        props(v2, count, 0, silver),
                        props(v1, count, 0, silver),
                        (v1, count, silver),
                    ),
                    (
                        "Update (shard count changed)",
                        "Update",
                        props(v2, count + 1, 0, silver),
                        props(v2, count, 0, silver),
                        (v2, count, silver),
                    ),
                    ("Delete (DESTROY)", "Delete", props(v2, count + 1, 0, silver), None, (v2, count + 1, silver)),
                ]
                physical_id: str | None = None
                print(
                    f"{'shard 0 operation':<30} {'peak MB':>8} {'invocations':>11} {'S3 bytes read':>15} {'x file':>7}  result"
                )
                for name, request_type, properties, old, siblings in steps:
                    declare_siblings(*siblings)
                    event = runner.event(
                        request_type,
                        properties,
                        old_properties=old,
                        physical_id=physical_id,
                        logical_id="DefaultsShard0",
                    )
                    event["StackId"] = STACK_ID
                    before = moto.get_bytes
                    started = time.monotonic()
                    with mock.patch.object(lambda_runner_module, "RUNNER", lambda_runner_module.RUNNER + MEMORY_PROBE):
                        try:
                            result: Invocation | None = runner.send(
                                event,
                                timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
                                extra_env={"AWS_ENDPOINT_URL_S3": endpoint},
                            )
                        except AssertionError as error:
                            print(f"{name}: the run failed: {str(error)[-2000:]}")
                            result = None
                    read = moto.get_bytes - before
                    if result is None:
                        failed.append(f"{contacts:,} {name}: no response")
                        continue
                    physical_id = result.physical_id or physical_id
                    probes = memory_probes(result)
                    peak = mb(max((probe["VmHWM"] for probe in probes), default=math.inf))
                    data = result.data
                    print(
                        f"{name:<30} {peak:>8.1f} {len(result.invocation_starts):>11} {read:>15,} {read / size:>7.2f}  "
                        f"{result.status} Updated={data.get('Updated')} Unchanged={data.get('Unchanged')} "
                        f"Failed={data.get('Failed')} ({time.monotonic() - started:.0f} s)"
                    )
                    if result.status != "SUCCESS":
                        failed.append(f"{contacts:,} {name}: {result.status} {result.response.get('Reason')!r}")
                    if len(probes) != len(result.invocation_starts):
                        failed.append(f"{contacts:,} {name}: a memory probe is missing")
                    if peak > limit_mb:
                        failed.append(f"{contacts:,} {name}: peak {peak:.1f} MB > {limit_mb:g} MB")
                runner.close()
        finally:
            moto.stop()
            responses.close()
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[1_000_000], help="file sizes (1000000)")
    parser.add_argument("--rate", type=float, default=2000.0, help="MaxRequestsPerSecond of the run (2000)")
    parser.add_argument("--limit-mb", type=float, default=LIMIT_MB, help="the line per invocation (160)")
    parser.add_argument("--asset-dir", type=Path, default=ASSET_DIR, help="a built handler asset (make asset)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    failed = [
        problem
        for contacts in args.contacts
        for problem in run_size(contacts, args.rate, args.asset_dir, args.limit_mb)
    ]
    print("every check passed" if not failed else "FAILED: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
