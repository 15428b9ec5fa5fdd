"""Fixtures for the Connect emulator tests: an emulator without quota limits and a real boto3 client."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from emulator_helpers import INSTANCE, make_client

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact


@pytest.fixture
def emulator() -> Iterator[ConnectEmulator]:
    """Unlimited quotas (the quota tests build their own), four seeded contacts (EMAIL, TASK, VOICE, CHAT) in inst-1."""
    with ConnectEmulator(rate=math.inf) as running:
        running.add_contacts(
            INSTANCE,
            [
                SeedContact(
                    "email-1", channel="EMAIL", attributes={"existing": "x"}, initiation_timestamp=1_700_000_000.5
                ),
                SeedContact("task-1", channel="TASK"),
                SeedContact("voice-1", channel="VOICE", attributes={"a": "1"}),
                SeedContact("chat-1", channel="CHAT"),
            ],
        )
        yield running


@pytest.fixture
def client(emulator: ConnectEmulator):
    return make_client(emulator.endpoint_url)
