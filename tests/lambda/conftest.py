import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator
from connect_contact_defaults.testing.local_cloudformation import (
    LambdaRunner,
    ResponseServer,
    create_state_table,
    make_certificates,
    synthesized_function_asset,
)

ROOT = Path(__file__).resolve().parents[2]


def cdk_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["CDK_DISABLE_VERSION_CHECK"] = "true"
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    return env


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example app synthesized by the pinned CDK CLI, as `cdk deploy` would see it."""
    out = tmp_path_factory.mktemp("cdk.out")
    subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--output", str(out)],
        cwd=ROOT,
        env=cdk_env(),
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def asset_dir(cdk_out: Path) -> Path:
    return synthesized_function_asset(cdk_out)


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory):
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def response_server(certificates):
    server = ResponseServer(certificates)
    yield server
    server.close()


@pytest.fixture
def emulator():
    with ConnectEmulator(seed=7) as running:
        yield running


@pytest.fixture
def lambda_runner(asset_dir, emulator, response_server, certificates, aws_endpoint):
    runner = LambdaRunner(
        asset_dir, emulator.endpoint_url, response_server, certificates.ca_file, aws_endpoint_url=aws_endpoint
    )
    yield runner
    runner.close()


@pytest.fixture(scope="session")
def aws_endpoint():
    """Real S3 and DynamoDB APIs on 127.0.0.1 (moto's server mode), reached over HTTP as the Lambda reaches AWS."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_endpoint(aws_endpoint):
    return aws_endpoint


@pytest.fixture
def dynamodb(aws_endpoint):
    return boto3.client(
        "dynamodb",
        region_name="eu-west-2",
        endpoint_url=aws_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def state_table(aws_endpoint):
    """A fresh table shaped like the stack's state table (pk/sk strings, on demand)."""
    return create_state_table(aws_endpoint, "eu-west-2")


@pytest.fixture
def s3_bucket(s3_endpoint):
    client = boto3.client(
        "s3",
        region_name="eu-west-2",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = f"cdk-assets-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    return client, name
