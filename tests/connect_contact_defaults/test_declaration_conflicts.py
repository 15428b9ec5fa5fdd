"""Synth-time warnings for two ContactDefaults of a stack that declare one key differently on one instance:
CDK annotations that `cdk synth` prints and `cdk synth --strict` fails on."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from aws_cdk import Annotations as CoreAnnotations
from aws_cdk import CfnParameter
from aws_cdk.assertions import Annotations, Match
from contact_defaults_testing import (
    CONTACT_IDS,
    INSTANCE_ID,
    NODE_BIN,
    OTHER_INSTANCE_ARN,
    ROOT,
    cdk,
    tool_env,
    write_contact_file,
)

from connect_contact_defaults import AttributeMode, ContactDefaults, ContactSelection
from connect_contact_defaults.declaration_conflicts import CONFLICTING_MODE, CONFLICTING_VALUE


def declare(stack: cdk.Stack, construct_id: str, attributes: dict[str, str], **props) -> ContactDefaults:
    if "instance_arn" not in props:
        props.setdefault("instance_id", INSTANCE_ID)
    props.setdefault("contacts", ContactSelection.of_ids(CONTACT_IDS))
    return ContactDefaults(stack, construct_id, attributes=attributes, **props)


def warnings(stack: cdk.Stack) -> list[tuple[str, str]]:
    """(construct path, message) of every warning of the stack."""
    found = Annotations.from_stack(stack).find_warning("*", Match.any_value())
    return [(entry.id, entry.entry.data) for entry in found]


def test_the_same_key_with_another_value_on_the_same_instance_warns_on_the_later_one(stack):
    declare(stack, "First", {"greeting": "hello", "queue": "sales"})
    declare(stack, "Second", {"greeting": "hi", "queue": "sales"})
    ((path, message),) = warnings(stack)
    assert path == "/TestStack/Second"
    assert message.startswith("declares key greeting with a different value than TestStack/First on the same instance")
    assert f"[ack: {CONFLICTING_VALUE}]" in message
    assert "hello" not in message and "hi " not in message, "attribute values may be personal data"


def test_the_same_key_in_another_mode_warns(stack):
    declare(stack, "First", {"greeting": "hello"})
    declare(stack, "Second", {"greeting": "hello"}, mode=AttributeMode.OVERWRITE)
    ((path, message),) = warnings(stack)
    assert path == "/TestStack/Second"
    assert message.startswith(
        "declares key greeting in OVERWRITE mode, and TestStack/First declares it in FILL_MISSING mode"
    )
    assert f"[ack: {CONFLICTING_MODE}]" in message


@pytest.mark.parametrize(
    ("second", "why"),
    [
        ({"attributes": {"greeting": "hello"}}, "the same value in the same mode"),
        ({"attributes": {"farewell": "bye"}}, "another key"),
        ({"attributes": {"greeting": "hi"}, "instance_id": "f0e1d2c3-other"}, "another instance"),
        ({"attributes": {"greeting": "hi"}, "instance_arn": OTHER_INSTANCE_ARN}, "another instance in another Region"),
        ({"attributes": {"greeting": "hi"}, "contacts": ContactSelection.of_ids(["c-other"])}, "other contacts"),
    ],
)
def test_no_warning_where_nothing_conflicts(stack, second, why):
    declare(stack, "First", {"greeting": "hello"})
    props = dict(second)
    declare(stack, "Second", props.pop("attributes"), **props)
    assert warnings(stack) == [], why


def test_a_value_known_only_at_deploy_time_is_not_called_different(stack):
    greeting = CfnParameter(stack, "Greeting").value_as_string
    declare(stack, "First", {"greeting": "hello"})
    declare(stack, "Second", {"greeting": greeting})
    assert warnings(stack) == []


def test_a_contact_file_may_hold_any_contact(stack, tmp_path):
    declare(stack, "First", {"greeting": "hello"}, contacts=ContactSelection.of_ids(["c-only-here"]))
    contact_file = write_contact_file(tmp_path / "contacts.txt", ["c-elsewhere"])
    declare(stack, "Second", {"greeting": "hi"}, contacts=ContactSelection.from_file(contact_file))
    assert [path for path, _ in warnings(stack)] == ["/TestStack/Second"]


def test_the_instance_is_compared_resolved_so_one_parameter_is_one_instance(stack):
    instance = CfnParameter(stack, "InstanceId").value_as_string
    declare(stack, "First", {"greeting": "hello"}, instance_id=instance)
    declare(stack, "Second", {"greeting": "hi"}, instance_id=instance)
    declare(stack, "Third", {"greeting": "hi"}, instance_id=INSTANCE_ID)
    assert [path for path, _ in warnings(stack)] == ["/TestStack/Second"]


def test_each_stack_compares_its_own_declarations():
    app = cdk.App()
    first, second = cdk.Stack(app, "One"), cdk.Stack(app, "Two")
    declare(first, "Defaults", {"greeting": "hello"})
    declare(second, "Defaults", {"greeting": "hi"})
    assert warnings(first) == [] and warnings(second) == []


CONFLICTING_APP = """
import os
import aws_cdk as cdk
from connect_contact_defaults import ContactDefaults, ContactSelection

