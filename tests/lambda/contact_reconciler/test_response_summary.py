"""The response: counts in Data, a Reason of at most 256 characters naming the first failed contacts."""

import json

from connect_contact_rules import MissingContactPolicy
from contact_reconciler.reconcile import ContactResult, Outcome, ReconcileReport
from contact_reconciler.response_summary import failure_reason, response_data


def report_of(*results):
    report = ReconcileReport()
    for result in results:
        report.add(result)
    return report


def test_data_carries_every_count_as_a_string():
    report = report_of(
        ContactResult("a", Outcome.UPDATED, expiry_skipped=True),
        ContactResult("b", Outcome.UNCHANGED),
        ContactResult("c", Outcome.MISSING),
        ContactResult("d", Outcome.FAILED, "x"),
    )
    assert response_data(report) == {
        "Updated": "1",
        "Unchanged": "1",
        "Missing": "1",
        "Failed": "1",
        "ExpirySkipped": "1",
    }


def test_success_has_no_reason_and_missing_only_fails_under_fail():
    report = report_of(ContactResult("a", Outcome.UPDATED), ContactResult("m", Outcome.MISSING))
    assert failure_reason(report, MissingContactPolicy.SKIP) is None
    assert failure_reason(report, MissingContactPolicy.FAIL) == (
        "1 of 2 contacts do not exist and missing_contacts is FAIL. First: m"
    )


def test_reason_groups_causes_and_lists_the_first_ids_that_fit():
    results = [
        ContactResult(f"contact-{i:04d}", Outcome.FAILED, "UpdateContact AccessDeniedException") for i in range(40)
    ]
    results.append(
        ContactResult("big", Outcome.FAILED, "attributes would take 40000 UTF-8 bytes, over the limit of 32768")
    )
    reason = failure_reason(report_of(*results), MissingContactPolicy.SKIP)
    assert reason.startswith(
        "41 of 41 contacts failed (40 contacts: UpdateContact AccessDeniedException; 1 contact: attributes would"
    )
    assert "First: contact-0000, contact-0001" in reason
    assert len(reason) <= 256


def test_reason_and_body_stay_small_for_huge_ids_and_counts():
    huge = [ContactResult("x" * 256 + str(i), Outcome.FAILED, f"reason {i % 50}") for i in range(50_000)]
    report = report_of(*huge)
    reason = failure_reason(report, MissingContactPolicy.SKIP)
    assert reason.startswith("50000 of 50000 contacts failed (")
    assert len(reason) <= 256
    body = {
        "Status": "FAILED",
        "Reason": reason,
        "PhysicalResourceId": "p" * 200,
        "StackId": "s" * 200,
        "RequestId": "r" * 40,
        "LogicalResourceId": "l" * 255,
        "Data": response_data(report),
        "NoEcho": False,
    }
    assert len(json.dumps(body)) < 4096
