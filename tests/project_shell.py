"""The environment of a shell in this project after `make deps`, for tests that run its commands.

A plain module (not conftest): every test folder has a conftest, and `from conftest import` would take
whichever was imported last."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shell_env() -> dict[str, str]:
    """The pinned Node and CDK CLI, then this venv, first on PATH; no PYTHONPATH (packages are imported as
    installed); the CDK CLI's notices off."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PATH"] = os.pathsep.join([str(ROOT / "node_modules" / ".bin"), str(Path(sys.executable).parent), env["PATH"]])
    env.update(CDK_DISABLE_VERSION_CHECK="true", CDK_DISABLE_CLI_TELEMETRY="true")
    return env


def run_consumer_tests(rootdir: Path, target: Path) -> str:
    """Runs pytest on `target` in a consumer's shell (shell_env), rooted at `rootdir` (none of this repository's
    conftest files apply), as a consumer would; asserts it passed and returns its last line."""
    import subprocess  # noqa: PLC0415 (only the tests that run a consumer's tests need it)

    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(rootdir), str(target)],
        cwd=rootdir,
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, f"{completed.stdout}\n{completed.stderr}"
    return completed.stdout.splitlines()[-1]
