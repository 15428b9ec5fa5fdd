"""A local Amazon Connect endpoint for contacts; serves until Ctrl-C.

Seed file (--seed-file, JSON): instance ID -> a list of contacts; only "id" is required (the key
"contact_id", SeedContact's field name, is accepted too):

  {"instances": {"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111": [
      {"id": "11111111-2222-3333-4444-000000000001", "channel": "EMAIL",
       "attributes": {"greetingPlayed": "true"},
       "segment_attributes": {}, "initiation_method": "API",
       "initiation_timestamp": 1767225600, "queue_id": "q-1"}]}}

  channel: VOICE (default), CHAT, TASK, EMAIL, ...; initiation_timestamp: epoch seconds (default: now).

Point the AWS SDK (boto3, connect-contact-defaults plan/drift) at it with
  export AWS_ENDPOINT_URL_CONNECT=http://127.0.0.1:<port>
and any dummy credentials and a Region (it checks no signature):
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=eu-west-2
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import Any

from . import ConnectEmulator, SeedContact

SEED_KEYS = frozenset(
    {"id", "contact_id", "channel", "attributes", "segment_attributes", "initiation_method", "initiation_timestamp"}
    | {"queue_id"}
)


class SeedFileError(ValueError):
    """The seed file is not as --help describes it: the message names the file, the place and the problem."""


def _seed_contact(contact: Any, where: str) -> SeedContact:
    if not isinstance(contact, dict):
        raise SeedFileError(f'{where} is a {type(contact).__name__}, not an object such as {{"id": "..."}}')
    unknown = sorted(set(contact) - SEED_KEYS)
    if unknown:
        raise SeedFileError(
            f"{where} has unknown key(s) {', '.join(unknown)}; the keys are {', '.join(sorted(SEED_KEYS))}"
        )
    if "id" in contact and "contact_id" in contact:
        raise SeedFileError(f"{where} has both id and contact_id: give one")
    contact_id = contact.get("id", contact.get("contact_id"))
    if contact_id is None:
        raise SeedFileError(f'{where} has no "id"')
    try:
        return SeedContact(
            contact_id,
            channel=contact.get("channel", "VOICE"),
            attributes=contact.get("attributes", {}),
            segment_attributes=contact.get("segment_attributes", {}),
            initiation_method=contact.get("initiation_method", "API"),
            initiation_timestamp=contact.get("initiation_timestamp"),
            queue_id=contact.get("queue_id"),
        )
    except (TypeError, ValueError) as error:
        raise SeedFileError(f"{where}: {error}") from None


def seed_from_file(emulator: ConnectEmulator, path: Path) -> int:
    """Seeds the emulator from a seed file; returns the number of contacts. SeedFileError names what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedFileError(f"{path}: cannot read it ({error.strerror or error})") from None
    except ValueError as error:
        raise SeedFileError(f"{path}: not JSON ({error})") from None
    instances = document.get("instances") if isinstance(document, dict) else None
    if not isinstance(instances, dict):
        raise SeedFileError(f'{path}: the document is an object with "instances": {{instance ID: [contacts]}}')
    count = 0
    for instance_id, contacts in instances.items():
        if not isinstance(contacts, list):
            raise SeedFileError(f"{path}: instances[{instance_id!r}] is a {type(contacts).__name__}, not a list")
        seeds = [
            _seed_contact(contact, f"{path}: instances[{instance_id!r}][{n}]") for n, contact in enumerate(contacts)
        ]
        try:
            emulator.add_instance(instance_id)
            emulator.add_contacts(instance_id, seeds)
        except (TypeError, ValueError) as error:
            raise SeedFileError(f"{path}: instances[{instance_id!r}]: {error}") from None
        count += len(contacts)
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m connect_contact_defaults.testing.connect_emulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=8080, help="0 = a free port (default 8080)")
    parser.add_argument("--seed-file", type=Path, metavar="FILE", help="contacts to start with (format above)")
    parser.add_argument("--rate", type=float, default=10.0, help="requests/s per operation")
    parser.add_argument("--burst", type=int, default=15)
    parser.add_argument("--throttle-share", type=float, default=0.0)
    parser.add_argument("--error-share", type=float, default=0.0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    args = parser.parse_args(argv)
    emulator = ConnectEmulator(
        rate=args.rate,
        burst=args.burst,
        throttle_share=args.throttle_share,
        error_share=args.error_share,
        latency_s=args.latency,
        port=args.port,
    )
    with emulator:
        try:
            seeded = seed_from_file(emulator, args.seed_file) if args.seed_file else 0
        except SeedFileError as error:
            parser.exit(1, f"{parser.prog}: error: bad --seed-file: {error}\n")
        print(f"Connect emulator at {emulator.endpoint_url} ({seeded} contacts); Ctrl-C stops it", flush=True)
        print(f"  export AWS_ENDPOINT_URL_CONNECT={emulator.endpoint_url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", flush=True)


if __name__ == "__main__":
    main()
