"""SearchContacts through a real boto3 client: time range, filters, sort, pages, tokens, errors and its quota."""

from __future__ import annotations

import json
import math
import urllib.request

import botocore.session
import pytest
from botocore.exceptions import ClientError
from emulator_helpers import INSTANCE, REGION, error_of, make_client

from connect_contact_defaults.testing.connect_emulator import ConnectEmulator, SeedContact

T0 = 1_780_000_000.0
EXPIRY = {"connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 60}}}}


@pytest.fixture
def search_emulator():
    """Ten contacts one second apart from T0, seeded out of ID order; SearchContacts unthrottled."""
    with ConnectEmulator(rate=math.inf) as emulator:
        emulator.set_quota(rate=math.inf, operation="SearchContacts")
        seeds = [
            SeedContact("s5", channel="EMAIL", initiation_timestamp=T0 + 5, queue_id="billing"),
            SeedContact("s0", channel="VOICE", initiation_timestamp=T0, initiation_method="INBOUND"),
            SeedContact("s1", channel="CHAT", initiation_timestamp=T0 + 1, queue_id="sales"),
            SeedContact(
                "s2", channel="TASK", initiation_timestamp=T0 + 2, queue_id="billing", segment_attributes=EXPIRY
            ),
            SeedContact("s3", channel="EMAIL", initiation_timestamp=T0 + 3, initiation_method="INBOUND"),
            SeedContact("s4", channel="TASK", initiation_timestamp=T0 + 4, queue_id="sales"),
            SeedContact("s9", channel="EMAIL", initiation_timestamp=T0 + 9),
            SeedContact("s7", channel="TASK", initiation_timestamp=T0 + 7, queue_id="billing"),
            SeedContact("s6", channel="VOICE", initiation_timestamp=T0 + 6),
            SeedContact("s8", channel="CHAT", initiation_timestamp=T0 + 8),
        ]
        emulator.add_contacts(INSTANCE, seeds)
        yield emulator


@pytest.fixture
def search(search_emulator):
    client = make_client(search_emulator.endpoint_url)

    def call(start=T0, end=T0 + 100, **params):
        time_range = {"Type": "INITIATION_TIMESTAMP", "StartTime": start, "EndTime": end}
        return client.search_contacts(InstanceId=INSTANCE, TimeRange=time_range, **params)

    return call


ASCENDING = {"FieldName": "INITIATION_TIMESTAMP", "Order": "ASCENDING"}


def ids(answer) -> list[str]:
    return [contact["Id"] for contact in answer["Contacts"]]


def test_the_time_range_includes_its_start_and_excludes_its_end(search):
    answer = search(start=T0 + 2, end=T0 + 5, Sort=ASCENDING)
    assert ids(answer) == ["s2", "s3", "s4"]
    assert answer["TotalCount"] == 3
    assert "NextToken" not in answer


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"Channels": ["EMAIL", "TASK"]}, ["s2", "s3", "s4", "s5", "s7", "s9"]),
        ({"QueueIds": ["billing"]}, ["s2", "s5", "s7"]),
        ({"InitiationMethods": ["INBOUND"]}, ["s0", "s3"]),
        ({"Channels": ["TASK"], "QueueIds": ["billing", "sales"]}, ["s2", "s4", "s7"]),
        ({"Channels": []}, []),
    ],
    ids=["channels", "queues", "methods", "all-must-match", "empty-list"],
)
def test_filters_combine_with_and_and_each_lists_alternatives(search, criteria, expected):
    answer = search(SearchCriteria=criteria, Sort=ASCENDING)
    assert ids(answer) == expected
    assert answer["TotalCount"] == len(expected)


