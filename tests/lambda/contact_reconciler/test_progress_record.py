"""The progress record: its DynamoDB item, rate and time left, the INFO line and the EMF record."""

import dataclasses
import json

import pytest

from connect_contact_rules import METRIC_NAMESPACE, Metric
from contact_reconciler.progress_record import (
    ProgressDeltas,
    ProgressSnapshot,
    duration_text,
    emf_document,
    progress_line,
)

RUNNING = ProgressSnapshot(
    operation="Create",
    request_id="req-1",
    state="running",
    started_at=1_000.0,
    updated_at=1_000.0 + 4_210 / 4.7,
    done=4_210,
    total=13_500,
    updated=4_100,
    unchanged=100,
    missing=10,
    failed=0,
    throttled=12,
    invocation=2,
    shard_index=3,
    shard_count=8,
)


def test_the_item_is_a_dynamodb_map_that_reads_back_the_same():
    item = RUNNING.to_item()
    assert set(item) == {"M"}
    assert item["M"]["state"] == {"S": "running"}
    assert item["M"]["done"] == {"N": "4210"}
    assert all(set(value) <= {"S", "N"} for value in item["M"].values())
    assert ProgressSnapshot.from_item(item) == RUNNING


def test_unknown_total_and_no_shard_are_left_out_and_read_back_as_none():
    snapshot = dataclasses.replace(RUNNING, total=None, shard_index=None, shard_count=None)
    item = snapshot.to_item()
    assert {"total", "shard_index", "shard_count"}.isdisjoint(item["M"])
    assert ProgressSnapshot.from_item(item) == snapshot
    assert snapshot.seconds_left() is None
    assert snapshot.fraction() is None


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"S": "x"}, "not a DynamoDB map"),
        ({"M": {}}, "progress.operation"),
        ({"M": {**RUNNING.to_item()["M"], "done": {"S": "many"}}}, "progress.done"),
        ({"M": {**RUNNING.to_item()["M"], "state": {"S": "sleeping"}}}, "progress.state"),
    ],
)
def test_a_bad_item_is_a_value_error_naming_the_field(item, problem):
    with pytest.raises(ValueError, match=problem):
        ProgressSnapshot.from_item(item)


def test_rate_and_time_left_at_the_rate_so_far():
    assert RUNNING.rate() == pytest.approx(4.7)
    assert RUNNING.seconds_left() == pytest.approx((13_500 - 4_210) / 4.7)
    assert RUNNING.fraction() == pytest.approx(4_210 / 13_500)
    not_started = dataclasses.replace(RUNNING, done=0, updated_at=RUNNING.started_at)
    assert not_started.rate() is None
    assert not_started.seconds_left() is None
    done = dataclasses.replace(RUNNING, state="done", done=13_500)
    assert (done.seconds_left(), done.fraction()) == (0.0, 1.0)
    assert dataclasses.replace(RUNNING, state="failed").seconds_left() is None


def test_the_progress_line():
    assert progress_line(RUNNING) == (
        "progress: 4,210 of 13,500 contacts (31%), 4.7/s, about 33 min left; 12 throttled, 0 failed"
    )
    unknown_total = dataclasses.replace(RUNNING, total=None)
    assert progress_line(unknown_total) == "progress: 4,210 contacts, 4.7/s; 12 throttled, 0 failed"
    done = dataclasses.replace(RUNNING, state="done", done=13_500, updated_at=RUNNING.started_at + 7_200)
    assert progress_line(done) == (
        "progress: 13,500 of 13,500 contacts (100%), 1.9/s, done after 2 h; 12 throttled, 0 failed"
    )


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.2, "1 s"), (59, "59 s"), (60, "1 min"), (1_977, "33 min"), (20_400, "5 h 40 min")]
)
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_text(seconds) == text


def test_the_emf_record_parses_as_emf_and_carries_counts_only():
    earlier = dataclasses.replace(RUNNING, updated=4_000, unchanged=90, missing=10, failed=0, throttled=10)
    line = json.dumps(emf_document(ProgressDeltas.between(earlier, RUNNING), "ProdStack", "DefaultsShard3AB12CD34"))
    record = json.loads(line)

    metadata = record["_aws"]
    assert isinstance(metadata["Timestamp"], int)
    assert metadata["Timestamp"] == int(RUNNING.updated_at * 1000)
    (directive,) = metadata["CloudWatchMetrics"]
    assert directive["Namespace"] == METRIC_NAMESPACE
    (dimension_set,) = directive["Dimensions"]
    assert dimension_set == ["Stack", "Resource"]
    assert all(isinstance(record[name], str) for name in dimension_set)  # EMF: every dimension is a member
    names = [metric["Name"] for metric in directive["Metrics"]]
    assert names == [
        Metric.CONTACTS_WRITTEN,
        Metric.CONTACTS_UNCHANGED,
        Metric.CONTACTS_MISSING,
        Metric.CONTACTS_FAILED,
        Metric.THROTTLED_CALLS,
    ]
    assert {metric["Unit"] for metric in directive["Metrics"]} == {"Count"}
    assert {name: record[name] for name in names} == {
        "ContactsWritten": 100,
        "ContactsUnchanged": 10,
        "ContactsMissing": 0,
        "ContactsFailed": 0,
        "ThrottledCalls": 2,
    }
    # Nothing but the metadata, the dimensions and the values: no attribute value, no contact ID.
    assert set(record) == {"_aws", "Stack", "Resource", *names}
    assert len(line) < 1_000


def test_a_snapshot_stands_for_its_counts_since_the_start_and_deltas_are_never_negative():
    record = emf_document(RUNNING, "S", "R")
    assert (record["ContactsWritten"], record["ThrottledCalls"]) == (4_100, 12)
    other_operation = dataclasses.replace(RUNNING, request_id="req-2", updated=5)
    assert ProgressDeltas.between(RUNNING, other_operation).updated == 5
    assert ProgressDeltas.between(RUNNING, dataclasses.replace(RUNNING, updated=1)).updated == 0
