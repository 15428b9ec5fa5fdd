"""Median wall time of `cdk synth` of app.py, with the ContactDefaults construct and without it.

    python benchmarks/synth_time.py [--runs 5]

Runs the pinned CDK CLI (node_modules/.bin/cdk) on app.py, into a temporary output directory,
with and without `-c withoutContactDefaults=true` (the same stack minus the construct), and
prints both medians and their ratio. Needs `make deps asset`; no network, no AWS credentials.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CDK = ROOT / "node_modules" / ".bin" / "cdk"


def synth_seconds(extra_context: list[str]) -> float:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(CDK.parent), str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(CDK_DISABLE_VERSION_CHECK="true", CDK_DISABLE_CLI_TELEMETRY="true", PYTHONDONTWRITEBYTECODE="1")
    with tempfile.TemporaryDirectory(prefix="synth-time-") as out:
        command = [str(CDK), "synth", "--quiet", "--no-notices", "--output", out, *extra_context]
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    synth_seconds([])  # warm-up: file system caches, Python byte code of the venv
    with_construct, without_construct = [], []
    for _ in range(runs):  # interleaved, so drift affects both alike
        with_construct.append(synth_seconds([]))
        without_construct.append(synth_seconds(["-c", "withoutContactDefaults=true"]))
    median_with = statistics.median(with_construct)
    median_without = statistics.median(without_construct)
    print(f"runs: {runs} each (after one warm-up)")
    print(f"with ContactDefaults:    median {median_with:.2f} s  {[round(t, 2) for t in with_construct]}")
    print(f"without ContactDefaults: median {median_without:.2f} s  {[round(t, 2) for t in without_construct]}")
    print(f"ratio: {median_with / median_without:.2f}")


if __name__ == "__main__":
    main()
