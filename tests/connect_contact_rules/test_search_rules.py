"""Search selections: the window, the filters, the limits (checked against botocore's model) and the query's
properties, semantics and pace."""

from datetime import UTC, datetime, timedelta, timezone

import botocore.session
import pytest

from connect_contact_rules import (
    SEARCH_CHANNELS,
    SEARCH_INITIATION_METHODS,
    SEARCH_NEXT_TOKEN_MAX_LENGTH,
    SEARCH_PAGE_SIZE,
    SEARCH_QUEUE_IDS_MAX,
    Channel,
    RuleViolation,
    SearchProp,
    SearchQuery,
    check_max_contacts,
    check_queue_ids,
    check_search_lookback,
    check_search_values,
    check_search_window,
    format_timestamp,
    parse_timestamp,
    search_contacts_rate,
    search_listing_seconds,
)

OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOV = datetime(2026, 11, 1, tzinfo=UTC)


def model():
    return botocore.session.get_session().get_service_model("connect")


def test_enum_values_and_limits_are_those_of_the_installed_botocore_model():
    connect = model()
    assert tuple(connect.shape_for("Channel").enum) == SEARCH_CHANNELS
    assert tuple(Channel) == SEARCH_CHANNELS
    assert tuple(connect.shape_for("ContactInitiationMethod").enum) == SEARCH_INITIATION_METHODS
    assert connect.shape_for("QueueIdList").metadata["max"] == SEARCH_QUEUE_IDS_MAX
    request = connect.operation_model("SearchContacts").input_shape
    assert request.members["MaxResults"].metadata["max"] == SEARCH_PAGE_SIZE
    assert request.members["NextToken"].metadata["max"] == SEARCH_NEXT_TOKEN_MAX_LENGTH
    assert "INITIATION_TIMESTAMP" in connect.shape_for("SearchContactsTimeRangeType").enum


@pytest.mark.parametrize(
    ("window", "field", "problem"),
    [
        ((None, None, None), "initiated_within", "neither was given"),
        ((timedelta(days=1), OCT, NOV), "initiated_within", "both were given"),
        ((timedelta(0), None, None), "initiated_within", "give a positive duration"),
        ((timedelta(weeks=8, seconds=1), None, None), "initiated_within", "at most 8 weeks"),
        ((None, OCT, None), "initiated_before", "is missing"),
        ((None, None, NOV), "initiated_after", "is missing"),
        ((None, datetime(2026, 10, 1), NOV), "initiated_after", "has no time zone"),
        ((None, OCT, datetime(2026, 11, 1)), "initiated_before", "has no time zone"),
        ((None, NOV, OCT), "initiated_after", "is not before initiated_before"),
        ((None, OCT, OCT), "initiated_after", "is not before"),
        ((None, OCT, OCT + timedelta(weeks=9)), "initiated_before", "split it into several ContactDefaults"),
    ],
)
def test_a_bad_window_names_the_field_and_the_fix(window, field, problem):
    with pytest.raises(RuleViolation) as raised:
        check_search_window(*window)
    assert raised.value.field == field
    assert problem in raised.value.problem


def test_windows_at_the_limits_are_valid():
    check_search_window(timedelta(weeks=8), None, None)
    check_search_window(timedelta(seconds=1), None, None)
    check_search_window(None, OCT, OCT + timedelta(weeks=8))
    check_search_window(None, datetime(2026, 10, 1, 2, tzinfo=timezone(timedelta(hours=2))), NOV)


def test_a_window_further_back_than_two_years_is_refused():
    now = datetime(2026, 11, 22, tzinfo=UTC)
    check_search_lookback(now - timedelta(days=730), now)
    with pytest.raises(RuleViolation, match="more than 730 days ago"):
        check_search_lookback(now - timedelta(days=731), now)


def test_filters_must_be_known_values_each_once_and_not_empty():
    assert check_search_values([Channel.EMAIL, "TASK"], SEARCH_CHANNELS, "channels") == ("EMAIL", "TASK")
    with pytest.raises(RuleViolation, match=r"'FAX' is not one of VOICE, CHAT, TASK, EMAIL") as raised:
        check_search_values(["EMAIL", "FAX"], SEARCH_CHANNELS, "channels")
    assert raised.value.field == "channels[1]"
    with pytest.raises(RuleViolation, match="listed twice"):
        check_search_values(["API", "API"], SEARCH_INITIATION_METHODS, "initiation_methods")
    with pytest.raises(RuleViolation, match="leave it out"):
        check_search_values([], SEARCH_CHANNELS, "channels")


