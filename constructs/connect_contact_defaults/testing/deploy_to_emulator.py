"""``python -m connect_contact_defaults.testing.deploy_to_emulator --assembly cdk.out``: "deploys" an app's
ContactDefaults to the local Connect emulator, without an AWS account, so that ``connect-contact-defaults drift
--deployed-template cdk.out/<Stack>.template.json`` has a deployed state to compare with.

Each Custom::ConnectContactDefaults of the assembly gets the Create CloudFormation would send, run by the
synthesized handler (LambdaRunner: the Lambda asset of cdk.out, DynamoDB and S3 in moto's server mode, from_file
contact files uploaded there first). The Connect endpoint is AWS_ENDPOINT_URL_CONNECT; the Region AWS_DEFAULT_REGION
(default eu-west-2). Prints each resource's result; exit code 1 when one did not succeed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .local_cloudformation import (
    Invocation,
    LambdaRunner,
    ResponseServer,
    make_certificates,
    stack_templates,
    synthesized_function_asset,
    synthesized_resource_properties,
)

DEFAULT_REGION = "eu-west-2"


def deploy_to_emulator(
    cdk_out: Path,
    endpoint_url: str,
    *,
    stack: str | None = None,
    region: str = DEFAULT_REGION,
    report: Callable[[str, str, Invocation], None] = lambda stack, logical_id, result: None,
) -> dict[tuple[str, str], Invocation]:
    """Runs the Create of every ContactDefaults of the assembly (or of ``stack``) against the Connect endpoint
    ``endpoint_url`` (the emulator's) through the synthesized handler; (stack, logical ID) -> its Invocation."""
    results: dict[tuple[str, str], Invocation] = {}
    with tempfile.TemporaryDirectory(prefix="contact-defaults-deploy-") as work:
        certificates = make_certificates(Path(work))
        responses = ResponseServer(certificates)
        try:
            for stack_name in stack_templates(cdk_out, stack):
                resources = synthesized_resource_properties(cdk_out, stack=stack_name, region=region)
                if not resources:
                    continue
                asset = synthesized_function_asset(cdk_out, stack=stack_name)
                runner = LambdaRunner(asset, endpoint_url, responses, certificates.ca_file, region=region)
                try:
                    runner.upload_contact_files(cdk_out, stack=stack_name, region=region)
                    for logical_id, properties in resources.items():
                        event = runner.event("Create", properties, logical_id=logical_id)
                        result = runner.send(event, region=region, timeout_seconds=900)
                        results[(stack_name, logical_id)] = result
                        report(stack_name, logical_id, result)
                finally:
                    runner.close()
        finally:
            responses.close()
    return results


def _print_result(stack: str, logical_id: str, result: Invocation) -> None:
    reason = "" if result.status == "SUCCESS" else f"  Reason={result.response.get('Reason')}"
    print(f"{stack}/{logical_id}: {result.status}  Data={json.dumps(result.data)}{reason}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m connect_contact_defaults.testing.deploy_to_emulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"), metavar="DIR", help="default: cdk.out")
    parser.add_argument("--stack", metavar="NAME", help="only this stack (default: every stack)")
    arguments = parser.parse_args(argv)
    endpoint_url = os.environ.get("AWS_ENDPOINT_URL_CONNECT")
    if not endpoint_url:
        parser.exit(1, f"{parser.prog}: error: set AWS_ENDPOINT_URL_CONNECT to the Connect emulator's endpoint\n")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION
    try:
        results = deploy_to_emulator(
            arguments.assembly, endpoint_url, stack=arguments.stack, region=region, report=_print_result
        )
    except (ValueError, OSError) as error:
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    if not results:
        parser.exit(1, f"{parser.prog}: error: no ContactDefaults in {arguments.assembly}\n")
    return 0 if all(result.status == "SUCCESS" for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
