"""Point this process's AWS SDK at local stand-ins only: dummy signing credentials, a fixed Region, and none
of the developer's own AWS configuration (profiles, tokens, configured endpoints)."""

from __future__ import annotations

import os


def use_local_aws(region: str) -> None:
    """Call before any boto3 client exists."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        os.environ.pop(name, None)
