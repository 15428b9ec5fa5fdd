"""Routes from the model, the model checks botocore leaves out, and the byte limit as a property."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connect_contact_defaults.testing.connect_emulator.contact_store import ContactStore, SeedContact
from connect_contact_defaults.testing.connect_emulator.errors import ApiError
from connect_contact_defaults.testing.connect_emulator.request_validation import (
    CONTACT_ATTRIBUTES_MAX_BYTES,
    attributes_size_bytes,
    model_violations,
    service_model,
    validate_request,
)
from connect_contact_defaults.testing.connect_emulator.server import RouteTable


def test_every_operation_of_the_model_routes_to_itself():
    model = service_model()
    routes = RouteTable(model)
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = re.sub(r"\{[^}]+\}", "label-value", http["requestUri"].split("?", 1)[0])
        match = routes.match(http["method"], path)
        assert match is not None and match.route.operation.name == name, (name, http)


def test_uri_labels_are_percent_decoded_into_their_members():
    match = RouteTable(service_model()).match("GET", "/contacts/arn%3Aaws%3Aconnect%2Fx/c%20d")

    assert match is not None
    assert match.route.operation.name == "DescribeContact"
    assert match.uri_params == {"InstanceId": "arn:aws:connect/x", "ContactId": "c d"}


def test_literal_segments_win_over_labels():
    routes = RouteTable(service_model())
    assert routes.match("POST", "/contacts/i/c").route.operation.name == "UpdateContact"
    assert routes.match("POST", "/contacts/i/c/routing-data").route.operation.name == "UpdateContactRoutingData"
    assert routes.match("GET", "/contacts/i/c/extra") is None


def test_model_violations_include_the_maximums_botocore_skips():
    shape = service_model().operation_model("UpdateContact").input_shape
    params = {
        "InstanceId": "i" * 101,
        "ContactId": "c",
        "Name": "n" * 1025,
        "SegmentAttributes": {"s" * 129: {"ValueString": "v" * 1025}},
    }

    problems = model_violations(params, shape)

    assert "Invalid length for parameter InstanceId, length: 101, valid max length: 100" in problems
    assert "Invalid length for parameter Name, length: 1025, valid max length: 1024" in problems
    assert any(p.startswith("Invalid length for parameter SegmentAttributes (key: sss") for p in problems)
    assert any(p.endswith(".ValueString, length: 1025, valid max length: 1024") for p in problems)
    assert len(problems) == 4


def test_model_violations_at_the_limits_are_none():
    shape = service_model().operation_model("UpdateContactAttributes").input_shape
    params = {"InstanceId": "i" * 100, "InitialContactId": "c" * 256, "Attributes": {"k" * 10: "v" * 32_767}}
    assert model_violations(params, shape) == []


def test_validate_request_orders_model_checks_before_documented_rules():
    operation = service_model().operation_model("UpdateContactAttributes")
    with pytest.raises(ApiError) as caught:
        validate_request(operation, {"InstanceId": "arn:aws:connect:x", "InitialContactId": ""})

    assert caught.value.code == "InvalidParameterException"
    assert "Missing required parameter" in caught.value.message
    assert "InitialContactId, value: 0, valid min length: 1" in caught.value.message


KEYS = st.text(alphabet="abcXYZ019_-", min_size=1, max_size=6)
VALUES = st.text(alphabet=st.sampled_from("a\u00e9\u20ac\U0001f600"), max_size=4_000)


@settings(max_examples=60, deadline=None)
@given(stored=st.dictionaries(KEYS, VALUES, max_size=8), update=st.dictionaries(KEYS, VALUES, max_size=8))
def test_an_update_is_stored_whole_exactly_when_the_merge_fits_32768_bytes(stored, update):
    store = ContactStore()
    store.add_contacts("i", [SeedContact("c", attributes=stored)])
    merged = {**stored, **update}

    if attributes_size_bytes(merged) <= CONTACT_ATTRIBUTES_MAX_BYTES:
        store.update_contact_attributes("i", "c", update)
        assert store.get_contact_attributes("i", "c") == {"Attributes": merged}
    else:
        with pytest.raises(ApiError) as caught:
            store.update_contact_attributes("i", "c", update)
        assert caught.value.code == "InvalidParameterException"
        assert store.get_contact_attributes("i", "c") == {"Attributes": stored}


def test_attributes_size_counts_keys_and_values_in_utf8():
    assert attributes_size_bytes({"ab": "\u00e9", "c": "\U0001f600"}) == 2 + 2 + 1 + 4
