"""The continuous function of a synthesized ContactDefaults (ContactSelection.search(..., continuous=...)), run as
Lambda runs it, and the SQS side of its event source: for testing a stack's continuous stamping end to end.

- ``ContinuousFunction.from_template`` reads the function's handler, environment, event source mapping (batch
  size, maximum concurrency) and the queue's redrive policy from a synthesized template.
- ``run`` starts the handler in a subprocess (``python -S``: the standard library and the asset only) with one
  event (an SQS batch or ``{"Sweep": {}}``) and returns what it returned.
- ``EventSourcePoller`` receives from an SQS queue (moto's server mode) and runs the function as Lambda's event
  source mapping does: batches of BatchSize, at most MaximumConcurrency at once, deleting the messages the
  function did not report in ``batchItemFailures`` and making the others visible again at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .synthesized_resources import resolved_value

RUNNER = r"""
import json, logging, os, sys, time
logging.basicConfig(stream=sys.stderr, format="[%(levelname)s] %(name)s: %(message)s")
sys.path.insert(0, os.environ["ASSET_DIR"])
deadline = time.monotonic() + float(os.environ["FUNCTION_TIMEOUT_SECONDS"])
class Context:
    function_name = "ContinuousFunction"
    aws_request_id = "req-continuous"
    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.monotonic()) * 1000))
