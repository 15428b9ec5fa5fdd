"""A consumer's test of examples/two_stacks: synthesize it, then run each stack's Create through the synthesized
handler against the local Connect emulator, the file served from an S3 stand-in."""

import subprocess
import sys
from pathlib import Path

import pytest

from connect_contact_defaults.testing import (
    ConnectEmulator,
    LambdaRunner,
    ResponseServer,
    SeedContact,
    make_certificates,
    synthesized_function_asset,
    synthesized_resource_properties,
)

APP = Path(__file__).resolve().parents[1] / "two_stacks" / "app.py"
INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
CONTACTS = [f"11111111-2222-3333-4444-00000000000{n}" for n in (1, 2, 3)]


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("two-stacks") / "cdk.out"
    command = ["cdk", "synth", "--quiet", "--app", f"{sys.executable} {APP}", "--output", str(out)]
    subprocess.run(command, cwd=APP.parent, check=True)
    return out


@pytest.mark.parametrize(("stack", "stamped"), [("Voice", CONTACTS[:1]), ("Digital", CONTACTS[1:])])
def test_each_stack_stamps_its_own_contacts(cdk_out: Path, tmp_path: Path, stack: str, stamped: list[str]) -> None:
    # the same construct ID in both stacks: pick the stack; raise the declared 5/s for a quick test
    ((logical_id, properties),) = synthesized_resource_properties(
        cdk_out, stack=stack, path=f"{stack}/Greeting", max_requests_per_second=100
    ).items()
    certificates = make_certificates(tmp_path)
    responses = ResponseServer(certificates)
    with ConnectEmulator() as emulator:
        emulator.add_contacts(INSTANCE_ID, [SeedContact(contact_id, channel="EMAIL") for contact_id in CONTACTS])
        runner = LambdaRunner(
            synthesized_function_asset(cdk_out, stack=stack), emulator.endpoint_url, responses, certificates.ca_file
        )
        try:
            runner.upload_contact_files(cdk_out, stack=stack)  # the file of a from_file selection, if any
            result = runner.send(runner.event("Create", properties, logical_id=logical_id))
        finally:
            runner.close()
            responses.close()
        assert result.status == "SUCCESS", result.response.get("Reason")
        for contact_id in CONTACTS:
            expected = {"greetingPlayed": "false"} if contact_id in stamped else {}
            assert emulator.attributes(INSTANCE_ID, contact_id) == expected
