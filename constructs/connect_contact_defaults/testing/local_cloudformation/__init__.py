"""A local stand-in for the CloudFormation side of a custom resource: events, the ResponseURL, the Lambda runtime."""

from .lambda_runner import (
    Invocation,
    LambdaRunner,
    create_state_table,
    resource_properties,
    string_properties,
    synthesized_function_asset,
)
from .lambda_service import AsyncInvocation, LambdaService
from .response_server import ResponseServer
from .synthesized_resources import stack_templates, synthesized_resource_properties
from .tls import LocalCertificates, make_certificates

__all__ = [
    "AsyncInvocation",
    "Invocation",
    "LambdaRunner",
    "LambdaService",
    "LocalCertificates",
    "ResponseServer",
    "create_state_table",
    "make_certificates",
    "resource_properties",
    "stack_templates",
    "string_properties",
    "synthesized_function_asset",
    "synthesized_resource_properties",
]
