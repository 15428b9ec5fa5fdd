"""What the custom resource answers CloudFormation: Data counts and a failure Reason of at most 256 characters.

The response body must stay under 4,096 bytes whatever the number of contacts, so Data holds
counts only and the Reason names just the first few contact IDs that fit.
"""

from __future__ import annotations

from connect_contact_rules import MissingContactPolicy, Result

from .reconcile import ReconcileReport

REASON_MAX_CHARACTERS = 256
"""crhelper keeps only the last 240 characters of a longer Reason; we never send one."""


def response_data(report: ReconcileReport) -> dict[str, str]:
    return {
        Result.UPDATED: str(report.updated),
        Result.UNCHANGED: str(report.unchanged),
        Result.MISSING: str(report.missing),
        Result.FAILED: str(report.failed),
        Result.EXPIRY_SKIPPED: str(report.expiry_skipped),
    }


def _with_first_ids(summary: str, contact_ids: list[str]) -> str:
    """summary + ' First: a, b, ...' with as many IDs as fit in REASON_MAX_CHARACTERS."""
    text = summary
    separator = ". First: "
    for contact_id in contact_ids:
        candidate = f"{text}{separator}{contact_id}"
        if len(candidate) > REASON_MAX_CHARACTERS:
            break
        text, separator = candidate, ", "
    return text[:REASON_MAX_CHARACTERS]


def _failures_summary(report: ReconcileReport) -> str:
    why = "; ".join(
        f"{count} {'contact' if count == 1 else 'contacts'}: {reason}"
        for reason, count in report.failure_reasons.most_common()
    )
    return f"{report.failed} of {report.total} contacts failed ({why}"[: REASON_MAX_CHARACTERS - 40] + ")"


def failure_reason(
    report: ReconcileReport, missing_contacts: MissingContactPolicy, max_failed_contacts: int = 0
) -> str | None:
    """None when the resource succeeded; otherwise why it failed, how many contacts, and the first IDs.

    Up to ``max_failed_contacts`` failed contacts still succeed (tolerated_failures_warning says so); one more
    fails the resource, and the Reason then names the limit.
    """
    if report.failed > max_failed_contacts:
        summary = _failures_summary(report)
        if max_failed_contacts:
            summary += f", more than max_failed_contacts={max_failed_contacts}"
        return _with_first_ids(summary, [contact_id for contact_id, _ in report.failures])
    if report.missing and missing_contacts is MissingContactPolicy.FAIL:
        summary = f"{report.missing} of {report.total} contacts do not exist and missing_contacts is FAIL"
        return _with_first_ids(summary, report.missing_ids)
    return None


def tolerated_failures_warning(report: ReconcileReport, max_failed_contacts: int) -> str | None:
    """The WARNING of a resource that succeeds with failed contacts (at most max_failed_contacts), else None.

    It names why they failed and the first contact IDs (never a value); the response's Data carries Failed.
    """
    if not report.failed or report.failed > max_failed_contacts:
        return None
    summary = f"{_failures_summary(report)}, within max_failed_contacts={max_failed_contacts}: answering SUCCESS"
    return _with_first_ids(summary, [contact_id for contact_id, _ in report.failures])
