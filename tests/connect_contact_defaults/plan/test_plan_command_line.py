"""The installed entry points (console script, python -m) in a subprocess, and the read-only Connect client."""

import contextlib
import fcntl
import json
import os
import pty
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import boto3
import pytest
from plan_scenarios_app import BUDGET_CONTACTS, INSTANCE_ID
from plan_testing import REGION, seed_v1, write_template

from connect_contact_defaults.plan.planned_changes import ReadOnlyConnectClient, WriteRefused
from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation.local_aws import local_aws_environment

SCRIPT = Path(sys.executable).parent / "connect-contact-defaults"


def test_console_script_and_module_explain_each_flag():
    for command in ([str(SCRIPT)], [sys.executable, "-m", "connect_contact_defaults"]):
        completed = subprocess.run(
            [*command, "status", "--help"], capture_output=True, text=True, check=False, timeout=60
        )
        assert completed.returncode == 0, completed.stderr
        for flag in ("--assembly", "--stack", "--watch", "--interval", "--state-table", "--json"):
            assert flag in completed.stdout
        for subcommand in ("plan", "drift"):
            completed = subprocess.run(
                [*command, subcommand, "--help"], capture_output=True, text=True, check=False, timeout=60
            )
            assert completed.returncode == 0, completed.stderr
            for flag in (
                "--assembly",
                "--stack",
                "--deployed-template",
                "--max-requests-per-second",
                "--json",
                "--sample",
            ):
                assert flag in completed.stdout
            assert "--show-values" in completed.stdout and "personal data" in completed.stdout


def test_module_plans_end_to_end_without_loading_aws_cdk(emulator, assembly, tmp_path):
    seed_v1(emulator)
    empty = write_template(tmp_path, {"Resources": {}})
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['connect-contact-defaults', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('connect_contact_defaults', run_name='__main__')\n"
        "finally:\n"
        "    loaded = sorted(name for name in sys.modules if name.split('.')[0] in ('aws_cdk', 'jsii', 'constructs'))\n"
        "    print('LOADED', loaded, file=sys.stderr)\n"
    )
    args = ["plan", "--assembly", str(assembly), "--stack", "V1", "--deployed-template", str(empty), "--json"]
    completed = subprocess.run(
        [sys.executable, "-c", probe, *args],
        env=local_aws_environment(REGION, {"connect": emulator.endpoint_url}),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 2, completed.stderr
    assert json.loads(completed.stdout)["stacks"][0]["resources"][0]["contacts"]["write"] == 3
    assert "LOADED []" in completed.stderr
    assert "\r" not in completed.stderr  # no progress bar when stderr is not a terminal
    assert not [record for record in emulator.requests if record.is_write]


def test_progress_bar_on_a_terminal(emulator, assembly, tmp_path):
    """stderr a terminal (a pseudo-terminal here): rich draws the bar there; stdout keeps the report only."""
    emulator.add_contacts(INSTANCE_ID, [SeedContact(contact_id, channel="TASK") for contact_id in BUDGET_CONTACTS])
    empty = write_template(tmp_path, {"Resources": {}})
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a new pty has 0 columns
    with os.fdopen(controller, "rb", buffering=0) as screen:
        completed = subprocess.run(
            [
                *(sys.executable, "-m", "connect_contact_defaults", "plan", "--assembly", str(assembly)),
                *("--stack", "Budget", "--deployed-template", str(empty), "--max-requests-per-second", "100"),
            ],
            env=local_aws_environment(REGION, {"connect": emulator.endpoint_url}),
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            check=False,
            timeout=120,
        )
        os.close(terminal)
        drawn = b""
        with contextlib.suppress(OSError):  # EIO once the terminal side is closed and drained
            while chunk := screen.read(4096):
                drawn += chunk
    assert completed.returncode == 2
    assert b"Budget/Defaults Create" in drawn and b"30/30" in drawn and b"contact" in drawn
    assert "30/30" not in completed.stdout and completed.stdout.startswith("Stack Budget")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed): connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:{port}", "http://connect.emulator.invalid:8080"])
def test_an_unreachable_endpoint_fails_fast_naming_it_and_its_variable(assembly, tmp_path, endpoint):
    """A refused connection (a stopped emulator) or a name that does not resolve: exit 1 within 30 s, the
    endpoint and AWS_ENDPOINT_URL_CONNECT named, no word of throttling."""
    endpoint = endpoint.format(port=closed_port())
    empty = write_template(tmp_path, {"Resources": {}})
    plan = ["plan", "--assembly", str(assembly), "--stack", "V1", "--deployed-template", str(empty)]
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "connect_contact_defaults", *plan],
        env=local_aws_environment(REGION, {"connect": endpoint}),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert elapsed < 30, f"took {elapsed:.0f} s"
    message = completed.stderr.strip().splitlines()[-1]  # after the line that says how many contacts it reads
    assert endpoint in message and "AWS_ENDPOINT_URL_CONNECT" in message, message
    everything = completed.stdout + completed.stderr
    assert "thrott" not in everything.lower() and "429" not in everything and "max-requests" not in everything


def test_read_only_client_refuses_writes_before_they_reach_connect(emulator):
    emulator.add_contacts(INSTANCE_ID, [])
    client = boto3.client(
        "connect",
        region_name=REGION,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    read_only = ReadOnlyConnectClient(client)
    for operation in ("update_contact_attributes", "update_contact", "stop_contact"):
        with pytest.raises(WriteRefused, match=f"not {operation}"):
            getattr(read_only, operation)
    assert read_only.describe_contact == client.describe_contact
    assert emulator.requests == []
