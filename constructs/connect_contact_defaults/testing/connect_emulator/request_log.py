"""The log of every request the emulator answered, for assertions."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[^/,\s]+)/")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    time: float
    """time.monotonic() when the request arrived."""
    operation: str
    """The Connect operation name, or "UnknownOperation" when no operation's route matched."""
    instance_id: str | None
    contact_id: str | None
    """ContactId or InitialContactId, when the request names one."""
    status: int
    error_code: str | None
    region: str | None
    """From the SigV4 credential scope of the Authorization header; None if unsigned."""
    is_write: bool
    user_agent: str = ""
    """The User-Agent header (as CloudTrail records it): tells which client, or which chain, sent the call."""


def region_from_authorization(authorization: str | None) -> str | None:
    """``AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-2/connect/aws4_request, ...`` -> ``eu-west-2``."""
    if not authorization:
        return None
    match = _CREDENTIAL_SCOPE.search(authorization)
    return match.group("region") if match else None


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
