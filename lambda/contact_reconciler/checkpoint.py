"""Where a long operation stands, carried in the event from one Lambda invocation to the next.

The works of an operation come in a fixed order (file order, then sorted IDs that left the
selection), so a position identifies a contact: every position before next_position is finished,
and so are those in finished_beyond. A finished contact is never done again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .reconcile import Progress, ReconcileReport

CHECKPOINT_EVENT_KEY = "ContactDefaultsCheckpoint"


@dataclass
class Checkpoint:
    started_at: float
    """Epoch seconds when the first invocation of this operation started (ServiceTimeout counts from here)."""
    invocation: int = 1
    progress: Progress = field(default_factory=Progress)
    report: ReconcileReport = field(default_factory=ReconcileReport)
    old_selection_unavailable: bool = False
    estimated: bool = False
    """Whether the ServiceTimeout estimate was made (before the first Connect call)."""
    search_cursor: dict[str, Any] | None = None
    """Where a search selection stands (contact_search.SearchCursor); positions then restart in each invocation."""
    total: int | None = None
    """Contacts the operation handles, where the first invocation's estimate counted them (progress records)."""
    throttled: int = 0
    """Throttled Connect calls of the earlier invocations of the chain (progress records)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "startedAt": self.started_at,
            "invocation": self.invocation,
            "nextPosition": self.progress.next_position,
            "finishedBeyond": sorted(self.progress.finished_beyond),
            "report": self.report.to_json(),
            "oldSelectionUnavailable": self.old_selection_unavailable,
            "estimated": self.estimated,
            "searchCursor": self.search_cursor,
            "total": self.total,
            "throttled": self.throttled,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(
            started_at=float(data["startedAt"]),
            invocation=int(data["invocation"]),
            progress=Progress(int(data["nextPosition"]), set(data["finishedBeyond"])),
            report=ReconcileReport.from_json(data["report"]),
            old_selection_unavailable=bool(data["oldSelectionUnavailable"]),
            estimated=bool(data.get("estimated", True)),
            search_cursor=data.get("searchCursor"),
            total=data.get("total"),
            throttled=int(data.get("throttled", 0)),
        )