def test_without_a_sort_the_newest_come_first_and_ties_keep_their_seeding_order(search_emulator, search):
    assert ids(search())[:3] == ["s9", "s8", "s7"]
    search_emulator.add_contacts(
        INSTANCE, [SeedContact(name, channel="TASK", initiation_timestamp=T0 + 50) for name in ("tie-b", "tie-a")]
    )
    assert ids(search(start=T0 + 50, Sort=ASCENDING)) == ["tie-b", "tie-a"]
    assert ids(search(start=T0 + 9, Sort={"FieldName": "INITIATION_TIMESTAMP", "Order": "DESCENDING"})) == [
        "tie-b",
        "tie-a",
        "s9",
    ]


def test_summaries_carry_channel_queue_method_time_and_segment_attributes(search):
    contacts = {contact["Id"]: contact for contact in search(Sort=ASCENDING)["Contacts"]}
    task = contacts["s2"]
    assert task["Channel"] == "TASK"
    assert task["QueueInfo"] == {"Id": "billing"}
    assert task["InitiationMethod"] == "API"
    assert task["InitiationTimestamp"].timestamp() == T0 + 2
    assert task["SegmentAttributes"] == EXPIRY
    assert task["Arn"] == f"arn:aws:connect:{REGION}:123456789012:instance/{INSTANCE}/contact/s2"
    assert "QueueInfo" not in contacts["s0"] and "SegmentAttributes" not in contacts["s0"]


def test_pages_follow_max_results_and_next_token_until_the_end(search):
    seen, token, totals = [], None, set()
    while True:
        answer = search(MaxResults=3, Sort=ASCENDING, **({"NextToken": token} if token else {}))
        seen.append(ids(answer))
        totals.add(answer["TotalCount"])
        token = answer.get("NextToken")
        if token is None:
            break
    assert seen == [["s0", "s1", "s2"], ["s3", "s4", "s5"], ["s6", "s7", "s8"], ["s9"]]
    assert totals == {10}


def test_next_tokens_can_be_padded_to_the_model_maximum(search_emulator, search):
    search_emulator.set_next_token_length(100_000)
    first = search(MaxResults=4, Sort=ASCENDING)
    assert len(first["NextToken"]) == 100_000
    second = search(MaxResults=4, Sort=ASCENDING, NextToken=first["NextToken"])
    assert ids(second) == ["s4", "s5", "s6", "s7"]
    with pytest.raises(ValueError, match="100000"):
        search_emulator.set_next_token_length(100_001)


def test_a_next_token_works_only_for_the_query_it_was_issued_for(search):
    token = search(MaxResults=2, Sort=ASCENDING)["NextToken"]
    for other in (
        {"SearchCriteria": {"Channels": ["EMAIL"]}, "Sort": ASCENDING},
        {"start": T0 + 1, "Sort": ASCENDING},
    ):
        with pytest.raises(ClientError) as caught:
            search(MaxResults=2, NextToken=token, **other)
        assert error_of(caught.value)[:2] == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as caught:
        search(NextToken="not-a-token")
    assert error_of(caught.value) == ("InvalidParameterException", 400, "The NextToken is not valid")


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"MaxResults": 101}, "MaxResults"),
        ({"SearchCriteria": {"QueueIds": [f"q{i}" for i in range(101)]}}, "SearchCriteria.QueueIds"),
        ({"SearchCriteria": {"Channels": ["FAX"]}}, "SearchCriteria.Channels[0]"),
        ({"SearchCriteria": {"InitiationMethods": ["PIGEON"]}}, "SearchCriteria.InitiationMethods[0]"),
        ({"start": T0 + 5, "end": T0 + 5}, "StartTime must be earlier than TimeRange.EndTime"),
    ],
    ids=["max-results-101", "101-queues", "channel", "method", "empty-range"],
)
def test_invalid_requests_are_invalid_parameters(search, params, shown):
    with pytest.raises(ClientError) as caught:
        search(**params)
    code, status, message = error_of(caught.value)
    assert (code, status) == ("InvalidParameterException", 400)
    assert shown in message


