"""The local Lambda Invoke stand-in: asynchronous invocations are queued, and a payload over 1 MB is refused."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from connect_contact_defaults.testing.local_cloudformation import LambdaService
from connect_contact_defaults.testing.local_cloudformation.lambda_service import ASYNC_PAYLOAD_MAX_BYTES


@pytest.fixture
def service():
    running = LambdaService()
    yield running
    running.close()


def client(service):
    return boto3.client(
        "lambda",
        region_name="eu-west-2",
        endpoint_url=service.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_an_async_invocation_is_queued_with_its_payload(service):
    client(service).invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"k": "v"}).encode())
    (invocation,) = service.take_pending()
    assert (invocation.function_name, invocation.payload) == ("f", {"k": "v"})


def test_a_payload_over_1_mb_is_refused_as_lambda_refuses_it(service):
    at_limit = json.dumps({"k": "x" * (ASYNC_PAYLOAD_MAX_BYTES - 9)}).encode()
    assert len(at_limit) == ASYNC_PAYLOAD_MAX_BYTES
    client(service).invoke(FunctionName="f", InvocationType="Event", Payload=at_limit)
    with pytest.raises(ClientError) as raised:
        client(service).invoke(FunctionName="f", InvocationType="Event", Payload=at_limit + b" ")
    assert raised.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert len(service.take_pending()) == 1
