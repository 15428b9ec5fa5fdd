"""connect-contact-defaults status against moto's server mode: the stack's resources from CloudFormation
(ListStackResources, DescribeStacks), the progress records from the state table, written through
ProgressSnapshot.to_item() as the handler's lease heartbeat writes them."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import tool_env
from plan_testing import REGION, ROOT
from rich.console import Console

from connect_contact_defaults.plan.deployment_status import state_table_logical_id
from connect_contact_defaults.plan.status_report import status_renderable
from connect_contact_rules import PROGRESS_ATTRIBUTE, RESOURCE_TYPE
from contact_reconciler.progress_record import ProgressSnapshot
from contact_reconciler.resource_lease import LEASE_PARTITION

STATUS_APP = Path(__file__).resolve().parent / "status_app.py"


@pytest.fixture(scope="module")
def status_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("status-app") / "cdk.out"
    command = [
        str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--app", f"{sys.executable} {STATUS_APP}",
        "--output", str(out),
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=out.parent, env=tool_env(), capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


@dataclasses.dataclass
class DeployedStack:
    name: str
    table: str
    custom_resources: list[str]
    """Logical IDs in template order: the shards of Sharded, then Single."""
    dynamodb: Any

    def record(self, logical_id: str, snapshot: ProgressSnapshot) -> None:
        """What the lease heartbeat writes: the progress attribute of the resource's lease item."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": LEASE_PARTITION}, "sk": {"S": logical_id}},
            UpdateExpression="SET #progress = :progress, #owner = :owner",
            ExpressionAttributeNames={"#progress": PROGRESS_ATTRIBUTE, "#owner": "owner"},
            ExpressionAttributeValues={":progress": snapshot.to_item(), ":owner": {"S": snapshot.request_id}},
        )


