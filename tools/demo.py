"""`make demo`: the example app's custom resources through Create, Update and Delete, with no AWS account.

1. Synthesizes app.py with the pinned CDK CLI (twice: the Update changes the contact selection), with
   removal_policy=DESTROY, so that the Delete clears the values the resource set.
2. Starts the local Connect emulator with seeded contacts (email, task, voice).
3. Runs the synthesized Lambda asset from cdk.out with CloudFormation-shaped events built from the
   synthesized template's properties, and prints the contacts' attributes and expiry after each step,
   with a line per contact saying why it ended as it did: the listed contacts' resource through Create,
   Update and Delete, then the search resource (email and task contacts of the last 7 days; the seeded
   contacts were initiated just now) through Create and Delete.
4. Continuous stamping (NewTaskDefaults): creates a task contact after the "deployment"; the emulator publishes
   its INITIATED event to moto's EventBridge, the synthesized rule delivers it to the queue, and the continuous
   function (run from the asset) stamps the contact. Exits non-zero if any step fails.

Needs only requirements-demo.txt (make demo installs it into .build/demo-venv), the CDK CLI and `make asset`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "constructs")]

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact  # noqa: E402
from connect_contact_defaults.testing.local_cloudformation import (  # noqa: E402
    ContinuousFunction,
    EventSourcePoller,
    LambdaRunner,
    LocalContinuousStream,
    ResponseServer,
    make_certificates,
    synthesized_function_asset,
    synthesized_resource_properties,
)

REGION = "eu-west-2"
INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
SEED = [
    SeedContact("11111111-aaaa-4000-8000-000000000001", channel="EMAIL", attributes={}),
    SeedContact("11111111-aaaa-4000-8000-000000000002", channel="TASK", attributes={"greetingPlayed": "true"}),
    SeedContact("11111111-aaaa-4000-8000-000000000003", channel="VOICE", attributes={"queue": "sales"}),
    SeedContact("11111111-aaaa-4000-8000-000000000004", channel="EMAIL", attributes={}),
]
CREATE_CONTACTS = [contact.contact_id for contact in SEED[:3]]
UPDATE_CONTACTS = [contact.contact_id for contact in SEED[1:]]


def synth(out: Path, contact_ids: list[str]) -> Path:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "constructs"), env.get("PYTHONPATH", "")])  # not installed
    env.update(CDK_DISABLE_VERSION_CHECK="true", CDK_DISABLE_CLI_TELEMETRY="true")
    command = [
        str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--output", str(out),
        "-c", f"instanceId={INSTANCE_ID}", "-c", f"contactIds={','.join(contact_ids)}", "-c", "removalPolicy=destroy",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return out


def custom_resource(cdk_out: Path, construct_id: str) -> tuple[str, dict[str, Any]]:
    """One ContactDefaults of the example app: its logical ID and the properties CloudFormation would send."""
    ((logical_id, properties),) = [
        (name, properties)
        for name, properties in synthesized_resource_properties(cdk_out, region=REGION).items()
        if name.startswith(construct_id)
    ]
    return logical_id, properties


def table(title: str, emulator: ConnectEmulator) -> None:
    print(f"\n{title}")
    print(f"  {'contact':38} {'channel':7} {'expiry (min)':>12}  attributes")
    for contact in SEED:
        expiry = emulator.expiry_minutes(INSTANCE_ID, contact.contact_id)
        attributes = json.dumps(emulator.attributes(INSTANCE_ID, contact.contact_id), sort_keys=True)
        print(
            f"  {contact.contact_id:38} {contact.channel:7} {expiry if expiry is not None else '-':>12}  {attributes}"
        )


def snapshot(emulator: ConnectEmulator) -> dict[str, tuple[dict[str, str], int | None]]:
    return {
        contact.contact_id: (
            emulator.attributes(INSTANCE_ID, contact.contact_id),
            emulator.expiry_minutes(INSTANCE_ID, contact.contact_id),
        )
        for contact in SEED
    }


def why(
    contact: SeedContact,
    before: tuple[dict[str, str], int | None],
    after: tuple[dict[str, str], int | None],
    *,
    declared: dict[str, str],
    selected: bool,
    left: str = "dropped from the selection",
    expiry_declared: bool = True,
) -> str:
    """Why one contact ended as it did, read from its state before and after the step (not from the plan)."""
    (old, old_expiry), (new, new_expiry) = before, after
    reasons = []
    for key, value in sorted(declared.items()):
        if new.get(key, "") == value:
            reasons.append(f"{key} set" if old.get(key, "") != value else f"{key} already held the declared value")
        elif new.get(key, "") == "" and old.get(key, "") == value:
            reasons.append(f"{key} cleared (DESTROY: the value this resource had set)")
        elif new.get(key, "") == old.get(key, "") and old.get(key, ""):
            rule = "FILL_MISSING never overwrites it" if selected else "DESTROY clears only what this resource set"
            reasons.append(f"{key} kept: somebody else's value ({rule})")
        elif new.get(key, "") != old.get(key, ""):
            reasons.append(f"{key} changed")
    others = sorted(set(new) - set(declared))
    if others:
        reasons.append(f"{', '.join(others)} untouched (not declared)")
    if not expiry_declared:
        pass  # this resource declares no expiry: nothing to say about it
    elif contact.channel not in {"EMAIL", "TASK"}:
        reasons.append("no expiry: Connect sets one only on email and task contacts (counted in ExpirySkipped)")
    elif new_expiry != old_expiry:
        reasons.append(f"expiry set to {new_expiry} min")
    elif new_expiry is not None and not selected:
        reasons.append("expiry stays: Connect cannot unset it")
    elif new_expiry is not None:
        reasons.append("expiry already as declared")
    if not selected and old == new and old_expiry == new_expiry:
        return "not selected: untouched" if left != "resource deleted" else "nothing of this resource's left: untouched"
    return (f"{left}: " if not selected else "") + "; ".join(reasons)


def step(
    runner: LambdaRunner,
    emulator: ConnectEmulator,
    title: str,
    event: dict[str, Any],
    selected: set[str],
) -> str:
    left = "resource deleted" if event["RequestType"] == "Delete" else "dropped from the selection"
    before = snapshot(emulator)
    mark = len(emulator.requests)
    result = runner.send(event, region=REGION)
    calls = len(emulator.requests) - mark
    print(f"\n== {title}: {result.status}  Data={json.dumps(result.data)}  ({calls} Connect calls)")
    if result.status != "SUCCESS":
        print(f"   Reason: {result.response.get('Reason')}")
        raise SystemExit(f"demo step failed: {title}")
    table(f"after {title}", emulator)
    after = snapshot(emulator)
    declared = event["ResourceProperties"]["Attributes"]
    print("  why:")
    for contact in SEED:
        line = why(contact, before[contact.contact_id], after[contact.contact_id], declared=declared,
                   selected=contact.contact_id in selected, left=left,
                   expiry_declared="ContactExpiryMinutes" in event["ResourceProperties"])  # fmt: skip
        print(f"  {contact.contact_id[-4:]} {contact.channel:5}  {line}")
    return result.physical_id


NEW_TASK_ID = "22222222-bbbb-4000-8000-000000000001"


def continuous_step(cdk_out: Path, runner: LambdaRunner, emulator: ConnectEmulator) -> None:
    """NewTaskDefaults (continuous): a task contact created after the deployment gets the declaration from its
    INITIATED event: the synthesized rule on moto's EventBridge, its queue on moto's SQS, the continuous function
    run from the asset on what the queue delivered."""
    from connect_contact_defaults.testing.local_cloudformation import local_client  # noqa: PLC0415

    function = ContinuousFunction.from_template(cdk_out, "NewTaskDefaults", region=REGION)
    stream = LocalContinuousStream(runner.aws_endpoint_url, function, region=REGION)
    publisher = emulator.publish_events_to(local_client("events", runner.aws_endpoint_url, REGION), REGION)
    print("\n== Continuous (NewTaskDefaults): a task contact created after the deployment")
    print(f"  rule pattern: {json.dumps(function.event_pattern['detail'], sort_keys=True)}")
    emulator.start_task_contact(INSTANCE_ID, NEW_TASK_ID)
    print(
        f"  StartTaskContact {NEW_TASK_ID}: Connect publishes {[e['Detail']['eventType'] for e in publisher.published]}"
    )
    print(f"  messages in the queue: {stream.depth(stream.queue_url)}")
    poller = EventSourcePoller(function, stream.sqs, stream.queue_url, connect_endpoint_url=emulator.endpoint_url)
    batches = poller.drain()
    attributes = emulator.attributes(INSTANCE_ID, NEW_TASK_ID)
    expiry = emulator.expiry_minutes(INSTANCE_ID, NEW_TASK_ID)
    print(f"  consumer: {batches} batch(es); contact now holds {json.dumps(attributes)}, expiry {expiry} min")
    caused = [e["Detail"]["eventType"] for e in publisher.published[1:]]
    print(f"  our writes caused {caused}: the rule matches none of them (queue depth {stream.depth(stream.queue_url)})")
    stream.close()
    if attributes.get("taskSource") != "api" or expiry != 7 * 24 * 60:
        raise SystemExit("demo step failed: the new contact did not get the continuous declaration")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="contact-defaults-demo-") as work:
        work_dir = Path(work)
        print("synthesizing app.py (Create declaration) ...")
        created_out = synth(work_dir / "cdk.out.create", CREATE_CONTACTS)
        logical_id, create_props = custom_resource(created_out, "GreetingDefaults")
        search_id, search_props = custom_resource(created_out, "RecentEmailAndTaskDefaults")
        print("synthesizing app.py (Update declaration: one contact dropped, one added) ...")
        _, update_props = custom_resource(synth(work_dir / "cdk.out.update", UPDATE_CONTACTS), "GreetingDefaults")
        asset_dir = synthesized_function_asset(work_dir / "cdk.out.update")
        print(f"Lambda asset: {asset_dir}")
        certificates = make_certificates(work_dir)
        responses = ResponseServer(certificates)
        try:
            with ConnectEmulator() as emulator:
                emulator.add_contacts(INSTANCE_ID, SEED)
                runner = LambdaRunner(asset_dir, emulator.endpoint_url, responses, certificates.ca_file)
                table("before", emulator)
                create = runner.event("Create", create_props, logical_id=logical_id)
                physical_id = step(runner, emulator, "Create", create, set(CREATE_CONTACTS))
                update = runner.event(
                    "Update", update_props, old_properties=create_props, physical_id=physical_id, logical_id=logical_id
                )
                step(runner, emulator, "Update (contact ...0001 dropped, ...0004 added)", update, set(UPDATE_CONTACTS))
                delete = runner.event("Delete", update_props, physical_id=physical_id, logical_id=logical_id)
                print(
                    "\nThe demo synthesized the app with removal_policy=DESTROY: Delete clears what the resource set."
                )
                step(runner, emulator, "Delete (removal_policy=DESTROY)", delete, set())
                searched = {contact.contact_id for contact in SEED if contact.channel in {"EMAIL", "TASK"}}
                search_create = runner.event("Create", search_props, logical_id=search_id)
                title = "Create (search: email and task contacts of the last 7 days)"
                search_physical_id = step(runner, emulator, title, search_create, searched)
                search_delete = runner.event(
                    "Delete", search_props, physical_id=search_physical_id, logical_id=search_id
                )
                step(runner, emulator, "Delete (search, the query run again; DESTROY)", search_delete, set())
                continuous_step(created_out, runner, emulator)
                runner.close()
        finally:
            responses.close()
    print(
        "\ndemo: Create, Update and Delete (listed contacts), Create and Delete (search) and the continuous "
        "stamping of a new contact all succeeded"
    )


if __name__ == "__main__":
    main()
