import json

import pytest
from plan_testing import FILE_CONTACTS

from connect_contact_defaults.plan.cloud_assembly import AssemblyError, contact_defaults_resources, read_stacks


def test_stacks_of_the_synthesized_assembly(assembly):
    stacks = {stack.stack_name: stack for stack in read_stacks(assembly)}
    assert set(stacks) == {"V1", "V2", "Moved", "Removed", "FromFile", "Budget"}
    v1 = stacks["V1"]
    assert (v1.account, v1.region) == (None, None)  # environment-agnostic
    (resource,) = contact_defaults_resources(v1.template).values()
    assert resource.path == "V1/Defaults"
    assert contact_defaults_resources(stacks["Removed"].template) == {}


def test_contact_file_asset_maps_its_object_key_to_the_file_in_the_assembly(assembly):
    (stack,) = read_stacks(assembly, ["FromFile"])
    (resource,) = contact_defaults_resources(stack.template).values()
    key = resource.properties["ContactFile"]["Key"]
    local = stack.file_assets[key]
    assert local.is_file() and local.is_relative_to(assembly)
    assert [line for line in local.read_text().splitlines() if line and not line.startswith("#")] == FILE_CONTACTS


def test_patterns_match_names_and_globs(assembly):
    assert [stack.stack_name for stack in read_stacks(assembly, ["V*"])] == ["V1", "V2"]
    with pytest.raises(AssemblyError, match=r"no stack Nope, Other in the assembly .* \(its stacks: Budget, FromFile"):
        read_stacks(assembly, ["V1", "Nope", "Other"])


def test_stages_environments_and_a_missing_assembly(tmp_path):
    with pytest.raises(AssemblyError, match=r"no cloud assembly at .*run `cdk synth` first"):
        read_stacks(tmp_path / "cdk.out")
    (tmp_path / "manifest.json").write_text(
        json.dumps({"artifacts": {"Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "stage"}}}})
    )
    with pytest.raises(AssemblyError, match=r"manifest\.json not found"):
        read_stacks(tmp_path)
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "App.template.json").write_text(json.dumps({"Resources": {}}))
    artifact = {
        "type": "aws:cloudformation:stack",
        "environment": "aws://111122223333/eu-west-1",
        "displayName": "Stage/App",
        "properties": {"templateFile": "App.template.json", "stackName": "Stage-App"},
    }
    (stage / "manifest.json").write_text(json.dumps({"artifacts": {"StageApp": artifact}}))
    (stack,) = read_stacks(tmp_path)
    assert (stack.stack_name, stack.display_name, stack.account, stack.region) == (
        "Stage-App",
        "Stage/App",
        "111122223333",
        "eu-west-1",
    )
    assert read_stacks(tmp_path, ["Stage/*"]) == [stack]
