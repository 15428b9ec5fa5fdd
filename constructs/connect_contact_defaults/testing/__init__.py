"""A testing kit for stacks that use ContactDefaults: a local Amazon Connect and a local CloudFormation.

Install it with the ``testing`` extra (``pip install "cdk-connect-contact-defaults[testing]"``), then:

- ``ConnectEmulator``: a local Amazon Connect endpoint for contacts (the calls the handler makes), with
  per-API quotas, fault injection and a request log. Start it in a test (``with ConnectEmulator() as
  emulator:``) or as a program: ``python -m connect_contact_defaults.testing.connect_emulator --help``.
- ``LambdaRunner``: runs the custom-resource Lambda from a synthesized ``cdk.out`` the way Lambda would,
  with CloudFormation-shaped events (every scalar a string) and an HTTPS ResponseURL
  (``ResponseServer``, trusted through ``make_certificates``), continuing hand-offs through a local
  Lambda Invoke API. ``runner.upload_contact_files(cdk_out)`` serves ``from_file`` contact files from its
  S3 stand-in (moto's server mode).
- ``synthesized_resource_properties(cdk_out, stack=..., path=...)`` and ``synthesized_function_asset``: what a
  synthesized app gives the runner (docs/testing-your-stack.md).
- ``python -m connect_contact_defaults.testing.deploy_to_emulator``: runs every ContactDefaults' Create of
  ``cdk.out`` against the emulator, so that ``drift`` has a deployed state (docs/try-plan-and-drift-locally.md).

Nothing here calls AWS: the runner points the handler's SDK at the emulator and at local stand-ins only.
"""

from .connect_emulator import ConnectEmulator, ContactSnapshot, RequestRecord, SeedContact
from .local_cloudformation import (
    Invocation,
    LambdaRunner,
    ResponseServer,
    make_certificates,
    resource_properties,
    string_properties,
    synthesized_function_asset,
    synthesized_resource_properties,
)

__all__ = [
    "ConnectEmulator",
    "ContactSnapshot",
    "Invocation",
    "LambdaRunner",
    "RequestRecord",
    "ResponseServer",
    "SeedContact",
    "make_certificates",
    "resource_properties",
    "string_properties",
    "synthesized_function_asset",
    "synthesized_resource_properties",
]
