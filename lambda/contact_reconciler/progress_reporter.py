"""An operation's progress where operators look: the lease item (with each heartbeat), a log line, EMF metrics.

The lease's watcher thread asks `item()` for the record to store with each heartbeat (resource_lease); every
PROGRESS_LOG_INTERVAL_SECONDS, and once at the end, the reporter also logs progress_line() and prints one
Embedded Metric Format record with the counts since the last one (print: CloudWatch reads EMF only from a log
event that is JSON alone, and the runtime's log format prefixes every logged line). Counts only: no contact
ID, no attribute value.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from connect_contact_rules import PROGRESS_LOG_INTERVAL_SECONDS

from .checkpoint import Checkpoint
from .progress_record import ProgressDeltas, ProgressSnapshot, ProgressState, emf_document, progress_line

logger = logging.getLogger(__name__)


class ProgressReporter:
    """The progress of one invocation of one operation, read from its checkpoint as the reconcile fills it."""

    def __init__(
        self,
        *,
        operation: str,
        request_id: str,
        stack_id: str,
        logical_id: str,
        shard: tuple[int, int] | None,
        throttled: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._operation = operation
        self._request_id = request_id
        self._stack_name = stack_id.split("/")[1] if "/" in stack_id else stack_id
        self._logical_id = logical_id
        self.checkpoint: Checkpoint | None = None
        """The operation's checkpoint, once the operation has one (it fills the counts)."""
        self._shard = shard
        self.throttled = throttled
        """Throttled calls of this invocation so far (the checkpoint carries the earlier invocations')."""
        self._clock = clock
        self._lock = threading.Lock()
        self._logged: ProgressSnapshot | None = None
        self._next_log = clock() + PROGRESS_LOG_INTERVAL_SECONDS

    def snapshot(self, state: ProgressState = ProgressState.RUNNING) -> ProgressSnapshot | None:
        checkpoint = self.checkpoint
        if checkpoint is None:
            return None
        report = checkpoint.report
        return ProgressSnapshot(
            operation=self._operation,
            request_id=self._request_id,
            state=state.value,
            started_at=checkpoint.started_at,
            updated_at=self._clock(),
            done=report.total,
            total=checkpoint.total,
            updated=report.updated,
            unchanged=report.unchanged,
            missing=report.missing,
            failed=report.failed,
            throttled=checkpoint.throttled + self.throttled(),
            invocation=checkpoint.invocation,
            shard_index=self._shard[0] if self._shard else None,
            shard_count=self._shard[1] if self._shard else None,
        )

    def item(self) -> dict[str, Any] | None:
        """The record for the heartbeat; logs the line and the metrics when their interval has passed."""
        snapshot = self.snapshot()
        if snapshot is None:
            return None
        if self._clock() >= self._next_log:
            self.log(snapshot)
        return snapshot.to_item()

    def end(self, state: ProgressState) -> dict[str, Any] | None:
        """The last record (done or failed), logged with the metrics since the last line."""
        snapshot = self.snapshot(state)
        if snapshot is None:
            return None
        self.log(snapshot)
        return snapshot.to_item()

    def log(self, snapshot: ProgressSnapshot) -> None:
        with self._lock:
            self._next_log = self._clock() + PROGRESS_LOG_INTERVAL_SECONDS
            deltas = ProgressDeltas.between(self._logged, snapshot)
            self._logged = snapshot
        logger.info("%s", progress_line(snapshot))
        print(json.dumps(emf_document(deltas, self._stack_name, self._logical_id)), flush=True)
