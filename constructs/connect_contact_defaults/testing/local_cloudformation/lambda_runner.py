"""Runs a synthesized custom-resource Lambda the way Lambda would, with CloudFormation-shaped events.

- The handler is loaded from the asset directory `cdk synth` wrote into cdk.out, in a subprocess
  started with `python -S` (no site-packages): it sees the standard library and the asset only.
- Events are shaped like CloudFormation's: every scalar property is a string.
- The ResponseURL points at a local HTTPS server whose certificate is signed by a throwaway CA
  that the subprocess trusts through SSL_CERT_FILE.
- The stack's state table (leases and declarations) is a DynamoDB table in moto's server mode on
  127.0.0.1: the runner's own, or the one at `aws_endpoint_url` (which may also serve S3).
- As Lambda does, every asynchronous invocation (a hand-off) starts as soon as it is invoked, in
  parallel with whatever else runs; an event or a hand-off can be delivered more than once.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connect_contact_defaults.plan.template_values import string_properties
from connect_contact_rules import RESOURCE_TYPE

from .lambda_service import LambdaService
from .response_server import ResponseServer

STACK_ID = (
    "arn:aws:cloudformation:eu-west-2:123456789012:stack/ContactDefaultsExample/4f1c2d30-0000-11ef-0000-0a1b2c3d4e5f"
)
SERVICE_TOKEN = "arn:aws:lambda:eu-west-2:123456789012:function:ContactDefaultsFunction"

# The subprocess: put the asset first on sys.path (as Lambda's /var/task), build a context, call the handler.
RUNNER = r"""
import json, logging, os, sys, time
# Lambda's Python runtime installs a handler on the root logger; crhelper only sets its level.
logging.basicConfig(stream=sys.stdout, format="[%(levelname)s] %(name)s: %(message)s")
sys.path.insert(0, os.environ["ASSET_DIR"])
deadline = time.monotonic() + float(os.environ["FUNCTION_TIMEOUT_SECONDS"])
class Context:
    function_name = "ContactDefaultsFunction"
    aws_request_id = "req-" + os.environ["INVOCATION"]
    log_group_name = "/aws/lambda/ContactDefaultsFunction"
    log_stream_name = "2026/11/22/[$LATEST]0123456789abcdef"
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:ContactDefaultsFunction"
    memory_limit_in_mb = 256
    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.monotonic()) * 1000))
event = json.loads(sys.stdin.read())
import importlib
module_name, function_name = os.environ.get("HANDLER", "index.handler").rsplit(".", 1)
module = importlib.import_module(module_name)
getattr(module, function_name)(event, Context())
import botocore, crhelper
print("LOADED " + json.dumps({"botocore": botocore.__file__, "crhelper": crhelper.__file__, module_name: module.__file__}))
"""

CHECKPOINT_EVENT_KEY = "ContactDefaultsCheckpoint"
"""Where a hand-off carries its checkpoint (lambda/contact_reconciler/checkpoint.py): its invocation number."""


@dataclass(frozen=True)
class AsyncInvokeConfig:
    """What Lambda does with an asynchronous invocation that fails (the function's AWS::Lambda::EventInvokeConfig):
    retry it up to `maximum_retry_attempts` times, `retry_delays` seconds after each failure (Lambda's schedule is
    about 60 and 120 s; tests scale it down), then send its record to the on-failure destination's handler."""

    maximum_retry_attempts: int
    on_failure_handler: str | None
    """The destination function's Handler (in the same asset), or None."""
    retry_delays: tuple[float, ...] = (60.0, 120.0)

    def scaled(self, *retry_delays: float) -> AsyncInvokeConfig:
        return AsyncInvokeConfig(self.maximum_retry_attempts, self.on_failure_handler, tuple(retry_delays))

    def delay_before(self, attempt: int) -> float:
        """Seconds between the failure of attempt - 1 and attempt (2, 3, ...)."""
        return self.retry_delays[min(attempt - 2, len(self.retry_delays) - 1)]


@dataclass(frozen=True)
class Crash:
    """Kills (SIGKILL) one delivery attempt of one invocation of a chain `after_seconds` after it starts, as an
    out-of-memory kill or a recycled sandbox would: it sends no response. invocation 1 is CloudFormation's event,
    n > 1 the hand-off that carries checkpoint invocation n; attempt 1 is the first delivery, 2 and 3 Lambda's
    retries. attempt=None crashes every attempt."""

    invocation: int
    after_seconds: float
    attempt: int | None = 1

    def applies(self, payload: dict[str, Any], attempt: int) -> bool:
        invocation = int((payload.get(CHECKPOINT_EVENT_KEY) or {}).get("invocation", 1))
        return invocation == self.invocation and self.attempt in (None, attempt)


def invocation_record(payload: dict[str, Any], attempts: int, condition: str = "RetriesExhausted") -> dict[str, Any]:
    """Lambda's record of an asynchronous invocation that failed every attempt, as an on-failure destination
    receives it: the original event in requestPayload."""
    return {
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{SERVICE_TOKEN}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "Runtime.ExitError", "errorMessage": "signal: killed"},
    }


