"""A local stand-in for the CloudFormation side of a custom resource: events, the ResponseURL, the Lambda runtime."""

from .continuous_function import (
    ContinuousFunction,
    EventSourcePoller,
    FunctionRun,
    LocalContinuousStream,
    local_client,
    sqs_event,
)
from .lambda_runner import (
    AsyncInvokeConfig,
    Crash,
    Invocation,
    LambdaRunner,
    create_state_table,
    resource_properties,
    string_properties,
    synthesized_async_invoke_config,
    synthesized_function_asset,
)
from .lambda_service import AsyncInvocation, LambdaService
from .response_server import ResponseServer
from .synthesized_resources import stack_templates, synthesized_resource_properties
from .tls import LocalCertificates, make_certificates

__all__ = [
    "AsyncInvocation",
    "AsyncInvokeConfig",
    "ContinuousFunction",
    "Crash",
    "EventSourcePoller",
    "FunctionRun",
    "Invocation",
    "LambdaRunner",
    "LambdaService",
    "LocalCertificates",
    "LocalContinuousStream",
    "ResponseServer",
    "create_state_table",
    "local_client",
    "make_certificates",
    "resource_properties",
    "sqs_event",
    "stack_templates",
    "string_properties",
    "synthesized_async_invoke_config",
    "synthesized_function_asset",
    "synthesized_resource_properties",
]
