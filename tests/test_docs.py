"""The docs pages' blocks run as written, in a shell after `make deps`, in an empty directory:
docs/try-plan-and-drift-locally.md's shell block (emulator, seed, plan, deploy to the emulator, hand edit, drift
with exit code 2), and each Python block of docs/testing-your-stack.md as a consumer's test file, under pytest."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from doc_blocks import code_blocks
from project_shell import run_consumer_tests

ROOT = Path(__file__).resolve().parents[1]
TRY_LOCALLY = ROOT / "docs" / "try-plan-and-drift-locally.md"
TESTING = ROOT / "docs" / "testing-your-stack.md"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_try_plan_and_drift_locally_runs_as_written(tmp_path, project_shell_env):
    (block,) = code_blocks(TRY_LOCALLY, "bash")
    env = {key: value for key, value in project_shell_env.items() if not key.startswith("AWS_")}
    env["PORT"] = str(free_port())  # the page's default is 8080; another test may hold it
    completed = subprocess.run(
        ["bash", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    output = f"{completed.stdout}\n{completed.stderr}"
    assert completed.returncode == 0, output
    assert "plan exit code: 2" in completed.stdout, output
    assert "Plan: 1 to create" in completed.stdout, output
    assert "TrialStack/" in completed.stdout and ": SUCCESS  Data=" in completed.stdout, output
    exit_codes = [line for line in completed.stdout.splitlines() if line.startswith("drift exit code: ")]
    assert exit_codes == ["drift exit code: 0", "drift exit code: 2"], output
    assert "Drift: 1 of 1 ContactDefaults drifted; contacts: 1 to write" in completed.stdout, output
    assert "bump the revision" in completed.stdout, output


def test_testing_your_stack_blocks_pass_as_written(tmp_path):
    blocks = code_blocks(TESTING, "python")
    assert blocks, "the page has a Python block"
    for block in blocks:
        header, _ = block.split("\n", 1)
        assert header.startswith("# test_") and header.endswith(".py"), "each block is a whole test file, named"
        (tmp_path / header.removeprefix("# ")).write_text(block)
    assert "3 passed" in run_consumer_tests(tmp_path, tmp_path)  # IDs, a file, a search
