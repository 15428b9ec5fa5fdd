"""Helpers of the plan/drift command tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plan_scenarios_app import INSTANCE_ID

from connect_contact_defaults.testing.connect_emulator import SeedContact

ROOT = Path(__file__).resolve().parents[3]
APP = Path(__file__).resolve().parent / "plan_scenarios_app.py"
REGION = "eu-west-2"
ACCOUNT = "123456789012"
FILE_CONTACTS = ["c-02", "c-03", "c-07"]


def template(assembly: Path, stack: str) -> dict[str, Any]:
    return json.loads((assembly / f"{stack}.template.json").read_text())


EXPIRY_60 = {"connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 60}}}}
ASSET_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"


def asset_bucket(s3: Any) -> str:
    """The CDK asset bucket of the test account and Region, created once (moto's server lives for the session)."""
    if ASSET_BUCKET not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=ASSET_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return ASSET_BUCKET


def seed_v1(emulator: Any, **overrides: SeedContact) -> None:
    """Contacts before V1 is deployed (c-05-missing does not exist)."""
    contacts = {
        "c-01": SeedContact("c-01", channel="EMAIL"),
        "c-02": SeedContact("c-02", channel="TASK", attributes={"greeting": "hey"}),
        "c-03": SeedContact("c-03", channel="VOICE", attributes={"queue": "sales"}),
        "c-04": SeedContact(
            "c-04", channel="EMAIL", attributes={"greeting": "hello", "tier": "gold"}, segment_attributes=EXPIRY_60
        ),
        "c-06": SeedContact("c-06", channel="TASK"),
    }
    contacts.update(overrides)
    emulator.add_contacts(INSTANCE_ID, contacts.values())


def write_template(tmp_path: Path, document: dict[str, Any], name: str = "deployed.template.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def contacts(
    write: int = 0, unchanged: int = 0, missing: int = 0, would_fail: int = 0, expiry_skipped: int = 0
) -> dict[str, int]:
    return {
        "write": write,
        "unchanged": unchanged,
        "missing": missing,
        "wouldFail": would_fail,
        "expirySkipped": expiry_skipped,
    }
