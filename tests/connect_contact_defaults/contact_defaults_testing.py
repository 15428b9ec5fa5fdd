"""Helpers of the ContactDefaults construct tests (synth level: no AWS, no network, no Docker).

Importing this module puts the pinned Node 22 first on PATH before aws_cdk starts jsii.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent
HANDLER_DEPS_CACHE = ROOT / ".build" / "handler-deps"

# jsii runs aws-cdk-lib in the pinned Node 22 (as the Makefile arranges); make sure it finds it.
if not os.environ.get("PATH", "").startswith(str(NODE_BIN)):
    os.environ["PATH"] = f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

import aws_cdk as cdk  # noqa: E402  (after PATH: jsii starts node on import)

from connect_contact_defaults import ContactDefaults, ContactSelection  # noqa: E402

INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
OTHER_INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/f0e1d2c3-4567-89ab-cdef-EXAMPLE22222"
OTHER_INSTANCE_ID = "f0e1d2c3-4567-89ab-cdef-EXAMPLE22222"
CONTACT_IDS = ["11111111-2222-3333-4444-123456789012", "11111111-2222-3333-4444-123456789013"]
ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def tool_env(**extra: str) -> dict[str, str]:
    """Environment of a subprocess: pinned Node/CDK CLI first, then this venv; no version check."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(NODE_BIN), str(VENV_BIN), env.get("PATH", "")])
    env["CDK_DISABLE_VERSION_CHECK"] = "true"
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_tool(
    args: list[Any], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Runs a command with tool_env(); a failure shows its output."""
    completed = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env or tool_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, f"{args} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
    return completed


def build_multi_instance_app(outdir: str | None = None) -> tuple[cdk.App, cdk.Stack]:
    """Three ContactDefaults over two instances: two on an instance by ID (one with an expiry),
    one on an instance by ARN in another Region."""
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "MultiInstanceStack")
    ContactDefaults(
        stack,
        "Greeting",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(CONTACT_IDS),
        attributes={"greetingPlayed": "false"},
    )
    ContactDefaults(
        stack,
        "Expiry",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.of_ids(CONTACT_IDS[:1]),
        contact_expiry=cdk.Duration.days(7),
    )
    ContactDefaults(
        stack,
        "OtherRegion",
        instance_arn=OTHER_INSTANCE_ARN,
        contacts=ContactSelection.of_ids(["22222222-3333-4444-5555-123456789012"]),
        attributes={"campaign": "spring"},
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    return app, stack


def write_contact_file(path: Path, contact_ids: Any, *, csv_header: str | None = None) -> Path:
    """Writes a contact file: one ID a line, or (csv_header given) a CSV with that header, the ID
    in the ContactId column and "sales" in any other."""
    lines = []
    if csv_header is not None:
        columns = csv_header.split(",")
        lines.append(csv_header)
        lines.extend(",".join(i if c == "ContactId" else "sales" for c in columns) for i in contact_ids)
    else:
        lines.extend(contact_ids)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_file_app(contact_file: Path | str, outdir: str | None = None, **props: Any) -> tuple[cdk.App, cdk.Stack]:
    """One ContactDefaults whose contacts come from a file (ContactSelection.from_file); props go to it."""
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "FileStack")
    ContactDefaults(
        stack,
        "Greeting",
        instance_id=INSTANCE_ID,
        contacts=ContactSelection.from_file(str(contact_file)),
        attributes={"greetingPlayed": "false"},
        **props,
    )
    return app, stack


def copy_checkout(destination: Path) -> Path:
    """Copies the checkout's tracked and untracked-but-not-ignored files (the working tree as a
    fresh clone would hold it; .venv, node_modules, .build and the built handler asset are
    ignored) to destination."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if not source.is_file():
            continue  # deleted in the working tree
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return destination


def lambda_function(template: dict[str, Any]) -> dict[str, Any]:
    """The one custom-resource handler (index.handler) of a template; a continuous function shares its asset."""
    functions = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("Handler") == "index.handler"
    ]
    assert len(functions) == 1, functions
    return functions[0]


def lambda_asset_key(template: dict[str, Any]) -> str:
    """The S3Key (<asset hash>.zip) of the one Lambda function of a template."""
    return lambda_function(template)["Properties"]["Code"]["S3Key"]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