def test_criteria_and_time_types_it_does_not_emulate_are_refused(search_emulator):
    client = make_client(search_emulator.endpoint_url)
    with pytest.raises(ClientError) as caught:
        client.search_contacts(
            InstanceId=INSTANCE,
            TimeRange={"Type": "INITIATION_TIMESTAMP", "StartTime": T0, "EndTime": T0 + 9},
            SearchCriteria={"AgentIds": ["agent-1"]},
        )
    assert error_of(caught.value)[:2] == ("InvalidRequestException", 400)
    assert "AgentIds" in error_of(caught.value)[2]
    with pytest.raises(ClientError) as caught:
        client.search_contacts(
            InstanceId=INSTANCE, TimeRange={"Type": "DISCONNECT_TIMESTAMP", "StartTime": T0, "EndTime": T0 + 9}
        )
    assert "DISCONNECT_TIMESTAMP" in error_of(caught.value)[2]


def test_an_unknown_instance_or_another_region_is_resource_not_found(search_emulator):
    search_emulator.add_instance("regional", region="eu-central-1")
    time_range = {"Type": "INITIATION_TIMESTAMP", "StartTime": T0, "EndTime": T0 + 9}
    for instance, region in (("no-such-instance", REGION), ("regional", REGION)):
        with pytest.raises(ClientError) as caught:
            make_client(search_emulator.endpoint_url, region).search_contacts(InstanceId=instance, TimeRange=time_range)
        code, status, message = error_of(caught.value)
        assert (code, status) == ("ResourceNotFoundException", 404)
        assert instance in message
    home = make_client(search_emulator.endpoint_url, "eu-central-1")
    assert home.search_contacts(InstanceId="regional", TimeRange=time_range)["TotalCount"] == 0
    with pytest.raises(ClientError) as caught:  # every operation looks the instance up the same way
        make_client(search_emulator.endpoint_url, REGION).get_contact_attributes(
            InstanceId="regional", InitialContactId="x"
        )
    assert error_of(caught.value)[:2] == ("ResourceNotFoundException", 404)


def test_search_answers_only_fields_of_the_model(search_emulator):
    body = json.dumps(
        {"InstanceId": INSTANCE, "TimeRange": {"Type": "INITIATION_TIMESTAMP", "StartTime": T0, "EndTime": T0 + 9}}
    ).encode()
    request = urllib.request.Request(f"{search_emulator.endpoint_url}/search-contacts", data=body, method="POST")
    with urllib.request.urlopen(request) as response:
        raw = json.loads(response.read())
    model = botocore.session.get_session().get_service_model("connect")
    assert set(raw) <= set(model.operation_model("SearchContacts").output_shape.members)
    for contact in raw["Contacts"]:
        assert set(contact) <= set(model.shape_for("ContactSearchSummary").members)
        assert isinstance(contact["InitiationTimestamp"], float)


def test_search_contacts_has_its_own_quota_of_half_a_request_per_second():
    class Frozen:
        now = 1000.0

        def __call__(self) -> float:
            return self.now

    clock = Frozen()
    with ConnectEmulator(clock=clock) as emulator:
        emulator.add_contacts(INSTANCE, [SeedContact("c1", initiation_timestamp=T0)])
        client = make_client(emulator.endpoint_url)
        assert emulator.quota("SearchContacts") == (0.5, 1)
        assert emulator.quota("GetContactAttributes") == (10.0, 15)

        def status() -> int:
            try:
                client.search_contacts(
                    InstanceId=INSTANCE,
                    TimeRange={"Type": "INITIATION_TIMESTAMP", "StartTime": T0, "EndTime": T0 + 1},
                )
                return 200
            except ClientError as error:
                return error_of(error)[1]

        assert [status(), status()] == [200, 429]
        clock.now += 1.0
        assert status() == 429  # half a token
        clock.now += 1.0
        assert [status(), status()] == [200, 429]
        client.get_contact_attributes(InstanceId=INSTANCE, InitialContactId="c1")  # a bucket of its own
