"""The status command's output: a rich table per stack (a progress bar for each running resource), or JSON.

Counts, states and times only: no attribute value and no contact ID is in a progress record.
"""

from __future__ import annotations

import json
import time
from typing import Any

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from contact_reconciler.progress_record import ProgressState, duration_text

from .deployment_status import WAITING, ResourceStatus, StackStatus

STATE_STYLES = {WAITING: "dim", ProgressState.RUNNING: "bold cyan", ProgressState.DONE: "green", "failed": "bold red"}


def _name(resource: ResourceStatus) -> str:
    if resource.shard_index is None:
        return resource.path
    path = resource.path.removesuffix(f"/Shard{resource.shard_index}")
    return f"{path} shard {resource.shard_index + 1} of {resource.shard_count}"


def resource_json(resource: ResourceStatus) -> dict[str, Any]:
    document: dict[str, Any] = {
        "path": resource.path,
        "logicalId": resource.logical_id,
        "shard": None
        if resource.shard_index is None
        else {"index": resource.shard_index, "count": resource.shard_count},
        "state": resource.state,
    }
    snapshot = resource.snapshot
    if snapshot is None:
        return document
    fraction = snapshot.fraction()
    document.update(
        operation=snapshot.operation,
        requestId=snapshot.request_id,
        startedAt=snapshot.started_at,
        updatedAt=snapshot.updated_at,
        done=snapshot.done,
        total=snapshot.total,
        percent=None if fraction is None else round(fraction * 100, 1),
        contactsPerSecond=snapshot.rate(),
        secondsLeft=snapshot.seconds_left(),
        updated=snapshot.updated,
        unchanged=snapshot.unchanged,
        missing=snapshot.missing,
        failed=snapshot.failed,
        throttled=snapshot.throttled,
        invocation=snapshot.invocation,
    )
    return document


def status_json(statuses: list[StackStatus]) -> str:
    return json.dumps(
        {
            "stacks": [
                {
                    "stack": status.stack_name,
                    "stackStatus": status.stack_status,
                    "stateTable": status.table,
                    "queued": status.queued,
                    "running": status.running,
                    "finished": status.finished,
                    "resources": [resource_json(resource) for resource in status.resources],
                }
                for status in statuses
            ]
        },
        indent=2,
    )


def _progress(resource: ResourceStatus, now: float) -> tuple[RenderableType, str, str]:
    """The bar, 'done of total (percent)', and 'rate, time left' (or how long ago it ended)."""
    snapshot = resource.snapshot
    if snapshot is None:
        return Text(""), "", ""
    fraction = snapshot.fraction()
    bar: RenderableType = (
        ProgressBar(total=100, completed=fraction * 100, width=24) if fraction is not None else Text("")
    )
    total = "?" if snapshot.total is None else f"{snapshot.total:,}"
    count = f"{snapshot.done:,} of {total}" + ("" if fraction is None else f" ({fraction * 100:.0f}%)")
    rate = snapshot.rate()
    pace = "" if rate is None else f"{rate:.1f}/s"
    if snapshot.state == ProgressState.RUNNING:
        left = snapshot.seconds_left()
        timing = f"{pace}, about {duration_text(left)} left" if left is not None else pace
        age = now - snapshot.updated_at
        if age > 120:
            timing += f" (last record {duration_text(age)} ago)"
    else:
        timing = f"{snapshot.state} {duration_text(max(0.0, now - snapshot.updated_at))} ago, took " + duration_text(
            snapshot.elapsed
        )
    return bar, count, timing


def status_renderable(statuses: list[StackStatus], now: float | None = None) -> RenderableType:
    moment = time.time() if now is None else now
    parts: list[RenderableType] = []
    for status in statuses:
        table = Table(
            title=f"{status.stack_name} ({status.stack_status}): {status.running} running, {status.queued} queued",
            title_justify="left",
            expand=False,
        )
        for column in ("resource", "state", "progress", "contacts", "rate, time left"):
            table.add_column(column)
        table.add_column("written / unchanged / missing / failed; throttled")
        for resource in status.resources:
            bar, count, timing = _progress(resource, moment)
            snapshot = resource.snapshot
            outcomes = (
                ""
                if snapshot is None
                else f"{snapshot.updated:,} / {snapshot.unchanged:,} / {snapshot.missing:,} / {snapshot.failed:,}; "
                f"{snapshot.throttled:,}"
            )
            state = resource.state if snapshot is None else f"{resource.state} ({snapshot.operation})"
            table.add_row(
                _name(resource), Text(state, style=STATE_STYLES.get(resource.state, "")), bar, count, timing, outcomes
            )
        parts.append(table)
    return Group(*parts)