app = cdk.App()
stack = cdk.Stack(app, "ConflictStack")
for name, value in [("First", "hello"), ("Second", "hi")]:
    defaults = ContactDefaults(
        stack, name,
        instance_id="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        contacts=ContactSelection.of_ids(["11111111-2222-3333-4444-123456789012"]),
        attributes={"greeting": value},
    )
if os.environ.get("ACKNOWLEDGE"):  # the ID as a user copies it from cdk synth's output
    cdk.Annotations.of(defaults).acknowledge_warning(os.environ["ACKNOWLEDGE"], "the second greeting wins")
app.synth()
"""


def synth_conflicting_app(directory, *flags: str, acknowledge: str = "") -> subprocess.CompletedProcess[str]:
    (directory / "app.py").write_text(CONFLICTING_APP)
    env = tool_env(PYTHONPATH=str(ROOT / "constructs"), ACKNOWLEDGE=acknowledge)
    command = [str(NODE_BIN / "cdk"), "synth", "--app", f"{sys.executable} app.py", "--quiet", *flags]
    return subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_cdk_synth_prints_the_warning_and_strict_fails_on_it(tmp_path):
    plain = synth_conflicting_app(tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "declares key greeting with a different value than ConflictStack/First" in plain.stderr
    assert "ConflictStack/Second" in plain.stderr and CONFLICTING_VALUE in plain.stderr
    strict = synth_conflicting_app(tmp_path, "--strict", "--output", "cdk.out.strict")
    assert strict.returncode != 0, strict.stderr
    assert "declares key greeting with a different value" in strict.stderr
    assert "[ack:" not in strict.stderr, "the CLI shows the message without its acknowledgment tags"


def test_the_warning_id_exactly_as_printed_acknowledges_it_under_strict(tmp_path):
    strict = synth_conflicting_app(tmp_path, "--strict")
    (printed,) = re.findall(r"Acknowledge with '([^']+)'", strict.stderr)
    assert printed == f"Annotation::{CONFLICTING_VALUE}", strict.stderr  # the form the README lists
    for acknowledged in (printed, CONFLICTING_VALUE):  # as printed, and the bare ID
        run = synth_conflicting_app(tmp_path, "--strict", acknowledge=acknowledged)
        assert run.returncode == 0, f"{acknowledged}: {run.stderr}"
        assert "different value" not in run.stderr


def test_an_acknowledged_warning_is_silent(stack):
    declare(stack, "First", {"greeting": "hello"})
    second = declare(stack, "Second", {"greeting": "hi"})
    CoreAnnotations.of(second).acknowledge_warning(CONFLICTING_VALUE, "the second greeting wins on purpose")
    assert warnings(stack) == []
