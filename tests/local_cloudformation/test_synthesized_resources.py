"""synthesized_resource_properties: a template's ContactDefaults resources as CloudFormation would send them."""

import json

import pytest

from connect_contact_defaults.testing import synthesized_resource_properties
from connect_contact_defaults.testing.local_cloudformation.lambda_runner import SERVICE_TOKEN


def write_template(cdk_out, resources):
    cdk_out.mkdir(exist_ok=True)
    (cdk_out / "Stack.template.json").write_text(json.dumps({"Resources": resources}))
    return cdk_out


def test_pseudo_parameters_and_the_service_token_are_resolved_and_scalars_are_strings(tmp_path):
    cdk_out = write_template(
        tmp_path / "cdk.out",
        {
            "Function": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Shard1": {
                "Type": "Custom::ConnectContactDefaults",
                "Properties": {
                    "ServiceToken": {"Fn::GetAtt": ["Function", "Arn"]},
                    "Region": {"Ref": "AWS::Region"},
                    "Arn": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":x:", {"Ref": "AWS::AccountId"}]]},
                    "MaxRequestsPerSecond": 5,
                    "ContactIds": ["c1"],
                },
            },
            "Shard0": {"Type": "Custom::ConnectContactDefaults", "Properties": {"Region": "us-east-1"}},
        },
    )
    found = synthesized_resource_properties(cdk_out, region="eu-central-1", account="111122223333")
    assert list(found) == ["Shard1", "Shard0"], "template order"
    assert found["Shard1"] == {
        "ServiceToken": SERVICE_TOKEN,
        "Region": "eu-central-1",
        "Arn": "arn:aws:x:111122223333",
        "MaxRequestsPerSecond": "5",
        "ContactIds": ["c1"],
    }


def test_a_reference_it_cannot_resolve_is_an_error(tmp_path):
    cdk_out = write_template(
        tmp_path / "cdk.out",
        {"R": {"Type": "Custom::ConnectContactDefaults", "Properties": {"InstanceId": {"Ref": "InstanceParam"}}}},
    )
    with pytest.raises(ValueError, match="InstanceParam"):
        synthesized_resource_properties(cdk_out)
