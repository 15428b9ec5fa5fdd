"""The works of one shard of a big contact file: the same as a whole-file reading gives, holding only the shard.

What an operation holds is measured with tracemalloc around building its works (the file's bytes are allocated
before tracing starts): it must stay a small fraction of what a set of the whole file takes, so a change that
reads the whole file into memory again fails here, whatever the machine's RSS.
"""

import tracemalloc

import pytest
from contact_file_objects import S3Files, file_bytes, ids

from connect_contact_rules import shard_of
from contact_reconciler.contact_works import Selections, works_for_create, works_for_delete, works_for_update
from contact_reconciler.resource_spec import parse_resource_spec

CONTACTS = 60_000
SHARDS = 120


def spec(key: str, index: int, count: int, attributes: dict[str, str] | None = None):
    return parse_resource_spec(
        {
            "InstanceId": "i",
            "ContactFile": {"Bucket": "assets", "Key": key, "Format": "LINES"},
            "Attributes": attributes or {"tier": "gold"},
            "RemovalPolicy": "DESTROY",
            "Shard": {"Index": str(index), "Count": str(count)},
        },
        "eu-west-2",
    )


def whole_file_bytes(contact_ids: list[str]) -> int:
    """What holding the whole file as a set of IDs takes (what the works used to hold, at least once)."""
    data = file_bytes(contact_ids)
    tracemalloc.start()
    held = set(data.decode().splitlines())
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del held
    return size


def traced_peak(build):
    tracemalloc.start()
    try:
        result = build()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def reference_update(old, new, old_ids, new_ids):
    """The whole-file reading (the rule as it was written before): this shard of the new file, in order, each
    with what it held; then the old shard's contacts the whole new file no longer lists, sorted."""
    old_set, new_set = set(old_ids), set(new_ids)
    works = [(c, c in old_set) for c in dict.fromkeys(new_ids) if new.selects(c)]
    leaving = sorted(c for c in old_set - new_set if old.selects(c))
    return works, leaving


@pytest.fixture(scope="module")
def contact_file():
    return ids(CONTACTS, 1)


def as_update(works, old):
    staying = [(w.contact_id, w.last_applied == old.attributes) for w in works if w.is_declared]
    leaving = [w.contact_id for w in works if not w.is_declared]
    return staying, leaving


@pytest.mark.parametrize("operation", ["create", "delete"])
def test_create_and_delete_hold_this_shard_only_and_read_the_file_once(contact_file, operation):
    s3 = S3Files({"f.txt": file_bytes(contact_file)})
    shard = spec("f.txt", 3, SHARDS)
    selections = Selections(lambda: s3)
    make = works_for_create if operation == "create" else works_for_delete

    works, peak = traced_peak(lambda: [list(make(shard, selections)) for _ in range(2)])  # the estimate, the run

    expected = [c for c in contact_file if shard_of(c, SHARDS) == 3]
    assert [w.contact_id for w in works[0]] == [w.contact_id for w in works[1]] == expected
    assert s3.reads == ["f.txt"]
    assert peak < whole_file_bytes(contact_file) / 4, f"{peak} bytes held for a shard of {len(expected)} contacts"


def test_update_with_one_id_changed_matches_the_whole_file_reading_and_holds_the_shard(contact_file):
    changed = contact_file[:]
    changed[7] = ids(1, 99)[0]
    s3 = S3Files({"old.txt": file_bytes(contact_file), "new.txt": file_bytes(changed)})
    old, new = spec("old.txt", 0, SHARDS), spec("new.txt", 0, SHARDS, {"tier": "silver"})
    selections = Selections(lambda: s3)

    works, peak = traced_peak(lambda: [list(works_for_update(old, new, selections)) for _ in range(2)])

    assert works[0] == works[1]
    assert as_update(works[0], old) == reference_update(old, new, contact_file, changed)
    assert sorted(s3.reads) == ["new.txt", "old.txt"]
    assert peak < whole_file_bytes(contact_file) / 4


def test_update_of_attributes_reads_the_file_once_and_nobody_leaves(contact_file):
    s3 = S3Files({"f.txt": file_bytes(contact_file)})
    old, new = spec("f.txt", 5, SHARDS), spec("f.txt", 5, SHARDS, {"tier": "silver"})

    works, peak = traced_peak(lambda: list(works_for_update(old, new, Selections(lambda: s3))))

    assert as_update(works, old) == reference_update(old, new, contact_file, contact_file)
    assert s3.reads == ["f.txt"]
    assert peak < whole_file_bytes(contact_file) / 4


@pytest.mark.parametrize(("old_count", "new_count"), [(SHARDS, SHARDS + 1), (SHARDS + 1, SHARDS)])
@pytest.mark.parametrize("file_changes", [False, True])
def test_update_changing_the_shard_count_matches_the_whole_file_reading(
    contact_file, old_count, new_count, file_changes
):
    grown = contact_file + ids(600, 2)[:] if file_changes else contact_file
    if file_changes:
        del grown[100:400]  # 300 contacts leave, 600 join
    s3 = S3Files({"old.txt": file_bytes(contact_file), "new.txt": file_bytes(grown)})
    old = spec("old.txt", 2, old_count)
    new = spec("new.txt" if file_changes else "old.txt", 2, new_count, {"tier": "silver"})

    works, peak = traced_peak(lambda: list(works_for_update(old, new, Selections(lambda: s3))))

    staying, leaving = as_update(works, old)
    assert (staying, leaving) == reference_update(old, new, contact_file, grown)
    assert bool(leaving) is file_changes
    assert len(s3.reads) == (2 if file_changes else 1)
    assert peak < whole_file_bytes(contact_file) / 4


def test_a_repeated_line_of_a_hand_written_file_is_one_work():
    s3 = S3Files({"f.txt": b"c-1\nc-2\nc-1\n"})
    one = parse_resource_spec(
        {"InstanceId": "i", "ContactFile": {"Bucket": "b", "Key": "f.txt"}, "Attributes": {"k": "v"}}, "eu-west-2"
    )
    assert [w.contact_id for w in works_for_create(one, Selections(lambda: s3))] == ["c-1", "c-2"]


def test_an_unreadable_old_file_takes_every_contact_as_held_and_none_as_left(contact_file):
    s3 = S3Files({"new.txt": file_bytes(contact_file)})
    old, new = spec("gone.txt", 0, SHARDS), spec("new.txt", 0, SHARDS)

    class Gone(S3Files):
        def get_object(self, Bucket, Key):
            if Key == "gone.txt":
                from botocore.exceptions import ClientError  # noqa: PLC0415

                raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
            return super().get_object(Bucket, Key)

    selections = Selections(lambda: Gone(s3.objects))
    works = list(works_for_update(old, new, selections))
    assert selections.old_selection_unavailable
    assert all(w.last_applied == old.attributes and w.is_declared for w in works)
    assert [w.contact_id for w in works] == [c for c in contact_file if new.selects(c)]
