"""Time from a crash to CloudFormation's final response, at Lambda's default retry schedule.

The synthesized asset (`make synth` or any `cdk synth` of app.py into --assembly) runs as the testing kit's
LambdaRunner runs it, against the Connect emulator and moto's DynamoDB, with the lease's real timings (heartbeat
5 s, stale after 30 s) and Lambda's retry schedule unscaled (about 60 s after the first failure, 120 s after the
second; --retry-delays). Two cases:

- one crash: the first invocation of a Create is killed (SIGKILL) a few seconds in; Lambda's retry takes over;
- every attempt dies: each of the 3 attempts is killed; the on-failure destination answers FAILED.

Prints the seconds from the first kill to the response, and the retry schedule's share of it. Exit 1 if a case
does not end with its one expected response, or takes longer than its schedule plus --slack seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact
from connect_contact_defaults.testing.local_cloudformation import (
    Crash,
    Invocation,
    LambdaRunner,
    ResponseServer,
    make_certificates,
    resource_properties,
    synthesized_async_invoke_config,
    synthesized_function_asset,
)

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


def run_case(
    assembly: Path, tmp: Path, *, every_attempt: bool, delays: tuple[float, float], kill_after: float
) -> tuple[Invocation, float, int]:
    tmp.mkdir(parents=True, exist_ok=True)
    certificates = make_certificates(tmp)
    responses = ResponseServer(certificates)
    with ConnectEmulator(seed=7) as emulator:
        ids = [f"task-{n:03d}" for n in range(60)]
        emulator.add_contacts(INSTANCE, (SeedContact(c, channel="TASK") for c in ids))
        runner = LambdaRunner(
            synthesized_function_asset(assembly),
            emulator.endpoint_url,
            responses,
            certificates.ca_file,
            async_invoke=synthesized_async_invoke_config(assembly).scaled(*delays),
        )
        try:
            runner.crashes = [Crash(invocation=1, after_seconds=kill_after, attempt=None if every_attempt else 1)]
            event = runner.event("Create", resource_properties(INSTANCE, ids, {"a": "1"}, max_requests_per_second=4))
            started = time.monotonic()
            result = runner.start(event, timeout_seconds=120).result()
            seconds = time.monotonic() - started - kill_after
            declared = sum(1 for c in ids if emulator.attributes(INSTANCE, c) == {"a": "1"})
        finally:
            runner.close()
            responses.close()
    return result, seconds, declared


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"))
    parser.add_argument("--retry-delays", type=float, nargs=2, default=(60.0, 120.0), metavar=("FIRST", "SECOND"))
    parser.add_argument("--kill-after", type=float, default=3.0)
    parser.add_argument("--slack", type=float, default=40.0, help="seconds beyond the schedule (work, start-up)")
    arguments = parser.parse_args()
    delays = tuple(arguments.retry_delays)
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"crash-recovery-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.1f}; retry delays {delays[0]:g} s, {delays[1]:g} s")
    ok = True
    cases = (
        ("one crash, Lambda's retry takes over", False, "SUCCESS", delays[0]),
        ("every attempt dies, the destination answers", True, "FAILED", sum(delays) + 2 * arguments.kill_after),
    )
    for name, every_attempt, expected, schedule in cases:
        result, seconds, declared = run_case(
            arguments.assembly,
            tmp / name.split(",")[0].replace(" ", "-"),
            every_attempt=every_attempt,
            delays=delays,
            kill_after=arguments.kill_after,
        )
        good = result.status == expected and len(result.responses) == 1 and seconds <= schedule + arguments.slack
        ok &= good
        print(
            f"{name}: {result.status} after {seconds:.1f} s from the first kill (schedule {schedule:.0f} s); "
            f"{declared} of 60 contacts declared; {'ok' if good else 'NOT OK'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