@pytest.fixture
def deployed(local_aws: None, monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, status_assembly: Path):
    """The stack in moto's CloudFormation: its state table (as synthesized) and a stand-in for each custom
    resource under its logical ID (moto runs no custom resource), so ListStackResources names them all."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_endpoint)
    template = json.loads((status_assembly / "Watched.template.json").read_text())
    table_id = state_table_logical_id(template)
    custom = [key for key, value in template["Resources"].items() if value["Type"] == RESOURCE_TYPE]
    deployed_template = {
        "Resources": {
            table_id: template["Resources"][table_id],
            **{logical_id: {"Type": "AWS::CloudFormation::WaitConditionHandle"} for logical_id in custom},
        }
    }
    name = f"Watched-{uuid.uuid4().hex[:8]}"
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(deployed_template))
    table = cloudformation.describe_stack_resource(StackName=name, LogicalResourceId=table_id)["StackResourceDetail"][
        "PhysicalResourceId"
    ]
    return DeployedStack(name, table, custom, boto3.client("dynamodb", region_name=REGION))


@pytest.fixture
def assembly_for(status_assembly: Path, tmp_path: Path):
    """A copy of the assembly whose stack is named as the deployed one."""

    def copy(stack_name: str) -> Path:
        out = tmp_path / "cdk.out"
        subprocess.run(["cp", "-r", str(status_assembly), str(out)], check=True)
        manifest = json.loads((out / "manifest.json").read_text())
        manifest["artifacts"]["Watched"]["properties"]["stackName"] = stack_name
        (out / "manifest.json").write_text(json.dumps(manifest))
        return out

    return copy


def snapshot(**changes: Any) -> ProgressSnapshot:
    base = ProgressSnapshot(
        operation="Create",
        request_id="req-1",
        state="running",
        started_at=time.time() - 100,
        updated_at=time.time(),
        done=0,
        total=13,
        updated=0,
        unchanged=0,
        missing=0,
        failed=0,
        throttled=0,
        invocation=1,
        shard_index=None,
        shard_count=None,
    )
    return dataclasses.replace(base, **changes)


def resources_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    (stack,) = document["stacks"]
    return stack["resources"]


def test_before_any_record_every_shard_is_waiting_in_order(deployed, assembly_for, run_command):
    run = run_command("status", "--assembly", assembly_for(deployed.name), "--json")
    assert run.exit_code == 2, run.stderr
    (stack,) = run.json["stacks"]
    assert (stack["stack"], stack["stateTable"]) == (deployed.name, deployed.table)
    resources = stack["resources"]
    assert [resource["logicalId"] for resource in resources] == deployed.custom_resources
    shards = [resource["shard"] for resource in resources if resource["shard"] is not None]
    count = len(shards)
    assert count > 1
    assert shards == [{"index": index, "count": count} for index in range(count)]
    assert {resource["state"] for resource in resources} == {"waiting"}
    assert stack["queued"] == len(resources)


def test_a_running_create_reports_done_and_total_rising_with_a_finite_eta(deployed, assembly_for, run_command):
    assembly = assembly_for(deployed.name)
    first, *_ = deployed.custom_resources
    started = time.time() - 10
    seen = []
    for done in (3, 7, 11):
        deployed.record(
            first,
            snapshot(
                started_at=started, updated_at=started + done, done=done, updated=done, shard_index=0, shard_count=5
            ),
        )
        run = run_command("status", "--assembly", assembly, "--json")
        assert run.exit_code == 2
        seen.append(resources_of(run.json)[0])
    assert [resource["state"] for resource in seen] == ["running"] * 3
    assert [resource["done"] for resource in seen] == [3, 7, 11]
    assert {resource["total"] for resource in seen} == {13}
    assert [resource["percent"] for resource in seen] == [23.1, 53.8, 84.6]
    for resource in seen:
        assert resource["contactsPerSecond"] == pytest.approx(1.0)
        assert 0 < resource["secondsLeft"] < float("inf")
    assert [resource["secondsLeft"] for resource in seen] == pytest.approx([10, 6, 2])
    # the shards after the running one are still queued
    (stack,) = run.json["stacks"]
    assert stack["queued"] == len(deployed.custom_resources) - 1
    assert [resource["state"] for resource in resources_of(run.json)[1:]] == ["waiting"] * stack["queued"]


def test_after_the_create_it_reports_done_with_the_right_counts(deployed, assembly_for, run_command):
    assembly = assembly_for(deployed.name)
    for logical_id in deployed.custom_resources:
        deployed.record(
            logical_id,
            snapshot(state="done", done=13, updated=9, unchanged=2, missing=1, failed=1, throttled=4, invocation=2),
        )
    run = run_command("status", "--assembly", assembly, "--json")
    assert run.exit_code == 0, run.stdout
    for resource in resources_of(run.json):
        assert resource["state"] == "done"
        assert {key: resource[key] for key in ("done", "total", "updated", "unchanged", "missing", "failed")} == {
            "done": 13,
            "total": 13,
            "updated": 9,
            "unchanged": 2,
            "missing": 1,
            "failed": 1,
        }
        assert (resource["throttled"], resource["secondsLeft"], resource["percent"]) == (4, 0.0, 100.0)
    assert run.json["stacks"][0]["queued"] == 0


def test_a_failed_resource_exits_2(deployed, assembly_for, run_command):
    assembly = assembly_for(deployed.name)
    for logical_id in deployed.custom_resources:
        deployed.record(logical_id, snapshot(state="done", done=13))
    deployed.record(deployed.custom_resources[1], snapshot(state="failed", done=5, failed=5))
    run = run_command("status", "--assembly", assembly, "--json")
    assert run.exit_code == 2
    assert [resource["state"] for resource in resources_of(run.json)].count("failed") == 1


def test_watch_follows_the_chain_until_every_shard_is_done(deployed, assembly_for, run_command):
    assembly = assembly_for(deployed.name)
    ids = deployed.custom_resources
    started = time.time()

    def deploy() -> None:  # the chain: one resource after another, each running then done
        for logical_id in ids:
            deployed.record(logical_id, snapshot(started_at=started, updated_at=started + 1, done=5, updated=5))
            time.sleep(0.3)
            deployed.record(logical_id, snapshot(state="done", done=13, updated=13))

    worker = threading.Thread(target=deploy)
    worker.start()
    try:
        run = run_command("status", "--assembly", assembly, "--watch", "--interval", "1", "--json")
    finally:
        worker.join()
    assert run.exit_code == 0
    assert [resource["state"] for resource in resources_of(run.json)] == ["done"] * len(ids)


def test_the_text_shows_a_progress_bar_rate_and_time_left(deployed, assembly_for, run_command):
    assembly = assembly_for(deployed.name)
    started = time.time() - 100
    deployed.record(
        deployed.custom_resources[0],
        snapshot(started_at=started, updated_at=started + 100, done=470, total=2_000, updated=470, throttled=12),
    )
    run = run_command("status", "--assembly", assembly)
    assert run.exit_code == 2
    assert "470 of 2,000 (24%)" in run.stdout
    assert "4.7/s, about 6 min left" in run.stdout
    assert "1 running, " in run.stdout
    assert "Watched/Sharded shard 1 of 7" in run.stdout, run.stdout
    assert "waiting" in run.stdout


def test_the_progress_bar_is_drawn_by_rich_in_a_terminal(deployed, assembly_for, run_command):
    """The same reading rendered to a terminal console: the bar's block characters and colours."""
    assembly = assembly_for(deployed.name)
    deployed.record(deployed.custom_resources[0], snapshot(done=6, updated=6))
    run = run_command("status", "--assembly", assembly, "--json")
    from connect_contact_defaults.plan.deployment_status import ResourceStatus, StackStatus  # noqa: PLC0415

    resource = resources_of(run.json)[0]
    status = StackStatus(
        deployed.name,
        deployed.table,
        "CREATE_IN_PROGRESS",
        [ResourceStatus(resource["logicalId"], "Watched/Sharded", 0, 5, "running", snapshot(done=6, updated=6))],
    )
    output = io.StringIO()
    Console(file=output, force_terminal=True, width=160, color_system="truecolor").print(status_renderable([status]))
    text = output.getvalue()
    assert "━" in text
    assert "\x1b[" in text
    assert "6 of 13 (46%)" in text


