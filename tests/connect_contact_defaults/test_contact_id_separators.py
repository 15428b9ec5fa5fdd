"""IDs with whitespace or a comma (`id1, id2`, `hello world`) are refused at synth, naming the file and line."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template
from contact_defaults_testing import INSTANCE_ID

from connect_contact_defaults import ContactDefaults, ContactDefaultsValidationError, ContactSelection


def declare(stack, contacts: ContactSelection) -> None:
    ContactDefaults(stack, "Defaults", instance_id=INSTANCE_ID, contacts=contacts, attributes={"a": "b"})


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("contacts.txt", "# two IDs on one line\nc1\nid1, id2\n", " line 3: 'id1, id2' holds a comma"),
        ("contacts.txt", "c1\r\nhello world\r\n", " line 2: 'hello world' holds whitespace"),
        ("contacts.csv", 'Queue,ContactId\nsales,c1\nsales,"c2 c3"\n', " line 3: 'c2 c3' holds whitespace"),
    ],
)
def test_a_file_line_with_a_separator_is_refused_with_file_and_line(stack, tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_bytes(text.encode())
    with pytest.raises(ContactDefaultsValidationError) as raised:
        declare(stack, ContactSelection.from_file(path))
    assert str(raised.value).startswith(
        f"TestStack/Defaults: contacts: {path}{expected}; contact IDs hold no commas or whitespace"
    )
    Template.from_stack(stack).resource_count_is("Custom::ConnectContactDefaults", 0)


def test_an_inline_id_with_a_separator_is_refused_with_its_position(stack):
    with pytest.raises(ContactDefaultsValidationError) as raised:
        declare(stack, ContactSelection.of_ids(["c1", "c2,c3"]))
    assert str(raised.value).startswith("TestStack/Defaults: contacts[1]: 'c2,c3' holds a comma")
