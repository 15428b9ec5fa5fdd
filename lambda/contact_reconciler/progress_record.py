"""How far an operation has come: the record the Lambda keeps in the lease item, its log line and its metrics.

Pure standard library, no I/O. The Lambda writes ``ProgressSnapshot.to_item()`` into the resource's lease item
(attribute PROGRESS_ATTRIBUTE) every few seconds while its chain works, and once more with state "done" or
"failed"; every PROGRESS_LOG_INTERVAL_SECONDS it logs ``progress_line()`` and ``emf_document()``. The
``connect-contact-defaults status`` command reads the same item back with ``ProgressSnapshot.from_item()``.

Neither the record nor the line nor the metrics carry an attribute value or a contact ID: counts only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from connect_contact_rules import (
    METRIC_DIMENSION_RESOURCE,
    METRIC_DIMENSION_STACK,
    METRIC_NAMESPACE,
    Metric,
)


class ProgressState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


_NUMBERS = ("started_at", "updated_at", "done", "updated", "unchanged", "missing", "failed", "throttled", "invocation")
_OPTIONAL_NUMBERS = ("total", "shard_index", "shard_count")
_WHOLE = frozenset(
    {
        "done",
        "total",
        "updated",
        "unchanged",
        "missing",
        "failed",
        "throttled",
        "invocation",
        "shard_index",
        "shard_count",
    }
)


@dataclass(frozen=True)
class ProgressSnapshot:
    """One operation (RequestId) of one resource, as far as its chain of invocations has come."""

    operation: str
    """The CloudFormation RequestType: Create, Update or Delete."""
    request_id: str
    state: str
    """A ProgressState value: running, done or failed."""
    started_at: float
    """Epoch seconds when the operation's first invocation started."""
    updated_at: float
    """Epoch seconds of this snapshot."""
    done: int
    """Contacts finished (every outcome)."""
    total: int | None
    """Contacts the operation will handle, where known (IDs, a file's shard, a search's TotalCount)."""
    updated: int
    unchanged: int
    missing: int
    failed: int
    throttled: int
    """Throttled Connect calls (each was retried)."""
    invocation: int
    """The invocation of the chain that wrote this snapshot (1 for the first)."""
    shard_index: int | None
    shard_count: int | None

    def to_item(self) -> dict[str, Any]:
        """The snapshot as a DynamoDB AttributeValue of type M (None fields left out)."""
        value: dict[str, Any] = {
            "operation": {"S": self.operation},
            "request_id": {"S": self.request_id},
            "state": {"S": self.state},
        }
        for name in (*_NUMBERS, *_OPTIONAL_NUMBERS):
            number = getattr(self, name)
            if number is not None:
                value[name] = {"N": str(number) if name in _WHOLE else repr(float(number))}
        return {"M": value}

    @classmethod
    def from_item(cls, value: Mapping[str, Any]) -> ProgressSnapshot:
        """The snapshot from its AttributeValue ({"M": {...}}); raises ValueError naming a bad field."""
        members = value.get("M") if isinstance(value, Mapping) else None
        if not isinstance(members, Mapping):
            raise ValueError("progress: not a DynamoDB map (M)")
        parsed: dict[str, Any] = {}
        for spec in fields(cls):
            raw = members.get(spec.name)
            if spec.name in ("operation", "request_id", "state"):
                if not isinstance(raw, Mapping) or not isinstance(raw.get("S"), str):
                    raise ValueError(f"progress.{spec.name}: missing or not a string")
                parsed[spec.name] = raw["S"]
                continue
            if raw is None and spec.name in _OPTIONAL_NUMBERS:
                parsed[spec.name] = None
                continue
            try:
                number = float(raw["N"])
            except (TypeError, KeyError, ValueError):
                raise ValueError(f"progress.{spec.name}: missing or not a number") from None
            parsed[spec.name] = int(number) if spec.name in _WHOLE else number
        if parsed["state"] not in {state.value for state in ProgressState}:
            raise ValueError(f"progress.state: {parsed['state'][:20]!r} is not running, done or failed")
        return cls(**parsed)

    @property
    def elapsed(self) -> float:
        return max(0.0, self.updated_at - self.started_at)

    def rate(self) -> float | None:
        """Contacts a second since the operation started; None before the first contact or the first second."""
        if self.done <= 0 or self.elapsed <= 0:
            return None
        return self.done / self.elapsed

    def seconds_left(self) -> float | None:
        """At the rate so far, seconds until the total is done; 0 when done, None when unknown."""
        if self.state != ProgressState.RUNNING:
            return 0.0 if self.state == ProgressState.DONE else None
        rate = self.rate()
        if self.total is None or rate is None:
            return None
        return max(0, self.total - self.done) / rate

    def fraction(self) -> float | None:
        """Share of the total done (0 to 1), None when the total is unknown; 1 for an empty total."""
        if self.total is None:
            return 1.0 if self.state == ProgressState.DONE else None
        if self.total <= 0:
            return 1.0
        return min(1.0, self.done / self.total)


