"""One source of truth: a plan's counts equal the Data the deployment then returns.

Each step plans with the command, then deploys the same change: the synthesized handler (LambdaRunner,
from the assembly's asset) receives the event CloudFormation would send, against the same emulator.
The deployed template comes from a file, or from CloudFormation (moto's server mode), which holds the
stack and its custom resource: moto cannot run the handler itself (its Lambda needs Docker), so the
test runs it and delivers the handler's response to moto's custom-resource response endpoint.
"""

import io
import json
import zipfile

import boto3
import pytest
import requests
from plan_testing import ACCOUNT, EXPIRY_60, REGION, asset_bucket, seed_v1, template, write_template

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import (
    LambdaRunner,
    ResponseServer,
    make_certificates,
    string_properties,
)

SERVICE_TOKEN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ContactDefaultsFunction"
SIGNED_FOR_REGION = (
    f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/cloudformation/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def custom_resource(document):
    ((logical_id, resource),) = [
        (name, res) for name, res in document["Resources"].items() if res["Type"] == "Custom::ConnectContactDefaults"
    ]
    return logical_id, resource


def event_properties(document):
    """The properties CloudFormation hands the handler: the two intrinsics these templates use, scalars as strings."""

    def resolve(value):
        if value == {"Ref": "AWS::Region"}:
            return REGION
        if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
            return SERVICE_TOKEN
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    logical_id, resource = custom_resource(document)
    return logical_id, string_properties(resolve(resource["Properties"]))


def counts_as_data(resource):
    planned = resource["contacts"]
    return {
        "Updated": str(planned["write"]),
        "Unchanged": str(planned["unchanged"]),
        "Missing": str(planned["missing"]),
        "Failed": str(planned["wouldFail"]),
        "ExpirySkipped": str(planned["expirySkipped"]),
    }


def summed(*datas):
    keys = ("Updated", "Unchanged", "Missing", "Failed", "ExpirySkipped")
    return {key: str(sum(int(data.get(key, 0)) for data in datas)) for key in keys}


@pytest.fixture(scope="module")
def responses(tmp_path_factory):
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    server = ResponseServer(certificates)
    yield server, certificates.ca_file
    server.close()


@pytest.fixture
def lambda_runner(assembly, emulator, responses, moto_endpoint):
    server, ca_file = responses
    function = next(r for r in template(assembly, "V1")["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    asset = assembly / function["Metadata"]["aws:asset:path"]
    runner = LambdaRunner(asset, emulator.endpoint_url, server, ca_file, aws_endpoint_url=moto_endpoint)
    yield runner
    runner.close()


def deploy(runner, request_type, properties, logical_id, **options):
    result = runner.send(runner.event(request_type, properties, logical_id=logical_id, **options), region=REGION)
    assert result.status == "SUCCESS", result.response
    return result


def test_plan_equals_deployment_through_create_update_replace_delete(
    run_command, emulator, assembly, lambda_runner, tmp_path
):
    seed_v1(emulator)
    emulator.add_contacts("f0e1d2c3-4567-89ab-cdef-EXAMPLE22222", [SeedContact("c-02", channel="TASK")])
    empty = write_template(tmp_path, {"Resources": {}}, "empty.json")

    # Create V1
    plan = run_command("plan", "--assembly", assembly, "--stack", "V1", "--deployed-template", empty, "--json")
    logical_id, v1 = event_properties(template(assembly, "V1"))
    created = deploy(lambda_runner, "Create", v1, logical_id)
    assert plan.resource()["action"] == "create"
    assert counts_as_data(plan.resource()) == created.data == summed(created.data)
    assert int(created.data["Updated"]) > 0

    # Update V1 -> V2 (attributes, mode and selection change)
    deployed = write_template(tmp_path, template(assembly, "V1"), "v1.json")
    plan = run_command("plan", "--assembly", assembly, "--stack", "V2", "--deployed-template", deployed, "--json")
    _, v2 = event_properties(template(assembly, "V2"))
    updated = deploy(lambda_runner, "Update", v2, logical_id, old_properties=v1, physical_id=created.physical_id)
    assert plan.resource()["action"] == "update"
    assert counts_as_data(plan.resource()) == updated.data
    assert plan.resource()["keys"]["clear"] and plan.resource()["keys"]["set"]

    # Nothing drifted right after a deployment; a redeploy would write nothing
    deployed = write_template(tmp_path, template(assembly, "V2"), "v2.json")
    drift = run_command("drift", "--assembly", assembly, "--stack", "V2", "--deployed-template", deployed, "--json")
    assert drift.exit_code == 0, drift.stdout

    # Replacement V2 -> Moved: Create on the other instance, then CloudFormation deletes the old resource
    plan = run_command("plan", "--assembly", assembly, "--stack", "Moved", "--deployed-template", deployed, "--json")
    _, moved = event_properties(template(assembly, "Moved"))
    replaced = deploy(lambda_runner, "Update", moved, logical_id, old_properties=v2, physical_id=updated.physical_id)
    assert replaced.physical_id != updated.physical_id
    old_deleted = deploy(lambda_runner, "Delete", v2, logical_id, physical_id=updated.physical_id)
    assert plan.resource()["action"] == "replace"
    assert counts_as_data(plan.resource()) == summed(replaced.data, old_deleted.data)

    # Removal: Moved -> Removed (DESTROY clears the values it set)
    deployed = write_template(tmp_path, template(assembly, "Moved"), "moved.json")
    plan = run_command("plan", "--assembly", assembly, "--stack", "Removed", "--deployed-template", deployed, "--json")
    deleted = deploy(lambda_runner, "Delete", moved, logical_id, physical_id=replaced.physical_id)
    assert plan.resource()["action"] == "delete"
    assert counts_as_data(plan.resource()) == summed(deleted.data)
    assert emulator.attributes("f0e1d2c3-4567-89ab-cdef-EXAMPLE22222", "c-02") == {"greeting": ""}


@pytest.fixture
def cloudformation(local_aws, moto_endpoint):
    """moto's CloudFormation, set up to create a CDK stack: the bootstrap version parameter and the asset bucket."""
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=moto_endpoint)
    ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True)
    s3 = boto3.client("s3", region_name=REGION)
    bucket = asset_bucket(s3)
    client = boto3.client("cloudformation", region_name=REGION)

    def create_stack(name, document, lambda_runner):
        """Creates the stack in moto, runs its custom resource's Create through the handler, delivers the response."""
        function = next(r for r in document["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("index.py", "")  # moto stores the function; the test runs the real handler
        s3.put_object(Bucket=bucket, Key=function["Properties"]["Code"]["S3Key"], Body=code.getvalue())
        stack_id = client.create_stack(
            StackName=name, TemplateBody=json.dumps(document), Capabilities=["CAPABILITY_IAM"]
        )["StackId"]
        logical_id, properties = event_properties(document)
        result = deploy(lambda_runner, "Create", properties, logical_id)
        response = {
            "Status": result.status,
            "StackId": stack_id,
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": result.physical_id,
            "Data": result.data,
        }
        delivered = requests.put(
            f"{moto_endpoint}/cloudformation_{REGION}/cfnresponse",
            params={"stack": stack_id},
            data=json.dumps(response),
            headers={"content-type": "", "Authorization": SIGNED_FOR_REGION},
            timeout=10,
        )
        assert delivered.status_code == 200, delivered.text
        (stack,) = client.describe_stacks(StackName=name)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        return result

    return create_stack


@pytest.mark.filterwarnings("ignore:Tried to parse AWS..CDK..Metadata")
def test_deployed_template_from_cloudformation(run_command, emulator, assembly, lambda_runner, cloudformation):
    """Stack "V2" is deployed with the V1 declaration (in moto's CloudFormation); the assembly holds V2."""
    seed_v1(emulator)
    created = cloudformation("V2", template(assembly, "V1"), lambda_runner)

    drift = run_command("drift", "--assembly", assembly, "--stack", "V2", "--json")
    assert drift.exit_code == 0, drift.stdout + drift.stderr
    boto3.client("connect", region_name=REGION, endpoint_url=emulator.endpoint_url).update_contact_attributes(
        InstanceId="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", InitialContactId="c-01", Attributes={"greeting": ""}
    )
    drift = run_command("drift", "--assembly", assembly, "--stack", "V2")
    assert drift.exit_code == 2
    assert "deployed: CloudFormation stack V2 in the caller's account in eu-west-2 (CREATE_COMPLETE)" in drift.stdout
    assert "first contacts to write: c-01" in drift.stdout

    plan = run_command("plan", "--assembly", assembly, "--stack", "V2", "--json")
    assert plan.exit_code == 2
    _, v1 = event_properties(template(assembly, "V1"))
    logical_id, v2 = event_properties(template(assembly, "V2"))
    updated = deploy(lambda_runner, "Update", v2, logical_id, old_properties=v1, physical_id=created.physical_id)
    assert plan.resource()["action"] == "update"
    assert counts_as_data(plan.resource()) == updated.data
    assert emulator.attributes("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "c-04") == {
        "greeting": "hi",
        "tier": "",
        "language": "en-GB",
    }
    assert emulator.contact("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "c-04").segment_attributes == EXPIRY_60


def test_drift_of_a_stack_that_is_not_deployed_is_an_error(run_command, assembly, cloudformation):
    run = run_command("drift", "--assembly", assembly, "--stack", "Moved")
    assert run.exit_code == 1
    assert "stack Moved does not exist in the caller's account in eu-west-2" in run.stderr
    assert "no deployed declaration to drift from" in run.stderr


def test_a_selection_that_cannot_finish_in_time_fails_in_the_plan_as_in_the_deployment(
    run_command, emulator, assembly, lambda_runner, tmp_path
):
    """The handler's estimate (contacts_within) stops it before any Connect call; the plan says so, reading nothing."""
    budget = template(assembly, "Budget")
    logical_id, resource = custom_resource(budget)
    resource["Properties"].update(MaxRequestsPerSecond="1", ServiceTimeoutSeconds="10")  # at most 6 contacts
    (tmp_path / "Budget.template.json").write_text(json.dumps(budget))
    artifact = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Budget.template.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"Budget": artifact}}))
    empty = write_template(tmp_path, {"Resources": {}}, "empty.json")

    plan = run_command("plan", "--assembly", tmp_path, "--deployed-template", empty, "--json")
    _, properties = event_properties(budget)
    result = lambda_runner.send(lambda_runner.event("Create", properties, logical_id=logical_id), region=REGION)
    assert plan.exit_code == 2
    assert plan.resource()["fails"].startswith("30 contacts do not fit within the ServiceTimeout of 10 s")
    assert plan.resource()["contacts"]["write"] == 0
    assert result.status == "FAILED" and result.response["Reason"].startswith("30 contacts need about")
    assert "at most 6 fit the ServiceTimeout" in result.response["Reason"]
    assert emulator.requests == []
