"""The pure reconcile rules: table-driven cases for every branch, and hypothesis properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connect_contact_rules import AttributeMode, ValueRemovalPolicy
from contact_reconciler.contact_plan import (
    ExpiryAction,
    exceeds_contact_limit,
    needs_live_attributes,
    plan_attribute_changes,
    plan_expiry,
    size_after,
)

FILL = AttributeMode.FILL_MISSING
OVER = AttributeMode.OVERWRITE
RETAIN = ValueRemovalPolicy.RETAIN
DESTROY = ValueRemovalPolicy.DESTROY


@pytest.mark.parametrize(
    ("desired", "last", "live", "mode", "removal", "expected"),
    [
        # Create, FILL_MISSING: absent and empty keys are filled, other people's values kept
        ({"a": "1"}, {}, {}, FILL, RETAIN, {"a": "1"}),
        ({"a": "1"}, {}, {"a": ""}, FILL, RETAIN, {"a": "1"}),
        ({"a": "1"}, {}, {"a": "theirs"}, FILL, RETAIN, {}),
        ({"a": "1"}, {}, {"a": "1"}, FILL, RETAIN, {}),
        # OVERWRITE replaces any differing value, and only differing ones
        ({"a": "1"}, {}, {"a": "theirs"}, OVER, RETAIN, {"a": "1"}),
        ({"a": "1", "b": "2"}, {}, {"a": "1"}, OVER, RETAIN, {"b": "2"}),
        # Update, FILL_MISSING: a value we set before follows the declaration; one changed by others does not
        ({"a": "2"}, {"a": "1"}, {"a": "1"}, FILL, RETAIN, {"a": "2"}),
        ({"a": "2"}, {"a": "1"}, {"a": "theirs"}, FILL, RETAIN, {}),
        # a declared empty value: absent and "" are alike, so nothing to write
        ({"a": ""}, {}, {}, OVER, RETAIN, {}),
        ({"a": ""}, {"a": "1"}, {"a": "1"}, FILL, RETAIN, {"a": ""}),
        # dropped key: RETAIN leaves it, DESTROY clears it only where it still holds our value
        ({}, {"a": "1"}, {"a": "1"}, FILL, RETAIN, {}),
        ({}, {"a": "1"}, {"a": "1"}, FILL, DESTROY, {"a": ""}),
        ({}, {"a": "1"}, {"a": "theirs"}, FILL, DESTROY, {}),
        ({}, {"a": "1"}, {}, OVER, DESTROY, {}),
        ({"b": "2"}, {"a": "1", "b": "2"}, {"a": "1", "b": "2"}, OVER, DESTROY, {"a": ""}),
        # a key still declared is never cleared by the removal policy
        ({"a": "1"}, {"a": "1"}, {"a": "1"}, FILL, DESTROY, {}),
        # other keys on the contact are never touched
        ({"a": "1"}, {}, {"x": "y"}, OVER, DESTROY, {"a": "1"}),
    ],
)
def test_plan_attribute_changes(desired, last, live, mode, removal, expected):
    assert plan_attribute_changes(desired, last, live, mode, removal) == expected


@pytest.mark.parametrize(
    ("desired", "last", "removal", "expected"),
    [
        ({"a": "1"}, {}, RETAIN, True),
        ({}, {"a": "1"}, RETAIN, False),
        ({}, {"a": "1"}, DESTROY, True),
        ({}, {"a": ""}, DESTROY, False),
        ({}, {}, DESTROY, False),
    ],
)
def test_needs_live_attributes(desired, last, removal, expected):
    assert needs_live_attributes(desired, last, removal) is expected


def test_size_counts_utf8_bytes_of_the_merged_attributes():
    assert size_after({"k": "é"}, {"a": "€"}) == 1 + 2 + 1 + 3
    assert size_after({"a": "long value"}, {"a": ""}) == 1


def test_contact_limit_is_32768_bytes_after_the_merge():
    live = {"k": "x" * (32_768 - 1 - 2)}
    assert not exceeds_contact_limit(live, {"a": ""})  # 32,766 + 1 bytes
    assert not exceeds_contact_limit(live, {"b": "x"})  # exactly 32,768
    assert exceeds_contact_limit(live, {"b": "xy"})
    assert exceeds_contact_limit({}, {"a": "€" * 11_000})  # 11,000 characters, 33,001 bytes
    assert not exceeds_contact_limit({"k": "x" * 40_000}, {})  # nothing written, nothing to fail


@pytest.mark.parametrize(
    ("desired", "channel", "current", "expected"),
    [
        (None, "EMAIL", None, ExpiryAction.KEEP),
        (60, "EMAIL", None, ExpiryAction.SET),
        (60, "TASK", 30, ExpiryAction.SET),
        (60, "TASK", 60, ExpiryAction.KEEP),
        (60, "VOICE", None, ExpiryAction.SKIP_CHANNEL),
        (60, "CHAT", 10, ExpiryAction.SKIP_CHANNEL),
    ],
)
def test_plan_expiry(desired, channel, current, expected):
    assert plan_expiry(desired, channel, current) is expected


# --- properties ---
keys = st.sampled_from(["a", "b", "c", "d", "e"])
values = st.sampled_from(["", "1", "2", "x"])
attribute_maps = st.dictionaries(keys, values, max_size=5)
modes = st.sampled_from(list(AttributeMode))
removals = st.sampled_from(list(ValueRemovalPolicy))


def applied(live, changes):
    return {**live, **changes}


@given(attribute_maps, attribute_maps, attribute_maps, modes, removals)
def test_applying_a_plan_then_planning_again_gives_no_writes(desired, last, live, mode, removal):
    changes = plan_attribute_changes(desired, last, live, mode, removal)
    assert plan_attribute_changes(desired, last, applied(live, changes), mode, removal) == {}


@given(attribute_maps, attribute_maps, attribute_maps, modes, removals)
def test_after_success_the_next_plan_with_last_applied_equal_desired_is_empty(desired, last, live, mode, removal):
    after = applied(live, plan_attribute_changes(desired, last, live, mode, removal))
    assert plan_attribute_changes(desired, desired, after, mode, removal) == {}


@given(attribute_maps, attribute_maps, attribute_maps, removals)
def test_fill_missing_never_overwrites_a_non_empty_value_it_does_not_own(desired, last, live, removal):
    changes = plan_attribute_changes(desired, last, live, FILL, removal)
    for key in changes:
        current = live.get(key, "")
        assert current == "" or current == last.get(key), (key, current, last.get(key))


@given(attribute_maps, attribute_maps, attribute_maps, modes, removals)
def test_nothing_is_cleared_that_differs_from_the_last_applied_value(desired, last, live, mode, removal):
    changes = plan_attribute_changes(desired, last, live, mode, removal)
    for key, value in changes.items():
        if key not in desired:
            assert value == ""
            assert live.get(key) == last.get(key) != ""
            assert removal is DESTROY


@given(attribute_maps, attribute_maps, attribute_maps, modes, removals)
def test_only_declared_or_previously_applied_keys_are_written(desired, last, live, mode, removal):
    changes = plan_attribute_changes(desired, last, live, mode, removal)
    assert set(changes) <= set(desired) | set(last)
    for key, value in changes.items():
        assert live.get(key, "") != value  # never a write that changes nothing


@given(attribute_maps, attribute_maps, attribute_maps, removals)
def test_overwrite_reaches_the_declared_values(desired, last, live, removal):
    after = applied(live, plan_attribute_changes(desired, last, live, OVER, removal))
    assert all(after.get(key, "") == value for key, value in desired.items())


@given(attribute_maps, attribute_maps, attribute_maps, modes)
def test_rolling_back_an_update_restores_the_old_values(old, new, others, mode):
    """Create(old) -> Update(new) -> rollback Update(old) leaves every key we own as old declared it (DESTROY)."""
    base = {key: value for key, value in others.items() if key not in old and key not in new}
    after_create = applied(base, plan_attribute_changes(old, {}, base, mode, DESTROY))
    after_update = applied(after_create, plan_attribute_changes(new, old, after_create, mode, DESTROY))
    after_rollback = applied(after_update, plan_attribute_changes(old, new, after_update, mode, DESTROY))
    for key, value in old.items():
        assert after_rollback.get(key, "") == value
    for key in set(new) - set(old):
        assert after_rollback.get(key, "") == ""