def test_no_table_is_an_error_naming_the_stack(local_aws, monkeypatch, moto_endpoint, assembly_for, run_command):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_endpoint)
    run = run_command("status", "--assembly", assembly_for("NeverDeployed"))
    assert run.exit_code == 1
    assert "stack NeverDeployed does not exist" in run.stderr


def test_a_create_the_handler_runs_shows_in_status_as_it_goes_then_done(
    deployed, assembly_for, run_command, moto_endpoint, status_assembly, tmp_path
):
    """End to end: the synthesized handler runs a Create of the first shard (its own Connect emulator, the
    stack's state table in moto), its lease heartbeat writes the progress record, and status reads it."""
    from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact  # noqa: PLC0415
    from connect_contact_defaults.testing.local_cloudformation import (  # noqa: PLC0415
        LambdaRunner,
        ResponseServer,
        make_certificates,
        resource_properties,
        synthesized_function_asset,
    )

    instance = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
    assembly = assembly_for(deployed.name)
    first = deployed.custom_resources[0]
    (tmp_path / "tls").mkdir()
    certificates = make_certificates(tmp_path / "tls")
    responses = ResponseServer(certificates)
    with ConnectEmulator(seed=7) as connect:
        ids = [f"task-{n:03d}" for n in range(40)]
        connect.add_contacts(instance, (SeedContact(c, channel="TASK") for c in ids))
        runner = LambdaRunner(
            synthesized_function_asset(status_assembly),
            connect.endpoint_url,
            responses,
            certificates.ca_file,
            aws_endpoint_url=moto_endpoint,
        )
        runner.state_table = deployed.table
        try:
            properties = resource_properties(instance, ids, {"a": "1"}, max_requests_per_second=5)
            event = runner.event("Create", properties, logical_id=first)
            running = runner.start(event, timeout_seconds=60, extra_env={"LEASE_HEARTBEAT_SECONDS": "1"})
            seen = []
            while not running.done():
                resource = resources_of(run_command("status", "--assembly", assembly, "--json").json)[0]
                if resource["state"] == "running":
                    seen.append(resource)
                time.sleep(0.5)
            result = running.result()
        finally:
            runner.close()
            responses.close()
    assert result.status == "SUCCESS", result.logs
    assert len(seen) >= 3
    done = [resource["done"] for resource in seen]
    assert done == sorted(done) and done[-1] > done[0]
    assert {resource["total"] for resource in seen} == {40}
    assert any(0 < (resource["secondsLeft"] or 0) < float("inf") for resource in seen)
    final = run_command("status", "--assembly", assembly, "--json")
    resources = resources_of(final.json)
    assert (resources[0]["state"], resources[0]["done"], resources[0]["updated"]) == ("done", 40, 40)
    assert {resource["state"] for resource in resources[1:]} == {"waiting"}  # the other shards, still queued
