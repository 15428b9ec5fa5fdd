"""The response: counts in Data, a Reason of at most 256 characters naming the first failed contacts."""

import json

from connect_contact_rules import MissingContactPolicy
from contact_reconciler.reconcile import ContactResult, Outcome, ReconcileReport
from contact_reconciler.response_summary import failure_reason, response_data, tolerated_failures_warning


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


# --- max_failed_contacts: a few failed contacts need not undo hours of work ---


def three_failed():
    return report_of(
        ContactResult("ok", Outcome.UPDATED),
        ContactResult("f1", Outcome.FAILED, "AccessDeniedException"),
        ContactResult("f2", Outcome.FAILED, "AccessDeniedException"),
        ContactResult("f3", Outcome.FAILED, "ThrottlingException after 8 attempts"),
    )


def test_at_the_limit_there_is_no_failure_reason_and_data_carries_failed():
    report = three_failed()
    assert failure_reason(report, MissingContactPolicy.SKIP, max_failed_contacts=3) is None
    assert response_data(report)["Failed"] == "3"
    warning = tolerated_failures_warning(report, 3)
    assert warning == (
        "3 of 4 contacts failed (2 contacts: AccessDeniedException; 1 contact: ThrottlingException after 8 attempts), within "
        "max_failed_contacts=3: answering SUCCESS. First: f1, f2, f3"
    )


def test_over_the_limit_the_reason_names_the_limit_and_there_is_no_warning():
    report = three_failed()
    reason = failure_reason(report, MissingContactPolicy.SKIP, max_failed_contacts=2)
    assert reason == (
        "3 of 4 contacts failed (2 contacts: AccessDeniedException; 1 contact: ThrottlingException after 8 attempts), more than "
        "max_failed_contacts=2. First: f1, f2, f3"
    )
    assert tolerated_failures_warning(report, 2) is None


def test_the_default_zero_fails_on_the_first_failure_as_before():
    report = three_failed()
    assert failure_reason(report, MissingContactPolicy.SKIP) == failure_reason(report, MissingContactPolicy.SKIP, 0)
    assert failure_reason(report, MissingContactPolicy.SKIP).startswith("3 of 4 contacts failed (")
    assert "max_failed_contacts" not in failure_reason(report, MissingContactPolicy.SKIP)
    assert tolerated_failures_warning(report_of(ContactResult("ok", Outcome.UPDATED)), 5) is None


def test_tolerated_failures_still_fail_on_missing_contacts_under_fail():
    report = report_of(ContactResult("f1", Outcome.FAILED, "x"), ContactResult("m", Outcome.MISSING))
    assert failure_reason(report, MissingContactPolicy.FAIL, max_failed_contacts=1) == (
        "1 of 2 contacts do not exist and missing_contacts is FAIL. First: m"
    )


def test_the_warning_fits_the_reason_length_with_many_failures():
    report = report_of(*(ContactResult(f"{i:036d}", Outcome.FAILED, "AccessDeniedException") for i in range(100)))
    warning = tolerated_failures_warning(report, 100)
    assert warning is not None
    assert len(warning) <= 256
    assert warning.startswith(
        "100 of 100 contacts failed (100 contacts: AccessDeniedException), within max_failed_contacts=100"
    )
