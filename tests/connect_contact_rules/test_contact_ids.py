"""A contact ID holds no whitespace and no comma: `id1, id2` and `hello world` are mistakes, not IDs."""

import pytest

from connect_contact_rules import ContactFileFormat, RuleViolation, check_contact_file, check_contact_ids


@pytest.mark.parametrize(
    ("contact_id", "what"),
    [("id1, id2", "a comma"), ("id1,id2", "a comma"), ("hello world", "whitespace"), ("a\tb", "whitespace"),
     ("a\u00a0b", "whitespace")],
)  # fmt: skip
def test_inline_ids_with_a_separator_are_refused_with_their_position(contact_id, what):
    with pytest.raises(RuleViolation) as raised:
        check_contact_ids(["c1", contact_id], "contacts")
    assert raised.value.field == "contacts[1]"
    assert f"{contact_id!r} holds {what}; contact IDs hold no commas or whitespace" in str(raised.value)


@pytest.mark.parametrize(
    ("lines", "file_format", "message"),
    [
        (["# ids", "c1", "id1, id2"], ContactFileFormat.LINES, "f.txt line 3: 'id1, id2' holds a comma"),
        (["c1", "", "hello world"], ContactFileFormat.LINES, "f.txt line 3: 'hello world' holds whitespace"),
        (["ContactId,Queue", '"a b",sales'], ContactFileFormat.CSV, "f.txt line 2: 'a b' holds whitespace"),
        (["ContactId,Queue", '"c1,c2",sales'], ContactFileFormat.CSV, "f.txt line 2: 'c1,c2' holds a comma"),
    ],
)
def test_file_lines_with_a_separator_are_refused_with_the_line(lines, file_format, message):
    with pytest.raises(RuleViolation, match="contact IDs hold no commas or whitespace") as raised:
        check_contact_file(lines, file_format, "f.txt")
    assert str(raised.value).startswith(message)


def test_surrounding_whitespace_of_a_line_or_cell_is_not_part_of_the_id():
    assert check_contact_file(["  c1\t", "c2 "], ContactFileFormat.LINES, "f") == ["c1", "c2"]
    assert check_contact_file(["ContactId", " c1 "], ContactFileFormat.CSV, "f.csv") == ["c1"]
