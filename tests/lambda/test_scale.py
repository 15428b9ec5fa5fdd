"""Large selections: contact files streamed from S3, the request budget, work across several invocations,
and the ServiceTimeout estimate. Driven through the synthesized asset like the other lifecycle tests."""

from collections import Counter

from connect_contact_defaults.testing.connect_emulator import SeedContact
from connect_contact_defaults.testing.local_cloudformation import resource_properties

INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


def seed_many(emulator, count, prefix="c", channel="TASK"):
    ids = [f"{prefix}{i:05d}" for i in range(count)]
    emulator.add_contacts(INSTANCE, [SeedContact(contact_id, channel=channel) for contact_id in ids])
    return ids


def file_properties(bucket, key, file_format, attributes, **options):
    properties = resource_properties(INSTANCE, ["placeholder"], attributes, **options)
    del properties["ContactIds"]
    properties["ContactFile"] = {"Bucket": bucket, "Key": key, "Format": file_format}
    return properties


def s3_env(s3_endpoint):
    return {"AWS_ENDPOINT_URL_S3": s3_endpoint}


def test_selection_from_a_line_file_in_s3(lambda_runner, emulator, s3_bucket, s3_endpoint):
    client, bucket = s3_bucket
    ids = seed_many(emulator, 30)
    body = "# backfill from the Q3 report\n\n" + "\n".join(ids[:25]) + "\n\nmissing-1\n"
    client.put_object(Bucket=bucket, Key="contacts.txt", Body=body.encode())
    props = file_properties(bucket, "contacts.txt", "LINES", {"a": "1"}, max_requests_per_second=100)
    emulator.set_quota(rate=1000, burst=1000)
    result = lambda_runner.send(lambda_runner.event("Create", props), extra_env=s3_env(s3_endpoint))
    assert result.status == "SUCCESS", result.response
    assert result.data["Updated"] == "25" and result.data["Missing"] == "1"
    assert all(emulator.attributes(INSTANCE, contact_id) == {"a": "1"} for contact_id in ids[:25])
    assert all(emulator.attributes(INSTANCE, contact_id) == {} for contact_id in ids[25:])


def test_update_from_csv_file_drops_contacts_of_the_old_file(lambda_runner, emulator, s3_bucket, s3_endpoint):
    client, bucket = s3_bucket
    ids = seed_many(emulator, 6)
    client.put_object(Bucket=bucket, Key="old.txt", Body="\n".join(ids[:4]).encode())
    csv_body = "Queue,ContactId\nsales," + "\nsales,".join(ids[2:]) + "\n"
    client.put_object(Bucket=bucket, Key="new.csv", Body=csv_body.encode())
    old = file_properties(bucket, "old.txt", "LINES", {"a": "1"}, removal_policy="DESTROY")
    new = file_properties(bucket, "new.csv", "CSV", {"a": "1"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", old), extra_env=s3_env(s3_endpoint))
    updated = lambda_runner.send(
        lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id),
        extra_env=s3_env(s3_endpoint),
    )
    assert updated.status == "SUCCESS", updated.response
    assert [emulator.attributes(INSTANCE, c) for c in ids] == [{"a": ""}, {"a": ""}] + [{"a": "1"}] * 4
    assert "OldSelectionUnavailable" not in updated.data


def test_update_when_the_old_file_is_gone_leaves_its_contacts_and_says_so(
    lambda_runner, emulator, s3_bucket, s3_endpoint
):
    client, bucket = s3_bucket
    ids = seed_many(emulator, 4)
    client.put_object(Bucket=bucket, Key="old.txt", Body="\n".join(ids[:3]).encode())
    client.put_object(Bucket=bucket, Key="new.txt", Body="\n".join(ids[1:]).encode())
    old = file_properties(bucket, "old.txt", "LINES", {"a": "1"}, removal_policy="DESTROY")
    new = file_properties(bucket, "new.txt", "LINES", {"a": "2"}, removal_policy="DESTROY")
    created = lambda_runner.send(lambda_runner.event("Create", old), extra_env=s3_env(s3_endpoint))
    client.delete_object(Bucket=bucket, Key="old.txt")
    updated = lambda_runner.send(
        lambda_runner.event("Update", new, old_properties=old, physical_id=created.physical_id),
        extra_env=s3_env(s3_endpoint),
    )
    assert updated.status == "SUCCESS", updated.response
    assert updated.data["OldSelectionUnavailable"] == "true"
    assert emulator.attributes(INSTANCE, ids[0]) == {"a": "1"}  # only the old file held it: left as it is
    assert [emulator.attributes(INSTANCE, c) for c in ids[1:]] == [{"a": "2"}] * 3


def test_budget_holds_in_every_one_second_window_and_429s_are_absorbed(lambda_runner, emulator):
    ids = seed_many(emulator, 40, channel="EMAIL")
    emulator.set_faults(latency_s=0.05)  # default quotas: 10/s, burst 15 per API
    props = resource_properties(INSTANCE, ids, {"a": "1"}, expiry_minutes=60, max_requests_per_second=20)
    result = lambda_runner.send(lambda_runner.event("Create", props), timeout_seconds=120)
    assert result.status == "SUCCESS", result.response
    assert result.data["Updated"] == "40" and result.data["Failed"] == "0"
    assert len(emulator.requests) >= 120  # 3 calls per contact, plus retries of 429s
    assert any(record.status == 429 for record in emulator.requests)  # over the emulator's 10/s per API
    by_api: dict[str, list[float]] = {}
    for record in emulator.requests:
        by_api.setdefault(record.operation, []).append(record.time)
    assert set(by_api) == {"DescribeInstanceAttribute", "DescribeContact", "UpdateContactAttributes", "UpdateContact"}
    assert len(by_api["DescribeInstanceAttribute"]) == 1  # the instance probe
    for times in by_api.values():  # the budget is per API, retries included
        times.sort()
        busiest = max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))
        assert busiest <= 20
    assert all(emulator.expiry_minutes(INSTANCE, c) == 60 for c in ids)


