"""The AWS clients of one run, from the caller's credentials and configuration (profiles, AWS_ENDPOINT_URL_*)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .command_errors import aws_call_failed

USER_AGENT = "cdk-connect-contact-defaults-plan"


class AwsClients:
    """Creates each client once, in the calling thread (boto3 client creation is not thread-safe)."""

    def __init__(self, session: boto3.Session | None = None) -> None:
        self._session = session or boto3.Session()
        self._clients: dict[tuple[str, str], Any] = {}
        self._caller_account: str | None = None

    @property
    def default_region(self) -> str | None:
        return self._session.region_name

    def _client(self, service: str, region: str, config: Config) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=region, config=config)
        return self._clients[key]

    def cloudformation(self, region: str) -> Any:
        return self._client("cloudformation", region, Config(retries={"mode": "standard"}, user_agent_extra=USER_AGENT))

    def dynamodb(self, region: str) -> Any:
        return self._client("dynamodb", region, Config(retries={"mode": "standard"}, user_agent_extra=USER_AGENT))

    def s3(self, region: str) -> Any:
        return self._client("s3", region, Config(retries={"mode": "standard"}, user_agent_extra=USER_AGENT))

    def connect(self, region: str, max_concurrency: int) -> Any:
        """botocore's retries off: ConnectContacts retries, paced by the same budget (as in the handler)."""
        config = Config(
            retries={"total_max_attempts": 1},
            max_pool_connections=max_concurrency + 2,
            connect_timeout=5,
            read_timeout=20,
            user_agent_extra=USER_AGENT,
        )
        return self._client("connect", region, config)

    def endpoint_origin(self, service: str, region: str) -> str:
        """What set the endpoint the client of ``service`` calls, as botocore resolves it: the variable's name,
        the config file, or the service's default for the Region."""
        if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
            return f"the default {service} endpoint for {region} (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true)"
        for variable in (f"AWS_ENDPOINT_URL_{service.upper()}", "AWS_ENDPOINT_URL"):
            if os.environ.get(variable):
                return variable
        config = self._session._session.get_scoped_config()  # the profile's settings, as botocore reads them
        if config.get("endpoint_url") or config.get("services"):
            return "the AWS config file (the profile's endpoint_url or services section)"
        return f"the default {service} endpoint for {region} (AWS_ENDPOINT_URL_{service.upper()} is not set)"

    def caller_account(self, region: str) -> str:
        """The account of the caller's credentials (STS GetCallerIdentity, once)."""
        if self._caller_account is None:
            sts = self._client("sts", region, Config(retries={"mode": "standard"}, user_agent_extra=USER_AGENT))
            try:
                self._caller_account = str(sts.get_caller_identity()["Account"])
            except (ClientError, BotoCoreError) as error:
                raise aws_call_failed("sts:GetCallerIdentity", "the caller's credentials", error) from None
        return self._caller_account
