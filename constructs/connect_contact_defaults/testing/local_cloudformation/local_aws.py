"""Point this process's AWS SDK at local stand-ins only: dummy signing credentials, a fixed Region, and none
of the developer's own AWS configuration (profiles, tokens, configured endpoints)."""

from __future__ import annotations

import os


def use_local_aws(region: str) -> None:
    """Call before any boto3 client exists."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        os.environ.pop(name, None)
    os.environ.update({key: value for key, value in local_aws_environment(region).items() if key.startswith("AWS_")})


def local_aws_environment(region: str, endpoints: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a subprocess whose AWS SDK sees local stand-ins only: this process's environment
    without any AWS_ variable, dummy credentials, one Region, no instance metadata, and
    ``AWS_ENDPOINT_URL_<SERVICE>`` for each of ``endpoints`` (service name -> URL, e.g. ``{"connect": url}``)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update({f"AWS_ENDPOINT_URL_{service.upper()}": url for service, url in (endpoints or {}).items()})
    return env