def test_work_longer_than_one_invocation_continues_from_a_checkpoint(lambda_runner, emulator):
    ids = seed_many(emulator, 700)
    emulator.set_quota(rate=1000, burst=1000)
    props = resource_properties(INSTANCE, ids, {"a": "1", "b": "2"}, max_requests_per_second=100)
    result = lambda_runner.send(lambda_runner.event("Create", props), timeout_seconds=6)

    assert result.status == "SUCCESS", result.response
    assert result.data["Updated"] == "700" and result.data["Failed"] == "0"
    # 700 calls to each API at 100/s per API take 7.4 s: more than one 6-second invocation can give them
    assert len(result.invocation_starts) >= 2
    assert len(result.hand_offs) == len(result.invocation_starts) - 1
    writes = Counter(
        r.contact_id for r in emulator.requests if r.operation == "UpdateContactAttributes" and r.status == 200
    )
    assert writes == Counter({contact_id: 1 for contact_id in ids})  # no finished contact redone
    # a contact interrupted mid-way (read, not yet written) is done again; a finished one is never read again
    last_read = {
        r.contact_id: r.time
        for r in sorted(emulator.requests, key=lambda r: r.time)
        if r.operation == "GetContactAttributes"
    }
    first_write = {}
    for r in sorted(emulator.requests, key=lambda r: r.time, reverse=True):
        if r.operation == "UpdateContactAttributes":
            first_write[r.contact_id] = r.time
    assert all(last_read[c] < first_write[c] for c in ids)
    # one invocation at a time: no Connect call between a hand-off and the start of the next invocation
    for hand_off, next_start in zip(result.hand_offs, result.invocation_starts[1:], strict=True):
        assert not [r for r in emulator.requests if hand_off <= r.time < next_start]
    assert all(emulator.attributes(INSTANCE, c) == {"a": "1", "b": "2"} for c in ids)


def test_delete_with_destroy_on_a_large_selection_continues_too(lambda_runner, emulator):
    ids = seed_many(emulator, 400)  # 400 calls to each API at 100/s: more than one 4-second invocation
    emulator.set_quota(rate=1000, burst=1000)
    props = resource_properties(INSTANCE, ids, {"a": "1"}, removal_policy="DESTROY", max_requests_per_second=100)
    created = lambda_runner.send(lambda_runner.event("Create", props), timeout_seconds=30)
    deleted = lambda_runner.send(
        lambda_runner.event("Delete", props, physical_id=created.physical_id), timeout_seconds=4
    )
    assert deleted.status == "SUCCESS"
    assert len(deleted.invocation_starts) >= 2
    assert all(emulator.attributes(INSTANCE, c) == {"a": ""} for c in ids)


def test_a_selection_that_cannot_finish_within_the_service_timeout_fails_before_writing(lambda_runner, emulator):
    ids = seed_many(emulator, 600, channel="EMAIL")
    props = resource_properties(INSTANCE, ids, {"a": "1"}, expiry_minutes=60, max_requests_per_second=1)
    props["ServiceTimeoutSeconds"] = "600"
    result = lambda_runner.send(lambda_runner.event("Create", props))
    assert result.status == "FAILED"
    reason = result.response["Reason"]
    # connect_contact_rules.contacts_within(1, 600) = floor(570 s x 0.8 x 0.95/s) = 433
    assert reason.startswith("600 contacts need about 632 s at max_requests_per_second=1; at most 433 fit")
    assert "ServiceTimeout of 600 s" in reason and "at least 2" in reason and "split the selection into 2" in reason
    assert len(reason) <= 256
    assert emulator.requests == []
