"""The example app (app.py): template snapshot, fine-grained assertions, and a real `cdk synth`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from contact_defaults_testing import (
    ASSET_HASH,
    NODE_BIN,
    ROOT,
    handler_function,
    handler_log_group_id,
    read_json,
    retries_exhausted_function,
    run_tool,
)
from syrupy.extensions.json import JSONSnapshotExtension

import app as example
from connect_contact_rules import Prop


def example_stack(context: dict[str, Any] | None = None) -> Any:
    return example.build_app(context).node.find_child(example.STACK_NAME)


def normalise_asset_hashes(data: Any, path: Any) -> Any:
    """Asset hashes change with the handler's code: the snapshot shows where they are, not what."""
    if isinstance(data, str) and ASSET_HASH.search(data):
        return ASSET_HASH.sub("<asset-hash>", data)
    return data


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.from_stack(example_stack())


def test_template_snapshot(template, snapshot):
    assert template.to_json() == snapshot.use_extension(JSONSnapshotExtension)(matcher=normalise_asset_hashes)


def test_snapshot_normalises_the_asset_key(template):
    _, function = handler_function(template)
    key = function["Properties"]["Code"]["S3Key"]
    assert ASSET_HASH.fullmatch(key.removesuffix(".zip")), key
    assert normalise_asset_hashes(key, None) == "<asset-hash>.zip"


def greeting(template: Template) -> tuple[str, dict[str, Any]]:
    """The ContactDefaults of listed contacts (the example's other one is a search)."""
    ((logical_id, resource),) = [
        (name, resource)
        for name, resource in template.find_resources("Custom::ConnectContactDefaults").items()
        if name.startswith("GreetingDefaults")
    ]
    return logical_id, resource


def test_one_function_with_its_settings(template):
    # The handler and its on-failure destination, and the continuous function of NewTaskDefaults.
    template.resource_count_is("AWS::Lambda::Function", 3)
    template.resource_count_is("Custom::ConnectContactDefaults", 3)
    handler_function(template)  # one of them is the handler
    retries_exhausted_function(template)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Handler": "index.handler",
            "Timeout": 900,
            "MemorySize": 256,
            "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("^ConnectContactDefaultsHandlerLogGroup")}},
        },
    )
    log_groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(log_groups) == 3  # the handler's, its destination's and the continuous function's
    assert all(group["Properties"] == {"RetentionInDays": 90} for group in log_groups.values())
    assert handler_log_group_id(template) in log_groups


def test_custom_resource_properties(template):
    template.has_resource_properties(
        "Custom::ConnectContactDefaults",
        {
            "ServiceToken": {"Fn::GetAtt": [Match.string_like_regexp("^ConnectContactDefaultsHandlerFunction"), "Arn"]},
            "ServiceTimeout": "3600",
            Prop.INSTANCE_ID: example.PLACEHOLDER_INSTANCE_ID,
            Prop.REGION: {"Ref": "AWS::Region"},
            Prop.CONTACT_IDS: list(example.PLACEHOLDER_CONTACT_IDS),
            Prop.ATTRIBUTES: {"greetingPlayed": "false", "preferredLanguage": "en-GB"},
            Prop.MODE: "FILL_MISSING",
            Prop.CONTACT_EXPIRY_MINUTES: "10080",
            Prop.MISSING_CONTACTS: "SKIP",
            Prop.REMOVAL_POLICY: "RETAIN",
            Prop.MAX_REQUESTS_PER_SECOND: "5",
            Prop.SERVICE_TIMEOUT_SECONDS: "3600",
        },
    )


def test_a_search_selection_of_the_last_7_days(template):
    (resource,) = [
        resource
        for name, resource in template.find_resources("Custom::ConnectContactDefaults").items()
        if name.startswith("RecentEmailAndTaskDefaults")
    ]
    assert resource["Properties"][Prop.CONTACT_SEARCH] == {
        "InitiatedWithinSeconds": "604800",
        "Channels": ["EMAIL", "TASK"],
        "MaxContacts": "2000",
        "Revision": "1",
    }
    assert Prop.CONTACT_IDS not in resource["Properties"]
    changed = Template.from_stack(example_stack({"searchRevision": "2026-11-22"}))
    assert "2026-11-22" in str(changed.find_resources("Custom::ConnectContactDefaults"))


def test_outputs_are_the_three_counts(template):
    outputs = template.to_json()["Outputs"]
    logical_id, _ = greeting(template)
    assert {name: outputs[name]["Value"] for name in ("UpdatedContacts", "UnchangedContacts", "MissingContacts")} == {
        "UpdatedContacts": {"Fn::GetAtt": [logical_id, "Updated"]},
        "UnchangedContacts": {"Fn::GetAtt": [logical_id, "Unchanged"]},
        "MissingContacts": {"Fn::GetAtt": [logical_id, "Missing"]},
    }


def test_context_chooses_instance_and_contacts():
    template = Template.from_stack(example_stack({"instanceId": "my-instance", "contactIds": "c-1, c-2,c-3"}))
    _, resource = greeting(template)
    assert resource["Properties"][Prop.INSTANCE_ID] == "my-instance"
    assert resource["Properties"][Prop.CONTACT_IDS] == ["c-1", "c-2", "c-3"]


def test_without_contact_defaults_is_the_same_stack_minus_the_construct():
    template = Template.from_stack(example_stack({"withoutContactDefaults": "true"})).to_json()
    assert template.get("Resources", {}) == {}
    assert "Outputs" not in template
    assert template["Description"] == "Example of ContactDefaults (cdk-connect-contact-defaults)"


def test_cdk_synth_through_the_pinned_cli(tmp_path):
    out = tmp_path / "cdk.out"
    run_tool(
        [
            NODE_BIN / "cdk",
            "synth",
            "--quiet",
            "--no-notices",
            "--output",
            out,
            "-c",
            "instanceId=ffffffff-1111-2222-3333-444444444444",
            "-c",
            "contactIds=a,b,c",
        ],
        cwd=ROOT,
    )
    template = read_json(out / f"{example.STACK_NAME}.template.json")
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("AWS::Lambda::Function") == 3  # the handler, its on-failure destination, the continuous one
    assert types.count("AWS::Lambda::EventInvokeConfig") == 2  # the handler's, and the continuous function's
    assert types.count("Custom::ConnectContactDefaults") == 3
    (resource,) = [
        r
        for name, r in template["Resources"].items()
        if r["Type"] == "Custom::ConnectContactDefaults" and name.startswith("GreetingDefaults")
    ]
    assert resource["Properties"][Prop.INSTANCE_ID] == "ffffffff-1111-2222-3333-444444444444"
    assert resource["Properties"][Prop.CONTACT_IDS] == ["a", "b", "c"]
    # The CLI staged the asset it will upload.
    _, function = handler_function(template)
    asset = Path(out, function["Metadata"]["aws:asset:path"])
    assert (asset / "index.py").is_file()