module_name, function_name = os.environ["HANDLER"].rsplit(".", 1)
import importlib
result = getattr(importlib.import_module(module_name), function_name)(json.loads(sys.stdin.read()), Context())
print("RESULT " + json.dumps(result))
"""


@dataclass
class FunctionRun:
    result: dict[str, Any] | None
    """What the handler returned; None when it raised (then ``logs`` say why)."""
    logs: str


@dataclass
class ContinuousFunction:
    asset_dir: Path
    handler: str
    environment: dict[str, str]
    timeout_seconds: float
    batch_size: int
    max_concurrency: int
    max_receive_count: int
    event_pattern: dict[str, Any]
    logs: list[str] = field(default_factory=list)

    @classmethod
    def from_template(
        cls, cdk_out: Path, construct_prefix: str, *, region: str = "eu-west-2", account: str = "123456789012"
    ) -> ContinuousFunction:
        """The continuous function whose logical ID starts with ``construct_prefix`` (e.g. "NewTaskDefaults")."""
        resources: dict[str, Any] = {}
        for template_file in sorted(Path(cdk_out).glob("*.template.json")):
            resources.update(json.loads(template_file.read_text())["Resources"])
        mine = {name: r for name, r in resources.items() if name.startswith(construct_prefix)}

        def one(resource_type: str, *, handler: str | None = None) -> dict[str, Any]:
            found = [
                r
                for r in mine.values()
                if r["Type"] == resource_type and (handler is None or r["Properties"].get("Handler") == handler)
            ]
            assert len(found) == 1, f"{construct_prefix}: {len(found)} {resource_type}"
            return found[0]

        function = one("AWS::Lambda::Function", handler="contact_events.handler")
        mapping = one("AWS::Lambda::EventSourceMapping")["Properties"]
        queues = [r for r in mine.values() if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]]
        (queue,) = queues
        rules = [r for r in mine.values() if r["Type"] == "AWS::Events::Rule" and "EventPattern" in r["Properties"]]
        (rule,) = rules
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        return cls(
            asset_dir=Path(cdk_out) / function["Metadata"]["aws:asset:path"],
            handler=function["Properties"]["Handler"],
            environment={key: str(resolved_value(value, region, account)) for key, value in variables.items()},
            timeout_seconds=float(function["Properties"]["Timeout"]),
            batch_size=int(mapping.get("BatchSize", 10)),
            max_concurrency=int(mapping["ScalingConfig"]["MaximumConcurrency"]),
            max_receive_count=int(queue["Properties"]["RedrivePolicy"]["maxReceiveCount"]),
            event_pattern=resolved_value(rule["Properties"]["EventPattern"], region, account),
        )

    def run(self, event: dict[str, Any], *, connect_endpoint_url: str, region: str = "eu-west-2") -> FunctionRun:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "ASSET_DIR": str(self.asset_dir),
            "HANDLER": self.handler,
            "FUNCTION_TIMEOUT_SECONDS": str(self.timeout_seconds),
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_ENDPOINT_URL_CONNECT": connect_endpoint_url,
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.environment,
        }
        completed = subprocess.run(
            [sys.executable, "-S", "-c", RUNNER],
            input=json.dumps(event),
            env=env,
            capture_output=True,
            text=True,
            timeout=self.timeout_seconds + 60,
            check=False,
        )
        logs = completed.stdout + completed.stderr
        self.logs.append(logs)
        result = None
        for line in completed.stdout.splitlines():
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
        return FunctionRun(result, logs)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source hands the function, from ReceiveMessage's messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for message in messages
        ]
    }


def local_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client of a local stand-in (moto's server mode), with dummy credentials."""
    import boto3  # noqa: PLC0415 (the testing kit's dependency, not this module's at import)

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class LocalContinuousStream:
    """The continuous stream's rule and queues as the template declares them, made on moto's server mode: a queue
    with the template's redrive policy (maxReceiveCount) to a dead-letter queue, and a rule on the default bus with
    the synthesized event pattern, targeting the queue. ``close`` removes the rule."""

    def __init__(self, aws_endpoint_url: str, function: ContinuousFunction, *, region: str = "eu-west-2") -> None:
        self.events = local_client("events", aws_endpoint_url, region)
        self.sqs = local_client("sqs", aws_endpoint_url, region)
        name = uuid.uuid4().hex[:12]
        self.dlq_url = self.sqs.create_queue(QueueName=f"continuous-dlq-{name}")["QueueUrl"]
        redrive = {"deadLetterTargetArn": self._arn(self.dlq_url), "maxReceiveCount": str(function.max_receive_count)}
        self.queue_url = self.sqs.create_queue(
            QueueName=f"continuous-{name}", Attributes={"RedrivePolicy": json.dumps(redrive)}
        )["QueueUrl"]
        self.rule = f"continuous-contact-events-{name}"
        self.events.put_rule(Name=self.rule, EventPattern=json.dumps(function.event_pattern))
        self.events.put_targets(Rule=self.rule, Targets=[{"Id": "queue", "Arn": self._arn(self.queue_url)}])

    def _arn(self, queue_url: str) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        return str(attributes["QueueArn"])

    def depth(self, queue_url: str) -> int:
        """Messages in the queue, visible or in flight."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        return sum(int(attributes[name]) for name in names)

    def close(self) -> None:
        self.events.remove_targets(Rule=self.rule, Ids=["queue"])
        self.events.delete_rule(Name=self.rule)


class EventSourcePoller:
    """Lambda's SQS event source mapping, for a queue on moto: batches, bounded concurrency, partial batch responses."""

    def __init__(
        self, function: ContinuousFunction, sqs_client: Any, queue_url: str, *, connect_endpoint_url: str
    ) -> None:
        self._function = function
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._queue_arn = sqs_client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._connect = connect_endpoint_url
        self.runs: list[FunctionRun] = []

    def _batch(self) -> bool:
        """Receives one batch and runs the function on it; whether there was anything to receive."""
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(10, self._function.batch_size),
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return False
        run = self._function.run(sqs_event(messages, self._queue_arn), connect_endpoint_url=self._connect)
        self.runs.append(run)
        failed = (
            {item["itemIdentifier"] for item in run.result.get("batchItemFailures", [])}
            if run.result is not None
            else {message["MessageId"] for message in messages}  # an error: the whole batch comes back
        )
        for message in messages:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return True

    def drain(self, *, max_batches: int = 1_000) -> int:
        """Runs batches, MaximumConcurrency at once, until the queue is empty; the number of batches run."""
        batches = 0
        with ThreadPoolExecutor(max_workers=self._function.max_concurrency) as pool:
            while batches < max_batches:
                received = list(pool.map(lambda _: self._batch(), range(self._function.max_concurrency)))
                batches += sum(received)
                if not any(received):
                    return batches
        return batches