def duration_text(seconds: float) -> str:
    """A duration as people say it: 45 s, 33 min, 5 h 40 min."""
    if seconds < 60:
        return f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def progress_line(snapshot: ProgressSnapshot) -> str:
    """The INFO line: ``progress: 4,210 of 13,500 contacts (31%), 4.7/s, about 33 min left; 12 throttled, 0 failed``."""
    fraction = snapshot.fraction()
    if snapshot.total is None:
        parts = [f"progress: {snapshot.done:,} contacts"]
    else:
        parts = [f"progress: {snapshot.done:,} of {snapshot.total:,} contacts ({math.floor((fraction or 0) * 100)}%)"]
    rate = snapshot.rate()
    if rate is not None:
        parts.append(f"{rate:.1f}/s")
    left = snapshot.seconds_left()
    if snapshot.state == ProgressState.RUNNING and left is not None:
        parts.append(f"about {duration_text(left)} left")
    elif snapshot.state != ProgressState.RUNNING:
        parts.append(f"{snapshot.state} after {duration_text(snapshot.elapsed)}")
    return ", ".join(parts) + f"; {snapshot.throttled:,} throttled, {snapshot.failed:,} failed"


@dataclass(frozen=True)
class ProgressDeltas:
    """What happened between two snapshots of one operation: the values one EMF record carries."""

    updated: int
    unchanged: int
    missing: int
    failed: int
    throttled: int
    at: float
    """Epoch seconds of the later snapshot."""

    @classmethod
    def between(cls, earlier: ProgressSnapshot | None, later: ProgressSnapshot) -> ProgressDeltas:
        """From ``earlier`` (None: the operation's start) to ``later``; never negative (a restarted count gives 0)."""

        def delta(name: str) -> int:
            before = 0 if earlier is None or earlier.request_id != later.request_id else getattr(earlier, name)
            return max(0, getattr(later, name) - before)

        return cls(
            updated=delta("updated"),
            unchanged=delta("unchanged"),
            missing=delta("missing"),
            failed=delta("failed"),
            throttled=delta("throttled"),
            at=later.updated_at,
        )


EMF_METRICS = (
    (Metric.CONTACTS_WRITTEN, "updated"),
    (Metric.CONTACTS_UNCHANGED, "unchanged"),
    (Metric.CONTACTS_MISSING, "missing"),
    (Metric.CONTACTS_FAILED, "failed"),
    (Metric.THROTTLED_CALLS, "throttled"),
)
"""Each metric and the ProgressDeltas field it carries; every unit is Count."""


def emf_document(deltas: ProgressDeltas | ProgressSnapshot, stack_name: str, resource: str) -> dict[str, Any]:
    """A CloudWatch Embedded Metric Format record (log it as one JSON line): counts since the last record.

    A ProgressSnapshot stands for the deltas since its operation's start. ``resource`` is the logical ID.
    """
    if isinstance(deltas, ProgressSnapshot):
        deltas = ProgressDeltas.between(None, deltas)
    return {
        "_aws": {
            "Timestamp": int(deltas.at * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": METRIC_NAMESPACE,
                    "Dimensions": [[METRIC_DIMENSION_STACK, METRIC_DIMENSION_RESOURCE]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name, _ in EMF_METRICS],
                }
            ],
        },
        METRIC_DIMENSION_STACK: stack_name,
        METRIC_DIMENSION_RESOURCE: resource,
        **{name: getattr(deltas, attribute) for name, attribute in EMF_METRICS},
    }
