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
