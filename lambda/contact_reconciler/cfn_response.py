"""The PUT of a custom resource's response to CloudFormation's pre-signed ResponseURL, retried until accepted.

S3 (behind the ResponseURL) can answer a PUT with 500, 503 or a throttling 429, or drop the connection; a
response that is never stored leaves CloudFormation waiting for the whole ServiceTimeout. crhelper 2.0.12
retries only a failed connection, never an error status, so the handler sends through `put_response`
instead (index.py). It retries 5xx, 429 and connection errors with a capped exponential backoff, within a
deadline that the caller derives from the invocation's remaining time. Any other status (a 403 for an
expired URL, say) is final: retrying cannot help. Exactly one PUT is accepted per call.

Neither the URL nor the body is logged: the URL is a credential and the body can hold the Data.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from http.client import HTTPSConnection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
CONNECTION_TIMEOUT_SECONDS = 10.0


class ResponseNotAccepted(Exception):
    """The response could not be stored at the ResponseURL (a final status, or the deadline passed)."""


def is_retryable_status(status: int) -> bool:
    """Whether S3 may accept the same PUT later: a server error or throttling."""
    return status >= 500 or status == 429


def put_response(
    response_url: str,
    body: Mapping[str, Any],
    *,
    seconds: float,
    ca_file: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """PUTs the response until S3 accepts it (2xx), retrying within `seconds`; the number of attempts.

    Raises ResponseNotAccepted on a final status, or when the deadline leaves no room for another attempt.
    """
    data = json.dumps(body).encode("utf-8")
    parts = urlsplit(response_url)
    path = urlunsplit(("", "", parts.path, parts.query, ""))
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    give_up = clock() + seconds
    backoff = FIRST_BACKOFF_SECONDS
    attempt = 0
    while True:
        attempt += 1
        try:
            connection = HTTPSConnection(
                parts.netloc, context=context, timeout=max(1.0, min(CONNECTION_TIMEOUT_SECONDS, give_up - clock()))
            )
            try:
                # S3 takes the body as is: no content type (a signed URL signs none).
                connection.request(
                    "PUT", path, body=data, headers={"content-type": "", "content-length": str(len(data))}
                )
                status = connection.getresponse().status
            finally:
                connection.close()
        except OSError as error:  # refused, reset, timed out, TLS
            problem = type(error).__name__
        else:
            if 200 <= status < 300:
                logger.info("CloudFormation accepted the %s response (attempt %d)", body.get("Status"), attempt)
                return attempt
            if not is_retryable_status(status):
                raise ResponseNotAccepted(f"the ResponseURL answered HTTP {status}; not retried")
            problem = f"HTTP {status}"
        if clock() + backoff >= give_up:
            raise ResponseNotAccepted(f"the ResponseURL did not accept the response in {attempt} attempts ({problem})")
        logger.warning("the response was not accepted (%s); retrying in %.1f s", problem, backoff)
        sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
