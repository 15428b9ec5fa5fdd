"""Fixtures of the plan/drift command tests: the scenario app synthesized by the pinned CDK CLI, the Connect
emulator, moto's server mode (S3, CloudFormation, STS) on 127.0.0.1, and the command run in-process with
the AWS SDK pointed at them only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer
from plan_testing import APP, FILE_CONTACTS, REGION, ROOT

from connect_contact_defaults.plan.command import main
from connect_contact_defaults.testing.connect_emulator import ConnectEmulator
from connect_contact_defaults.testing.local_cloudformation.local_aws import local_aws_environment


def tool_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(ROOT / "node_modules" / ".bin"), str(Path(sys.executable).parent), env["PATH"]])
    env.update(CDK_DISABLE_VERSION_CHECK="true", CDK_DISABLE_CLI_TELEMETRY="true", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """plan_scenarios_app.py synthesized by the pinned CDK CLI (one synth for every scenario)."""
    work = tmp_path_factory.mktemp("plan-app")
    contact_file = work / "contacts.txt"
    contact_file.write_text(
        "# contacts of the Q3 backfill\n" + "\n".join(FILE_CONTACTS[:2]) + "\n\n" + FILE_CONTACTS[2]
    )
    out = work / "cdk.out"
    command = [
        str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--app", f"{sys.executable} {APP}",
        "--output", str(out), "-c", f"contactFile={contact_file}",
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=work, env=tool_env(), capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """S3, CloudFormation and STS on 127.0.0.1 (moto's server mode)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def emulator() -> Iterator[ConnectEmulator]:
    with ConnectEmulator(seed=7) as running:
        running.set_quota(rate=1000, burst=1000)
        yield running


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch, emulator: ConnectEmulator, moto_endpoint: str) -> None:
    """The command's SDK sees dummy credentials, one Region, and local endpoints only."""
    endpoints = {"connect": emulator.endpoint_url, "s3": moto_endpoint, "cloudformation": moto_endpoint}
    environment = local_aws_environment(REGION, {**endpoints, "sts": moto_endpoint})
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def resource(self, stack: str | None = None) -> dict[str, Any]:
        """The one resource of the (one, or named) stack in the JSON output."""
        stacks = [entry for entry in self.json["stacks"] if stack is None or entry["stack"] == stack]
        (entry,) = stacks
        (resource,) = entry["resources"]
        return resource


@pytest.fixture
def run_command(local_aws: None, emulator: ConnectEmulator, capsys: pytest.CaptureFixture[str]):
    """Runs the command in-process and checks that it made no write call to Connect."""

    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        before = len(emulator.requests)
        exit_code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        writes = [record for record in emulator.requests[before:] if record.is_write]
        assert not writes, f"the command made write calls: {writes}"
        return Run(exit_code, captured.out, captured.err)

    return run
