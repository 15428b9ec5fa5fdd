"""Selections longer than one ServiceTimeout: the construct's shards, run by the synthesized asset.

A real `cdk synth` (the pinned CLI) of a stack with 600 IDs at a budget of 10 per API and a 20-second
ServiceTimeout gives chained shards; their Creates, run in dependency order against the emulator, write every
contact once. An Update that changes the budget (so the shard count) clears nothing still declared, and a Delete
under DESTROY clears every shard.
"""

import json
import subprocess
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, cdk_env

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import string_properties
from connect_contact_rules import contacts_within

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
IDS = [f"contact-{n:03d}" for n in range(600)]
APP = textwrap.dedent(
    f"""
    import aws_cdk as cdk
    from connect_contact_defaults import ContactDefaults, ContactSelection

    app = cdk.App()
    stack = cdk.Stack(app, "ShardedDefaults")
    ContactDefaults(
        stack,
        "Defaults",
        instance_id="{INSTANCE}",
        contacts=ContactSelection.of_ids({IDS!r}),
        attributes={{"a": "1"}},
        removal_policy=cdk.RemovalPolicy.DESTROY,
        max_requests_per_second=float(app.node.get_context("budget")),
        service_timeout=cdk.Duration.seconds(20),
    )
    app.synth()
    """
)


def synthesize(tmp_path: Path, budget: int) -> list[tuple[str, dict]]:
    """(logical ID, properties as CloudFormation hands them over) of each shard, in dependency order."""
    (tmp_path / "app.py").write_text(APP)
    out = tmp_path / f"cdk.out.{budget}"
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "cdk"),
            "synth",
            "--quiet",
            "--app",
            "python app.py",
            "-c",
            f"budget={budget}",
            "--output",
            str(out),
        ],
        cwd=tmp_path,
        env=cdk_env(),
        check=True,
        capture_output=True,
    )
    resources = json.loads((out / "ShardedDefaults.template.json").read_text())["Resources"]
    shards = {name: r for name, r in resources.items() if r["Type"] == "Custom::ConnectContactDefaults"}
    ordered: list[str] = []
    while len(ordered) < len(shards):  # each shard depends on the one before it
        ordered += [
            name
            for name, r in shards.items()
            if name not in ordered and all(d in ordered for d in r.get("DependsOn", []) if d in shards)
        ]
    return [(name, handed_over(shards[name]["Properties"])) for name in ordered]


def handed_over(properties: dict) -> dict:
    resolved = {**properties, "ServiceToken": "arn:aws:lambda:eu-west-2:123456789012:function:Handler"}
    resolved["Region"] = "eu-west-2"  # {"Ref": "AWS::Region"} in an environment-agnostic stack
    return string_properties(resolved)


def shard_writes(emulator, since=0):
    return Counter(
        r.contact_id for r in emulator.requests[since:] if r.operation == "UpdateContactAttributes" and r.status == 200
    )


@pytest.fixture
def shards_at_10(tmp_path):
    return synthesize(tmp_path, 10)


def test_shards_each_fit_and_run_in_order_update_with_another_count_and_delete(
    lambda_runner, emulator, shards_at_10, tmp_path
):
    emulator.add_contacts(INSTANCE, (SeedContact(c, channel="TASK") for c in IDS))
    emulator.set_quota(rate=1000, burst=1000)  # the budget paces, not the emulator
    capacity = contacts_within(10, 20)
    assert len(shards_at_10) >= 600 / capacity
    assert "contact-000" not in json.dumps([p["Shard"] for _, p in shards_at_10])

    created: dict[str, str] = {}
    for logical_id, props in shards_at_10:
        result = lambda_runner.send(lambda_runner.event("Create", props, logical_id=logical_id), timeout_seconds=25)
        assert result.status == "SUCCESS", result.response
        assert int(result.data["Updated"]) <= capacity  # fits its ServiceTimeout by the same estimate
        created[logical_id] = result.physical_id
    assert shard_writes(emulator) == Counter(dict.fromkeys(IDS, 1))  # every contact once, in one shard

    # a higher budget needs fewer shards: phase 1 updates the ones that stay, phase 2 deletes the others
    shards_at_40 = synthesize(tmp_path, 40)
    assert len(shards_at_40) < len(shards_at_10)
    old = dict(shards_at_10)
    mark = len(emulator.requests)
    for logical_id, props in shards_at_40:
        event = lambda_runner.event(
            "Update", props, old_properties=old[logical_id], physical_id=created[logical_id], logical_id=logical_id
        )
        assert lambda_runner.send(event, timeout_seconds=25).status == "SUCCESS"
    deletes = len(emulator.requests)
    for logical_id, props in reversed(shards_at_10[len(shards_at_40) :]):  # dependents first
        event = lambda_runner.event("Delete", props, physical_id=created[logical_id], logical_id=logical_id)
        assert lambda_runner.send(event, timeout_seconds=25).status == "SUCCESS"
    assert shard_writes(emulator, mark) == Counter()  # nothing still declared was cleared (nor written)
    # every contact of a removed shard is declared by a remaining one with the same value: not even read
    assert emulator.requests[deletes:] == []
    assert all(emulator.attributes(INSTANCE, c) == {"a": "1"} for c in IDS)

    # the stack goes: every shard's Delete, dependents first, clears its contacts
    for logical_id, props in reversed(shards_at_40):
        event = lambda_runner.event("Delete", props, physical_id=created[logical_id], logical_id=logical_id)
        assert lambda_runner.send(event, timeout_seconds=25).status == "SUCCESS"
    assert all(emulator.attributes(INSTANCE, c) == {"a": ""} for c in IDS)
