"""`make plan-demo`: `connect-contact-defaults plan` and `drift` on the example app, against the local emulator.

1. Synthesizes app.py twice (as tools/demo.py does: the second declaration drops one contact, adds one).
2. Seeds the local Connect emulator, then for each deployment: prints the plan (the real command, in a
   subprocess, with the deployed template given as a file), deploys the same change with the synthesized
   handler (LambdaRunner) and prints the Data each resource returned, so the two can be compared. The
   first deployment creates both resources of the example app (the listed contacts and the search of the
   last 7 days: the plan runs that search read-only); the second updates the listed one only.
3. Prints `drift` right after the deployment (nothing drifted), then after a contact was edited by hand.
No AWS account is used: the command's SDK points at the emulator only.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3
from demo import CREATE_CONTACTS, INSTANCE_ID, REGION, SEED, UPDATE_CONTACTS, custom_resource, synth

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator
from connect_contact_defaults.testing.local_cloudformation import (
    LambdaRunner,
    ResponseServer,
    make_certificates,
    synthesized_function_asset,
)
from connect_contact_defaults.testing.local_cloudformation.local_aws import local_aws_environment

STACK = "ContactDefaultsExampleStack"


def command(emulator: ConnectEmulator, work_dir: Path, *args: str) -> int:
    """Runs connect-contact-defaults with the emulator as Connect; prints what it prints."""
    env = local_aws_environment(REGION, {"connect": emulator.endpoint_url})
    print(f"\n$ connect-contact-defaults {' '.join(args)}")
    completed = subprocess.run(
        [sys.executable, "-m", "connect_contact_defaults", *args],
        cwd=work_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(completed.stdout.rstrip())
    if completed.stderr.strip():
        print(completed.stderr.rstrip())
    print(f"(exit code {completed.returncode})")
    if completed.returncode == 1:
        raise SystemExit("plan demo: the command failed")
    return completed.returncode


def deploy(runner: LambdaRunner, event: dict[str, Any], title: str) -> str:
    result = runner.send(event, region=REGION)
    print(f"\n== deployed ({title}): {result.status}  Data={json.dumps(result.data)}")
    if result.status != "SUCCESS":
        raise SystemExit(f"plan demo: {title} failed: {result.response.get('Reason')}")
    return result.physical_id


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the runner's local AWS stand-in logs every request
    with tempfile.TemporaryDirectory(prefix="contact-defaults-plan-demo-") as work:
        work_dir = Path(work)
        first, second = work_dir / "cdk.out.create", work_dir / "cdk.out.update"
        print("synthesizing app.py twice (the second declaration drops one contact and adds one) ...")
        synth(first, CREATE_CONTACTS)
        logical_id, create_props = custom_resource(first, "GreetingDefaults")
        search_id, search_props = custom_resource(first, "RecentEmailAndTaskDefaults")
        new_task_id, new_task_props = custom_resource(first, "NewTaskDefaults")
        _, update_props = custom_resource(synth(second, UPDATE_CONTACTS), "GreetingDefaults")
        (work_dir / "nothing-deployed.json").write_text('{"Resources": {}}')
        certificates = make_certificates(work_dir)
        responses = ResponseServer(certificates)
        try:
            with ConnectEmulator() as emulator:
                emulator.add_contacts(INSTANCE_ID, SEED)
                runner = LambdaRunner(
                    synthesized_function_asset(second), emulator.endpoint_url, responses, certificates.ca_file
                )
                command(
                    emulator, work_dir, "plan", "--assembly", first.name, "--deployed-template", "nothing-deployed.json"
                )
                physical_id = deploy(runner, runner.event("Create", create_props, logical_id=logical_id), "Create")
                deploy(runner, runner.event("Create", search_props, logical_id=search_id), "Create (search)")
                new_tasks = runner.event("Create", new_task_props, logical_id=new_task_id)
                deploy(runner, new_tasks, "Create (continuous search)")

                deployed = f"{first.name}/{STACK}.template.json"
                command(emulator, work_dir, "plan", "--assembly", second.name, "--deployed-template", deployed)
                update = runner.event(
                    "Update", update_props, old_properties=create_props, physical_id=physical_id, logical_id=logical_id
                )
                deploy(runner, update, "Update")

                deployed = f"{second.name}/{STACK}.template.json"
                command(emulator, work_dir, "drift", "--assembly", second.name, "--deployed-template", deployed)
                edited = SEED[3].contact_id
                print(f'\n(by hand: UpdateContactAttributes {edited} greetingPlayed="")')
                connect = boto3.client(
                    "connect",
                    region_name=REGION,
                    endpoint_url=emulator.endpoint_url,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                )
                connect.update_contact_attributes(
                    InstanceId=INSTANCE_ID, InitialContactId=edited, Attributes={"greetingPlayed": ""}
                )
                command(emulator, work_dir, "drift", "--assembly", second.name, "--deployed-template", deployed)
                runner.close()
        finally:
            responses.close()


if __name__ == "__main__":
    main()
