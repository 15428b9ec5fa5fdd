"""Contact files (ContactSelection.from_file): one ID a line or a CSV with a ContactId column; errors name the line."""

import pytest

from connect_contact_rules import (
    ContactFileFormat,
    RuleViolation,
    check_contact_file,
    contact_file_format,
    iter_contact_file,
)

LINES, CSV = ContactFileFormat.LINES, ContactFileFormat.CSV


def test_format_follows_the_file_name():
    assert contact_file_format("q3/contacts.CSV") is CSV
    assert contact_file_format("contacts.txt") is LINES
    assert contact_file_format("contacts") is LINES


def test_lines_skip_blanks_and_comments_and_strip_spaces():
    lines = ["# exported 2026-10-01", "", "  c1  ", "c2", "   ", "#c3", "c4\n"]
    assert list(iter_contact_file(lines, LINES, "f")) == ["c1", "c2", "c4"]
    assert len(check_contact_file(lines, LINES, "f")) == 3


def test_csv_reads_the_contact_id_column_wherever_it_is():
    lines = ["\ufeffQueue,ContactId,Agent", "sales,c1,ann", "", "support, c2 ,bob"]
    assert list(iter_contact_file(lines, CSV, "f.csv")) == ["c1", "c2"]


@pytest.mark.parametrize(
    ("lines", "file_format", "message"),
    [
        (["c1", "c2", "", "c1"], LINES, "contacts.txt line 4: 'c1' duplicates line 1; list each contact once"),
        (["c1", "x" * 257], LINES, "contacts.txt line 2: "),
        (["# only a comment", ""], LINES, "contacts.txt: holds no contact ID"),
        ([], LINES, "contacts.txt: holds no contact ID"),
        (["Queue,Agent", "sales,ann"], CSV, "contacts.txt line 1: the CSV header has no ContactId column"),
        (["ContactId,Queue", "c1,sales", ",sales"], CSV, "contacts.txt line 3: '' has 0 characters"),
        (["Queue,ContactId", "sales"], CSV, "contacts.txt line 2: the row has no ContactId value"),
        (["ContactId", "c1", "c2", "c2"], CSV, "contacts.txt line 4: 'c2' duplicates line 3"),
    ],
)
def test_errors_name_the_line_and_the_limit(lines, file_format, message):
    with pytest.raises(RuleViolation) as raised:
        check_contact_file(lines, file_format, "contacts.txt")
    assert str(raised.value).startswith(message)


def test_bad_length_names_the_limit():
    with pytest.raises(RuleViolation, match="a contact ID has 1 to 256"):
        check_contact_file(["x" * 257], LINES, "f")


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_id():
    assert list(iter_contact_file(["\ufeffc1", "c2"], LINES, "f")) == ["c1", "c2"]
