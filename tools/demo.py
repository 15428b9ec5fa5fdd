"""`make demo`: the example app's custom resources through Create, Update and Delete, with no AWS account.

1. Synthesizes app.py with the pinned CDK CLI (twice: the Update changes the contact selection).
2. Starts the local Connect emulator with seeded contacts (email, task, voice), initiated now.
3. Runs the synthesized Lambda asset from cdk.out with CloudFormation-shaped events built from the
   synthesized template's properties, and prints the contacts' attributes and expiry before and
   after each step: the listed contacts' resource through Create, Update and Delete, then the
   search resource (email and task contacts of the last 7 days) through Create and Delete.
   Exits non-zero if any step fails.
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
    LambdaRunner,
    ResponseServer,
    make_certificates,
    string_properties,
    synthesized_function_asset,
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


def synth(out: Path, contact_ids: list[str]) -> dict[str, Any]:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env.update(CDK_DISABLE_VERSION_CHECK="true", CDK_DISABLE_CLI_TELEMETRY="true")
    command = [
        str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--output", str(out),
        "-c", f"instanceId={INSTANCE_ID}", "-c", f"contactIds={','.join(contact_ids)}", "-c", "removalPolicy=destroy",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    (template_file,) = out.glob("*.template.json")
    return json.loads(template_file.read_text())


def resolve(value: Any) -> Any:
    """The intrinsics the example template uses, resolved the way CloudFormation would for this demo."""
    if isinstance(value, dict):
        if value == {"Ref": "AWS::Region"}:
            return REGION
        if set(value) == {"Fn::GetAtt"}:
            return f"arn:aws:lambda:{REGION}:123456789012:function:ContactDefaultsFunction"
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item) for item in value]
    return value


def custom_resource(template: dict[str, Any], construct_id: str) -> tuple[str, dict[str, Any]]:
    (logical_id, resource), *others = [
        (name, res)
        for name, res in template["Resources"].items()
        if res["Type"] == "Custom::ConnectContactDefaults" and name.startswith(construct_id)
    ]
    assert not others, f"the demo expects one ContactDefaults {construct_id}"
    return logical_id, string_properties(resolve(resource["Properties"]))


def table(title: str, emulator: ConnectEmulator) -> None:
    print(f"\n{title}")
    print(f"  {'contact':38} {'channel':7} {'expiry (min)':>12}  attributes")
    for contact in SEED:
        expiry = emulator.expiry_minutes(INSTANCE_ID, contact.contact_id)
        attributes = json.dumps(emulator.attributes(INSTANCE_ID, contact.contact_id), sort_keys=True)
        print(
            f"  {contact.contact_id:38} {contact.channel:7} {expiry if expiry is not None else '-':>12}  {attributes}"
        )


def step(runner: LambdaRunner, emulator: ConnectEmulator, title: str, event: dict[str, Any]) -> str:
    mark = len(emulator.requests)
    result = runner.send(event, region=REGION)
    calls = len(emulator.requests) - mark
    print(f"\n== {title}: {result.status}  Data={json.dumps(result.data)}  ({calls} Connect calls)")
    if result.status != "SUCCESS":
        print(f"   Reason: {result.response.get('Reason')}")
        raise SystemExit(f"demo step failed: {title}")
    table(f"after {title}", emulator)
    return result.physical_id


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="contact-defaults-demo-") as work:
        work_dir = Path(work)
        print("synthesizing app.py (Create declaration) ...")
        created_template = synth(work_dir / "cdk.out.create", CREATE_CONTACTS)
        logical_id, create_props = custom_resource(created_template, "GreetingDefaults")
        search_id, search_props = custom_resource(created_template, "RecentEmailAndTaskDefaults")
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
                physical_id = step(
                    runner, emulator, "Create", runner.event("Create", create_props, logical_id=logical_id)
                )
                update = runner.event(
                    "Update", update_props, old_properties=create_props, physical_id=physical_id, logical_id=logical_id
                )
                step(runner, emulator, "Update", update)
                delete = runner.event("Delete", update_props, physical_id=physical_id, logical_id=logical_id)
                step(runner, emulator, "Delete (removal_policy=DESTROY)", delete)
                search_create = runner.event("Create", search_props, logical_id=search_id)
                search_physical_id = step(
                    runner, emulator, "Create (search: email and task contacts of the last 7 days)", search_create
                )
                search_delete = runner.event(
                    "Delete", search_props, physical_id=search_physical_id, logical_id=search_id
                )
                step(runner, emulator, "Delete (search, the query run again; removal_policy=DESTROY)", search_delete)
                runner.close()
        finally:
            responses.close()
    print("\ndemo: Create, Update and Delete (listed contacts), Create and Delete (search) all succeeded")


if __name__ == "__main__":
    main()
