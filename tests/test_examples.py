"""examples/: every app synthesizes with the pinned CDK CLI, and the consumer's test there passes as a consumer
runs it (pytest in a shell after `make deps`). The testing kit's helpers on the two-stack example: a stack picked
with stack=, a resource by construct path, clear errors naming what exists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from project_shell import run_consumer_tests, shell_env

from connect_contact_defaults.testing import synthesized_function_asset, synthesized_resource_properties
from connect_contact_rules import Prop

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CONSUMER = EXAMPLES / "consumer_test"
APPS = sorted(path.parent.name for path in EXAMPLES.glob("*/app.py"))


def synth(name: str, out: Path, env: dict[str, str]) -> Path:
    app = EXAMPLES / name / "app.py"
    command = ["cdk", "synth", "--quiet", "--app", f"{sys.executable} {app}", "--output", str(out)]
    completed = subprocess.run(command, cwd=app.parent, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


@pytest.fixture(scope="module")
def two_stacks(tmp_path_factory) -> Path:

    return synth("two_stacks", tmp_path_factory.mktemp("two-stacks") / "cdk.out", shell_env())


def test_the_examples_are_the_documented_ones():
    assert APPS == ["file", "ids", "search", "two_stacks"]


@pytest.mark.parametrize("name", [name for name in APPS if name != "two_stacks"])
def test_each_example_app_synthesizes_one_contact_defaults(name, tmp_path, project_shell_env):
    out = synth(name, tmp_path / "cdk.out", project_shell_env)
    ((_, properties),) = synthesized_resource_properties(out).items()
    assert properties[Prop.ATTRIBUTES] == {"greetingPlayed": "false"}
    assert properties.get(Prop.REVISION) or properties.get(Prop.CONTACT_SEARCH, {}).get("Revision") == "1"


def test_two_stacks_with_the_same_construct_id_are_told_apart(two_stacks):
    with pytest.raises(ValueError, match=r"is in stacks Voice and Digital: pick one with stack="):
        synthesized_resource_properties(two_stacks)
    voice = synthesized_resource_properties(two_stacks, stack="Voice")
    digital = synthesized_resource_properties(two_stacks, stack="Digital")
    assert list(voice) == list(digital)  # the same logical ID in both
    assert Prop.CONTACT_IDS in next(iter(voice.values())) and Prop.CONTACT_FILE in next(iter(digital.values()))
    assert synthesized_resource_properties(two_stacks, path="Digital/Greeting") == digital
    with pytest.raises(ValueError, match=r"no stack 'Nope'.*Voice, Digital"):
        synthesized_resource_properties(two_stacks, stack="Nope")
    with pytest.raises(ValueError, match=r"no ContactDefaults at 'Voice/Other'; there are: Voice/Greeting"):
        synthesized_resource_properties(two_stacks, path="Voice/Other")
    # one handler asset, shared by both stacks
    assert synthesized_function_asset(two_stacks) == synthesized_function_asset(two_stacks, stack="Digital")
    faster = synthesized_resource_properties(two_stacks, stack="Digital", max_requests_per_second=100)
    assert next(iter(faster.values()))[Prop.MAX_REQUESTS_PER_SECOND] == "100"


def test_the_from_file_bucket_fn_sub_is_resolved(two_stacks):
    template = json.loads((two_stacks / "Digital.template.json").read_text())
    (declared,) = [r for r in template["Resources"].values() if r["Type"] == "Custom::ConnectContactDefaults"]
    assert "Fn::Sub" in declared["Properties"][Prop.CONTACT_FILE]["Bucket"]  # as CDK writes the bootstrap bucket
    (properties,) = synthesized_resource_properties(
        two_stacks, stack="Digital", region="eu-central-1", account="111122223333"
    ).values()
    assert properties[Prop.CONTACT_FILE]["Bucket"] == "cdk-hnb659fds-assets-111122223333-eu-central-1"


def test_the_consumers_test_passes_as_written(tmp_path):
    assert "2 passed" in run_consumer_tests(tmp_path, CONSUMER)
