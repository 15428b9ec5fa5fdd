"""OtherDeclarations with every sibling shard of a big file declared: no file read for same-count siblings, one
read per other file, and only the IDs this shard asks about held, with the same kept values as a whole-file
reading gives."""

import pytest
from contact_file_objects import S3Files, file_bytes, ids

from connect_contact_rules import shard_of
from contact_reconciler.declarations import OtherDeclarations, record_declaration

CONTACTS = 20_000
SHARDS = 40
ATTRIBUTES = {"tier": "gold"}


def properties(key: str, index: int | None, count: int, attributes=None):
    props = {
        "ServiceToken": "arn:aws:lambda:eu-west-2:123456789012:function:f",
        "InstanceId": "i",
        "ContactFile": {"Bucket": "assets", "Key": key, "Format": "LINES"},
        "Attributes": attributes or ATTRIBUTES,
        "RemovalPolicy": "DESTROY",
    }
    if index is not None:
        props["Shard"] = {"Index": str(index), "Count": str(count)}
    return props


@pytest.fixture(scope="module")
def contact_file():
    return ids(CONTACTS, 3)


def others(dynamodb, table, s3, own, **kwargs):
    from contact_reconciler.resource_spec import parse_resource_spec  # noqa: PLC0415

    spec = parse_resource_spec(own[1], "eu-west-2")
    previous = kwargs.get("previous")
    return OtherDeclarations(
        dynamodb,
        table,
        own[0],
        spec,
        lambda: s3,
        **({"previous": parse_resource_spec(previous, "eu-west-2")} if previous else {}),
    ), spec


def declare(dynamodb, table, declarations):
    for logical_id, props in declarations:
        record_declaration(dynamodb, table, logical_id, f"pid-{logical_id}", props)


def test_same_count_siblings_need_no_read_and_hold_nothing(dynamodb, state_table, contact_file):
    s3 = S3Files({"f.txt": file_bytes(contact_file)})
    shards = [(f"Shard{i}", properties("f.txt", i, SHARDS)) for i in range(SHARDS)]
    declare(dynamodb, state_table, shards)
    declarations, spec = others(dynamodb, state_table, s3, shards[0])

    assert all(declarations.kept(c) == {} for c in contact_file if spec.selects(c))
    assert s3.reads == []
    assert declarations.held_ids() == 0


def test_siblings_of_another_count_and_another_resource_read_each_file_once_holding_this_shard(
    dynamodb, state_table, contact_file
):
    """Half the siblings already at SHARDS + 1 (a reshard under way), a renamed copy of this shard, and another
    resource on a second file: kept must equal a whole-file reading; each file read once; held within the shard."""
    other_file = contact_file[::3] + ids(2_000, 4)
    s3 = S3Files({"f.txt": file_bytes(contact_file), "g.txt": file_bytes(other_file)})
    own = ("Shard0", properties("f.txt", 0, SHARDS))
    resharded = [(f"Shard{i}", properties("f.txt", i, SHARDS + 1)) for i in range(1, SHARDS + 1)]
    renamed = ("Renamed0", properties("f.txt", 0, SHARDS, {"tier": "gold", "x": "1"}))
    overlapping = ("Other", properties("g.txt", None, 1, {"tier": "silver"}))
    declare(dynamodb, state_table, [own, *resharded, renamed, overlapping])
    declarations, spec = others(dynamodb, state_table, s3, own)

    other_set = set(other_file)
    for contact_id in (c for c in contact_file if spec.selects(c)):
        expected: dict[str, set[str]] = {}
        if shard_of(contact_id, SHARDS + 1) != 0:  # a resharded sibling selects it
            expected.setdefault("tier", set()).add("gold")
        expected.setdefault("tier", set()).add("gold")  # the renamed copy of this shard
        expected["x"] = {"1"}
        if contact_id in other_set:
            expected["tier"].add("silver")
        assert declarations.kept(contact_id) == {k: frozenset(v) for k, v in expected.items()}
    assert sorted(s3.reads) == ["f.txt", "g.txt"]
    shard_size = sum(1 for c in contact_file if spec.selects(c))
    assert declarations.held_ids() <= 3 * shard_size  # renamed, resharded siblings, the other file: each ≤ shard
    assert declarations.held_ids() < CONTACTS / 10


def test_a_contact_of_the_previous_shard_is_answered_exactly_when_the_previous_shard_is_given(
    dynamodb, state_table, contact_file
):
    """An Update changing file and shard count: a contact that left is of the old shard, not the new one."""
    s3 = S3Files({"new.txt": file_bytes(contact_file[:10_000]), "g.txt": file_bytes(contact_file)})
    own = ("Shard0", properties("new.txt", 0, SHARDS + 1))
    declare(dynamodb, state_table, [own, ("Other", properties("g.txt", None, 1, {"tier": "silver"}))])
    left = next(c for c in contact_file[10_000:] if shard_of(c, SHARDS) == 0 and shard_of(c, SHARDS + 1) != 0)
    declarations, _ = others(dynamodb, state_table, s3, own, previous=properties("old.txt", 0, SHARDS))
    assert declarations.kept(left) == {"tier": frozenset({"silver"})}
    assert declarations.held_ids() < CONTACTS / 10


def test_without_the_previous_shard_a_contact_outside_the_shard_keeps_other_files_values(
    dynamodb, state_table, contact_file, caplog
):
    """Never clears another resource's value on a guess: kept, with a warning naming the contact."""
    s3 = S3Files({"new.txt": file_bytes(contact_file[:10_000]), "g.txt": file_bytes(contact_file[:5])})
    own = ("Shard0", properties("new.txt", 0, SHARDS + 1))
    declare(dynamodb, state_table, [own, ("Other", properties("g.txt", None, 1, {"tier": "silver"}))])
    outside = next(c for c in contact_file[10_000:] if shard_of(c, SHARDS + 1) != 0)
    declarations, _ = others(dynamodb, state_table, s3, own)
    assert declarations.kept(outside) == {"tier": frozenset({"silver"})}
    assert outside in caplog.text