def resource_properties(
    instance_id: str,
    contact_ids: list[str],
    attributes: dict[str, str] | None = None,
    *,
    mode: str = "FILL_MISSING",
    expiry_minutes: int | None = None,
    missing_contacts: str = "SKIP",
    removal_policy: str = "RETAIN",
    max_requests_per_second: float = 50,
    region: str = "eu-west-2",
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "ServiceToken": SERVICE_TOKEN,
        "InstanceId": instance_id,
        "Region": region,
        "ContactIds": contact_ids,
        "Attributes": attributes or {},
        "Mode": mode,
        "MissingContacts": missing_contacts,
        "RemovalPolicy": removal_policy,
        "MaxRequestsPerSecond": max_requests_per_second,
    }
    if expiry_minutes is not None:
        properties["ContactExpiryMinutes"] = expiry_minutes
    return string_properties(properties)


@dataclass
class Invocation:
    response: dict[str, Any]
    """The one response body CloudFormation received."""
    logs: str
    event: dict[str, Any]
    loaded: dict[str, str]
    """Where botocore, crhelper and index were imported from, as the subprocess saw it."""
    invocation_starts: list[float]
    """time.monotonic() when each Lambda invocation of this event (1 + hand-offs) started."""
    hand_offs: list[float]
    """time.monotonic() when each hand-off's Invoke request reached the Lambda service."""
    responses: list[dict[str, Any]] = field(default_factory=list)
    """Every response CloudFormation received for the request (exactly one when all went well)."""

    @property
    def status(self) -> str:
        return self.response["Status"]

    @property
    def data(self) -> dict[str, str]:
        return self.response.get("Data") or {}

    @property
    def physical_id(self) -> str:
        return self.response["PhysicalResourceId"]


