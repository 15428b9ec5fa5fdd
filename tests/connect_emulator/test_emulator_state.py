"""Seeding, snapshots, the server's lifecycle and the standalone command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError
from emulator_helpers import INSTANCE, make_client

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact

REPO = Path(__file__).resolve().parents[2]


def test_seeding_a_contact_in_an_unknown_instance_creates_it():
    with ConnectEmulator() as emulator:
        client = make_client(emulator.endpoint_url)
        emulator.add_contact("new-instance", SeedContact("c-1", channel="TASK", attributes={"a": "1"}))

        assert client.get_contact_attributes(InstanceId="new-instance", InitialContactId="c-1")["Attributes"] == {
            "a": "1"
        }


def test_seeding_again_replaces_the_contact_and_seeds_are_copied():
    seed_attributes = {"a": "1"}
    segment = {"connect:Subtype": {"ValueString": "connect:Task"}}
    emulator = ConnectEmulator()
    emulator.add_contact(
        INSTANCE, SeedContact("c", channel="TASK", attributes=seed_attributes, segment_attributes=segment)
    )
    seed_attributes["a"] = "changed"
    segment["connect:Subtype"]["ValueString"] = "changed"

    snapshot = emulator.contact(INSTANCE, "c")
    assert snapshot.attributes == {"a": "1"}
    assert snapshot.segment_attributes == {"connect:Subtype": {"ValueString": "connect:Task"}}
    snapshot.attributes["b"] = "2"  # a snapshot is a copy
    assert emulator.attributes(INSTANCE, "c") == {"a": "1"}

    emulator.add_contact(INSTANCE, SeedContact("c", channel="EMAIL"))
    assert emulator.contact(INSTANCE, "c").channel == "EMAIL"
    assert emulator.attributes(INSTANCE, "c") == {}


def test_unknown_contacts_raise_key_error():
    emulator = ConnectEmulator()
    emulator.add_contact(INSTANCE, SeedContact("c"))
    with pytest.raises(KeyError):
        emulator.attributes(INSTANCE, "other")
    with pytest.raises(KeyError):
        emulator.contact("other-instance", "c")


@pytest.mark.parametrize(
    "seed",
    [
        SeedContact("c", channel="SMS"),
        SeedContact(""),
        SeedContact("c", attributes={"a": 1}),
        SeedContact("c", initiation_method="X"),
    ],
)
def test_invalid_seeds_are_refused(seed):
    emulator = ConnectEmulator()
    with pytest.raises(ValueError):
        emulator.add_contact(INSTANCE, seed)


def test_expiry_minutes_is_read_from_seeded_segment_attributes():
    emulator = ConnectEmulator()
    expiry = {"connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 1440}}}}
    emulator.add_contacts(
        INSTANCE,
        [SeedContact("with", channel="EMAIL", segment_attributes=expiry), SeedContact("without", channel="EMAIL")],
    )

    assert emulator.expiry_minutes(INSTANCE, "with") == 1440
    assert emulator.expiry_minutes(INSTANCE, "without") is None


def test_bulk_seeding_of_100000_contacts_is_fast():
    seeds = [
        SeedContact(f"contact-{index:06d}", channel="EMAIL", attributes={"n": str(index)}) for index in range(100_000)
    ]
    with ConnectEmulator(rate=float("inf")) as emulator:
        started = time.perf_counter()
        emulator.add_contacts(INSTANCE, seeds)
        elapsed = time.perf_counter() - started

        assert elapsed < 3.0
        client = make_client(emulator.endpoint_url)
        assert client.get_contact_attributes(InstanceId=INSTANCE, InitialContactId="contact-099999")["Attributes"] == {
            "n": "99999"
        }
        assert emulator.attributes(INSTANCE, "contact-000000") == {"n": "0"}


def test_stop_ends_serving_even_on_kept_alive_connections():
    emulator = ConnectEmulator().start()
    emulator.add_contact(INSTANCE, SeedContact("c"))
    client = make_client(emulator.endpoint_url)
    client.describe_contact(InstanceId=INSTANCE, ContactId="c")  # opens a pooled keep-alive connection

    emulator.stop()

    with pytest.raises(BotoCoreError):
        client.describe_contact(InstanceId=INSTANCE, ContactId="c")
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.endpoint_url
    emulator.stop()  # stopping twice is harmless


def test_the_standalone_command_serves_a_seed_file(tmp_path):
    seed_file = tmp_path / "contacts.json"
    seed_file.write_text(
        json.dumps({"instances": {"inst-9": [{"id": "c-9", "channel": "EMAIL", "attributes": {"from": "file"}}]}})
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connect_contact_defaults.testing.connect_emulator",
            "--port",
            "0",
            "--seed-file",
            str(seed_file),
        ],
        cwd=tmp_path,  # from anywhere: the installed package, not this checkout's working directory
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        assert "(1 contacts)" in first_line
        endpoint = first_line.split(" at ", 1)[1].split(" ", 1)[0]
        assert endpoint.startswith("http://127.0.0.1:")

        client = make_client(endpoint)
        assert client.get_contact_attributes(InstanceId="inst-9", InitialContactId="c-9")["Attributes"] == {
            "from": "file"
        }
        contact = client.describe_contact(InstanceId="inst-9", ContactId="c-9")["Contact"]
        assert contact["Channel"] == "EMAIL"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        process.stdout.close()
    assert process.returncode == 0


EMULATOR_COMMAND = [sys.executable, "-m", "connect_contact_defaults.testing.connect_emulator"]


def test_the_standalone_commands_help_shows_the_seed_format_endpoint_variable_and_credentials():
    completed = subprocess.run([*EMULATOR_COMMAND, "--help"], capture_output=True, text=True, check=True, timeout=60)
    for shown in ('{"instances": {', '"id": ', '"attributes": {', "initiation_timestamp", "contact_id"):
        assert shown in completed.stdout, shown
    assert "AWS_ENDPOINT_URL_CONNECT=" in completed.stdout and "AWS_ACCESS_KEY_ID=testing" in completed.stdout


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("[1, 2]", 'the document is an object with "instances"'),
        ("{not json", "not JSON"),
        ('{"instances": {"i-1": {"id": "c"}}}', "instances['i-1'] is a dict, not a list"),
        ('{"instances": {"i-1": [["c"]]}}', "instances['i-1'][0] is a list, not an object"),
        ('{"instances": {"i-1": [{"Id": "c"}]}}', "instances['i-1'][0] has unknown key(s) Id"),
        ('{"instances": {"i-1": [{"channel": "EMAIL"}]}}', "instances['i-1'][0] has no \"id\""),
        ('{"instances": {"i-1": [{"id": "c", "channel": "FAX"}]}}', "channel 'FAX' is not one of"),
    ],
)
def test_a_bad_seed_file_is_a_one_line_error_naming_the_problem(tmp_path, document, problem):
    seed_file = tmp_path / "contacts.json"
    seed_file.write_text(document)
    completed = subprocess.run(
        [*EMULATOR_COMMAND, "--port", "0", "--seed-file", str(seed_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 1
    (line,) = completed.stderr.strip().splitlines()
    assert "bad --seed-file" in line and str(seed_file) in line and problem in line, line
    assert "Traceback" not in completed.stderr


def test_a_seed_file_may_name_the_id_contact_id_as_seed_contact_does(tmp_path):
    from connect_contact_defaults.testing.connect_emulator.__main__ import seed_from_file  # noqa: PLC0415

    seed_file = tmp_path / "contacts.json"
    seed_file.write_text(json.dumps({"instances": {"i-1": [{"id": "a"}, {"contact_id": "b", "channel": "TASK"}]}}))
    with ConnectEmulator() as emulator:
        assert seed_from_file(emulator, seed_file) == 2
        assert emulator.contact("i-1", "b").channel == "TASK" and emulator.contact("i-1", "a").channel == "VOICE"