def test_at_most_100_queue_ids():
    assert len(check_queue_ids([f"q{i}" for i in range(100)])) == 100
    with pytest.raises(RuleViolation, match="101 queue IDs given; SearchContacts takes at most 100"):
        check_queue_ids([f"q{i}" for i in range(101)])
    with pytest.raises(RuleViolation, match="listed twice"):
        check_queue_ids(["q", "q"])
    with pytest.raises(RuleViolation, match="non-empty"):
        check_queue_ids(["q", ""])


@pytest.mark.parametrize("bad", [0, 10_001, 2.5, True, "10"])
def test_max_contacts_is_1_to_10000(bad):
    check_max_contacts(1)
    check_max_contacts(10_000)
    with pytest.raises(RuleViolation):
        check_max_contacts(bad)


def test_timestamps_round_trip_in_utc_and_need_a_time_zone():
    cest = datetime(2026, 10, 1, 2, 0, 0, 500_000, tzinfo=timezone(timedelta(hours=2)))
    assert format_timestamp(cest) == "2026-10-01T00:00:00.500000Z"
    assert parse_timestamp("2026-10-01T00:00:00.500000Z", "f") == cest
    with pytest.raises(RuleViolation, match="no time zone"):
        parse_timestamp("2026-10-01T00:00:00", "f")
    with pytest.raises(RuleViolation, match="not an ISO 8601"):
        parse_timestamp("yesterday", "f")


def test_a_relative_window_ends_when_the_operation_runs_and_an_absolute_one_never_after():
    now = datetime(2026, 10, 20, tzinfo=UTC)
    assert SearchQuery(timedelta(days=7), None, None).window(now) == (now - timedelta(days=7), now)
    assert SearchQuery(None, OCT, NOV).window(now) == (OCT, now)
    assert SearchQuery(None, OCT, NOV).window(NOV + timedelta(days=1)) == (OCT, NOV)


def test_matches_applies_the_window_edges_and_every_filter():
    query = SearchQuery(None, OCT, NOV, channels=("EMAIL",), queue_ids=("billing",), initiation_methods=("API",))
    now = NOV + timedelta(days=1)
    assert query.matches(OCT, "EMAIL", "billing", "API", now)
    assert not query.matches(NOV, "EMAIL", "billing", "API", now)  # the end is not in the window
    assert not query.matches(OCT - timedelta(microseconds=1), "EMAIL", "billing", "API", now)
    assert not query.matches(OCT, "TASK", "billing", "API", now)
    assert not query.matches(OCT, "EMAIL", None, "API", now)
    assert not query.matches(OCT, "EMAIL", "billing", "INBOUND", now)
    assert SearchQuery(None, OCT, NOV).matches(OCT, "VOICE", None, "FLOW", now)


def test_properties_hold_the_query_as_strings():
    relative = SearchQuery(timedelta(days=7), None, None, channels=("EMAIL", "TASK"), revision="2")
    assert relative.to_properties() == {
        SearchProp.INITIATED_WITHIN_SECONDS: "604800",
        SearchProp.CHANNELS: ["EMAIL", "TASK"],
        SearchProp.MAX_CONTACTS: "10000",
        SearchProp.REVISION: "2",
    }
    absolute = SearchQuery(None, OCT, NOV, queue_ids=("q1",), initiation_methods=("API",), max_contacts=50)
    assert absolute.to_properties() == {
        SearchProp.INITIATED_AFTER: "2026-10-01T00:00:00Z",
        SearchProp.INITIATED_BEFORE: "2026-11-01T00:00:00Z",
        SearchProp.QUEUE_IDS: ["q1"],
        SearchProp.INITIATION_METHODS: ["API"],
        SearchProp.MAX_CONTACTS: "50",
    }
    assert absolute.criteria() == {"QueueIds": ["q1"], "InitiationMethods": ["API"]}


def test_revision_and_max_contacts_do_not_change_what_a_query_selects():
    query = SearchQuery(timedelta(days=7), None, None, channels=("EMAIL",))
    assert query.selects_as(
        SearchQuery(timedelta(days=7), None, None, channels=("EMAIL",), max_contacts=5, revision="x")
    )
    assert not query.selects_as(SearchQuery(timedelta(days=8), None, None, channels=("EMAIL",)))
    assert not query.selects_as(SearchQuery(timedelta(days=7), None, None))


def test_search_is_paced_at_its_own_quota_and_listing_time_follows_pages():
    assert search_contacts_rate(20) == 0.5
    assert search_contacts_rate(0.2) == 0.2
    assert search_listing_seconds(2_000, 20) == pytest.approx(20 / (0.5 * 0.95))
    assert search_listing_seconds(0, 20) == pytest.approx(1 / (0.5 * 0.95))