class LambdaRunner:
    """Sends CloudFormation-shaped events to the handler in the synthesized asset directory."""

    def __init__(
        self,
        asset_dir: Path,
        endpoint_url: str,
        responses: ResponseServer,
        ca_file: Path,
        *,
        aws_endpoint_url: str | None = None,
        region: str = "eu-west-2",
        async_invoke: AsyncInvokeConfig | None = None,
    ) -> None:
        """endpoint_url: the Connect emulator's. aws_endpoint_url: moto's server mode (DynamoDB, and S3 where a
        test uses it); None starts one for this runner. async_invoke: what Lambda does with an invocation that
        fails (synthesized_async_invoke_config reads it from the template); None: a failed invocation fails the
        test."""
        self.asset_dir = asset_dir
        self.endpoint_url = endpoint_url
        self.responses = responses
        self.ca_file = ca_file
        self.all_logs: list[str] = []
        self.all_events: list[dict[str, Any]] = []
        self.lambda_service = LambdaService()
        self.hand_off_deliveries = 1
        """How many times the Lambda service delivers each hand-off (Lambda delivers at least once)."""
        self.async_invoke = async_invoke
        self.crashes: list[Crash] = []
        """Invocations to kill mid-way (SIGKILL), as an out-of-memory kill would."""
        self.failed_attempts: list[tuple[int, int]] = []
        """(invocation, attempt) of every attempt that ended without finishing (killed or an error)."""
        self.destination_records: list[dict[str, Any]] = []
        """Every record sent to the on-failure destination."""
        self._count = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="lambda")
        self._moto: Any = None
        if aws_endpoint_url is None:
            from moto.server import ThreadedMotoServer  # noqa: PLC0415 (only when no endpoint is given)

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
            self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._moto.start()
            host, port = self._moto.get_host_and_port()
            aws_endpoint_url = f"http://{host}:{port}"
        self.aws_endpoint_url = aws_endpoint_url
        self.state_table = create_state_table(aws_endpoint_url, region)

    def upload_contact_files(
        self, cdk_out: Path, *, stack: str | None = None, region: str = "eu-west-2", account: str = "123456789012"
    ) -> list[str]:
        """Serves the app's from_file contact files to the handler: the bootstrap bucket created in this runner's
        S3 stand-in (moto, its AWS_ENDPOINT_URL_S3) and each file uploaded under its asset key; returns the
        ``s3://`` URLs. Give the same ``region``/``account`` as to synthesized_resource_properties."""
        from .contact_file_assets import upload_contact_files  # noqa: PLC0415 (that module imports this one)

        return upload_contact_files(cdk_out, self.aws_endpoint_url, stack=stack, region=region, account=account)

    def event(
        self,
        request_type: str,
        properties: dict[str, Any],
        *,
        old_properties: dict[str, Any] | None = None,
        physical_id: str | None = None,
        logical_id: str = "GreetingDefaults1A2B3C4D",
    ) -> dict[str, Any]:
        key, url = self.responses.new_url()
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": SERVICE_TOKEN,
            "ResponseURL": url,
            "StackId": STACK_ID,
            "RequestId": key,
            "LogicalResourceId": logical_id,
            "ResourceType": RESOURCE_TYPE,
            "ResourceProperties": properties,
        }
        if old_properties is not None:
            event["OldResourceProperties"] = old_properties
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        return event

    def send(
        self,
        event: dict[str, Any],
        *,
        timeout_seconds: float = 60.0,
        region: str = "eu-west-2",
        extra_env: dict[str, str] | None = None,
        deliveries: int = 1,
    ) -> Invocation:
        """Runs the event and every invocation it hands its work on to, as Lambda would; returns when all ended.

        Asserts that CloudFormation received exactly one response in all.
        """
        invocation = self.start(
            event, timeout_seconds=timeout_seconds, region=region, extra_env=extra_env, deliveries=deliveries
        ).result()
        assert len(invocation.responses) == 1, (
            f"expected exactly one response, got {len(invocation.responses)}\n{invocation.logs}"
        )
        return invocation

    def start(
        self,
        event: dict[str, Any],
        *,
        timeout_seconds: float = 60.0,
        region: str = "eu-west-2",
        extra_env: dict[str, str] | None = None,
        deliveries: int = 1,
    ) -> Future[Invocation]:
        """Delivers the event (deliveries times, at once) and runs its chain in the background, as Lambda would."""
        return self._pool.submit(self._run_chain, event, timeout_seconds, region, extra_env or {}, deliveries)

    def _run_chain(
        self, event: dict[str, Any], timeout_seconds: float, region: str, extra_env: dict[str, str], deliveries: int
    ) -> Invocation:
        request_id = event["RequestId"]
        logs: list[str] = []
        loaded: dict[str, str] = {}
        starts: list[float] = []
        hand_offs: list[float] = []
        running: list[tuple[dict[str, Any], int, Future[subprocess.CompletedProcess[str]]]] = []

        def launch(payload: dict[str, Any], attempt: int = 1, delay: float = 0.0, handler: str = "") -> None:
            def run() -> subprocess.CompletedProcess[str]:
                time.sleep(delay)
                starts.append(time.monotonic())
                crash = next((c for c in self.crashes if c.applies(payload, attempt)), None) if not handler else None
                return self._run_once(
                    payload,
                    timeout_seconds,
                    region,
                    extra_env,
                    kill_after=crash and crash.after_seconds,
                    handler=handler,
                )

            running.append((payload, attempt, self._pool.submit(run)))

        for _ in range(deliveries):
            launch(event)
        while running:
            payload, attempt, future = running.pop(0)
            completed = future.result()
            output = completed.stdout + completed.stderr
            logs.append(output)
            with self._lock:
                self.all_logs.append(output)
            if completed.returncode != 0 and "HANDLER_RECORD" not in payload:
                self._failed(payload, attempt, output, launch)
            else:
                assert completed.returncode == 0, output
            for line in completed.stdout.splitlines():
                if line.startswith("LOADED "):
                    loaded = json.loads(line[len("LOADED ") :])
            for invocation in self.lambda_service.take_pending(request_id):
                hand_offs.append(invocation.time)
                for _ in range(self.hand_off_deliveries):
                    launch(invocation.payload)
        with self._lock:
            self.all_events.append(event)
        responses = list(self.responses.responses.get(request_id, []))
        joined = "\n".join(logs)
        return Invocation(responses[0] if responses else {}, joined, event, loaded, starts, hand_offs, responses)

    def _failed(self, payload: dict[str, Any], attempt: int, output: str, launch: Any) -> None:
        """An attempt that died or raised: Lambda retries it, then sends its record to the on-failure destination."""
        assert self.async_invoke is not None, output
        invocation = int((payload.get(CHECKPOINT_EVENT_KEY) or {}).get("invocation", 1))
        with self._lock:
            self.failed_attempts.append((invocation, attempt))
        config = self.async_invoke
        if attempt <= config.maximum_retry_attempts:
            launch(payload, attempt + 1, config.delay_before(attempt + 1))
        elif config.on_failure_handler is not None:
            record = invocation_record(payload, attempt)
            with self._lock:
                self.destination_records.append(record)
            launch({**record, "HANDLER_RECORD": True}, handler=config.on_failure_handler)

    def _run_once(
        self,
        event: dict[str, Any],
        timeout_seconds: float,
        region: str,
        extra_env: dict[str, str],
        *,
        kill_after: float | None = None,
        handler: str = "",
    ) -> subprocess.CompletedProcess[str]:
        with self._lock:
            self._count += 1
            count = self._count
        env = {
            "PATH": os.environ.get("PATH", ""),
            "ASSET_DIR": str(self.asset_dir),
            "FUNCTION_TIMEOUT_SECONDS": str(timeout_seconds),
            "INVOCATION": str(count),
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL_CONNECT": self.endpoint_url,
            "AWS_ENDPOINT_URL_LAMBDA": self.lambda_service.endpoint_url,
            "AWS_ENDPOINT_URL_DYNAMODB": self.aws_endpoint_url,
            "AWS_ENDPOINT_URL_S3": self.aws_endpoint_url,
            "STATE_TABLE": self.state_table,
            "AWS_LAMBDA_FUNCTION_NAME": "ContactDefaultsFunction",
            "SSL_CERT_FILE": str(self.ca_file),
            "PYTHONDONTWRITEBYTECODE": "1",
            **extra_env,
        }
        if handler:  # the on-failure destination: the record without the runner's marker
            env["HANDLER"] = handler
            env["HANDLER_LOG_GROUP"] = "/aws/lambda/ContactDefaultsFunction"
            event = {key: value for key, value in event.items() if key != "HANDLER_RECORD"}
        process = subprocess.Popen(
            [sys.executable, "-S", "-c", RUNNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        killer = threading.Timer(kill_after, process.kill) if kill_after is not None else None
        if killer is not None:
            killer.start()
        try:
            stdout, stderr = process.communicate(json.dumps(event), timeout=timeout_seconds + 60)
        finally:
            if killer is not None:
                killer.cancel()
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.lambda_service.close()
        if self._moto is not None:
            self._moto.stop()


def create_state_table(aws_endpoint_url: str, region: str) -> str:
    """A fresh DynamoDB table shaped like the stack's state table (pk and sk strings, on demand); its name."""
    import boto3  # noqa: PLC0415 (the testing kit's dependency, not the runner module's at import)

    client = boto3.client(
        "dynamodb",
        region_name=region,
        endpoint_url=aws_endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = f"ContactDefaultsState-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def synthesized_function_asset(cdk_out: Path, *, stack: str | None = None) -> Path:
    """The asset directory of the ContactDefaults handler (the app's one Lambda function asset: every stack
    that has the handler shares it), from the templates' asset metadata; ``stack`` looks in that stack only.
    ValueError names the stacks and assets when there is none, or more than one."""
    from .synthesized_resources import stack_templates  # noqa: PLC0415 (that module imports this one)

    found: dict[Path, list[str]] = {}
    for stack_name, template in stack_templates(Path(cdk_out), stack).items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::Lambda::Function" and "aws:asset:path" in (resource.get("Metadata") or {}):
                path = Path(cdk_out) / resource["Metadata"]["aws:asset:path"]
                found.setdefault(path, []).append(f"{stack_name}/{logical_id}")
    where = f"stack {stack}" if stack else str(cdk_out)
    if not found:
        raise ValueError(f"no Lambda function asset in {where}: synthesize an app with a ContactDefaults")
    if len(found) > 1:
        listed = "; ".join(f"{path.name}: {', '.join(functions)}" for path, functions in found.items())
        raise ValueError(f"{len(found)} Lambda function assets in {where} ({listed}): pick a stack with stack=...")
    (path,) = found
    return path


def synthesized_async_invoke_config(cdk_out: Path) -> AsyncInvokeConfig:
    """The handler's AWS::Lambda::EventInvokeConfig as synthesized: its retries and its on-failure destination's
    handler, for LambdaRunner(async_invoke=...)."""
    for template_file in sorted(cdk_out.glob("*.template.json")):
        resources = json.loads(template_file.read_text())["Resources"]
        for resource in resources.values():
            if resource["Type"] != "AWS::Lambda::EventInvokeConfig":
                continue
            function = resources.get(resource["Properties"]["FunctionName"].get("Ref", ""), {})
            if function.get("Properties", {}).get("Handler") != "index.handler":
                continue  # another function's (a continuous stream's consumer)
            properties = resource["Properties"]
            destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            handler = None
            if destination is not None:
                (destination_id, _) = destination["Fn::GetAtt"]
                handler = resources[destination_id]["Properties"]["Handler"]
            return AsyncInvokeConfig(int(properties.get("MaximumRetryAttempts", 2)), handler)
    raise LookupError(f"no AWS::Lambda::EventInvokeConfig in {cdk_out}")
