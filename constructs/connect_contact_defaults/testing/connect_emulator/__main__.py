"""python -m connect_contact_defaults.testing.connect_emulator [--port 8080] [--seed-file contacts.json]: serves until Ctrl-C.

Seed file: {"instances": {"<instance-id>": [{"id": ..., "channel": ..., "attributes": {...},
"segment_attributes": {...}, "initiation_method": ..., "initiation_timestamp": <epoch seconds>, "queue_id": ...}]}}
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import Any

from . import ConnectEmulator, SeedContact


def seed_from_file(emulator: ConnectEmulator, path: Path) -> int:
    """Seeds the emulator from a seed file; returns the number of contacts."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    for instance_id, contacts in document.get("instances", {}).items():
        emulator.add_instance(instance_id)
        emulator.add_contacts(
            instance_id,
            (
                SeedContact(
                    contact["id"],
                    channel=contact.get("channel", "VOICE"),
                    attributes=contact.get("attributes", {}),
                    segment_attributes=contact.get("segment_attributes", {}),
                    initiation_method=contact.get("initiation_method", "API"),
                    initiation_timestamp=contact.get("initiation_timestamp"),
                    queue_id=contact.get("queue_id"),
                )
                for contact in contacts
            ),
        )
        count += len(contacts)
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m connect_contact_defaults.testing.connect_emulator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=8080, help="0 = a free port (default 8080)")
    parser.add_argument("--seed-file", type=Path)
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
        seeded = seed_from_file(emulator, args.seed_file) if args.seed_file else 0
        print(f"Connect emulator at {emulator.endpoint_url} ({seeded} contacts); Ctrl-C stops it", flush=True)
        print(f"  export AWS_ENDPOINT_URL_CONNECT={emulator.endpoint_url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", flush=True)


if __name__ == "__main__":
    main()
