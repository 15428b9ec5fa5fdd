"""Progress through an ordered selection and its round trip through the event (JSON)."""

import json

from contact_reconciler.checkpoint import Checkpoint
from contact_reconciler.reconcile import ContactResult, Outcome, Progress, ReconcileReport


def test_progress_advances_over_finished_positions_in_any_order():
    progress = Progress()
    for position in (2, 0, 3):
        progress.finish(position)
    assert progress.next_position == 1
    assert progress.finished_beyond == {2, 3}
    assert [progress.is_finished(p) for p in range(5)] == [True, False, True, True, False]
    progress.finish(1)
    assert progress.next_position == 4
    assert progress.finished_beyond == set()


def test_checkpoint_round_trips_through_json():
    report = ReconcileReport()
    report.add(ContactResult("a", Outcome.UPDATED, expiry_skipped=True))
    report.add(ContactResult("b", Outcome.FAILED, "UpdateContact InvalidRequestException"))
    report.add(ContactResult("m", Outcome.MISSING))
    checkpoint = Checkpoint(1_700_000_000.5, 3, Progress(7, {9, 12}), report, old_selection_unavailable=True)
    restored = Checkpoint.from_json(json.loads(json.dumps(checkpoint.to_json())))
    assert restored == checkpoint
    assert restored.report.failure_reasons == {"UpdateContact InvalidRequestException": 1}


def test_report_keeps_complete_counts_but_only_the_first_ids():
    report = ReconcileReport()
    for i in range(1000):
        report.add(ContactResult(f"f{i}", Outcome.FAILED, "x"))
        report.add(ContactResult(f"m{i}", Outcome.MISSING))
    assert (report.failed, report.missing) == (1000, 1000)
    assert len(report.failures) == 20 and len(report.missing_ids) == 20
    assert len(json.dumps(report.to_json())) < 2000  # the checkpoint does not grow with the selection
