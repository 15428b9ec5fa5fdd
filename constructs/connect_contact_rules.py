"""Limits and validation rules shared by the ContactDefaults construct and its Lambda.

Pure standard library, no I/O: the construct checks these at synth time (for values
that are not tokens) and the Lambda checks them again at run time, so every limit is
written once, here. The Lambda asset carries a copy of this file (tools/handler_asset.py).

Error messages name the field, the problem and the limit. They never quote an
attribute *value* (it may be personal data); they name its key instead.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

# --- Amazon Connect limits (botocore's Connect model and the API reference) ---
INSTANCE_ID_MAX_LENGTH = 100
CONTACT_ID_MAX_LENGTH = 256
CONTACT_ID_SEPARATOR = re.compile(r"[\s,]")
"""Whitespace or a comma inside a contact ID: two IDs run together ("id1, id2") or a stray word, never an ID."""
ATTRIBUTE_KEY_MAX_LENGTH = 32_767
ATTRIBUTE_VALUE_MAX_LENGTH = 32_767
CONTACT_ATTRIBUTES_MAX_BYTES = 32_768
"""All keys and values of one contact together, in UTF-8 bytes."""
ATTRIBUTE_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
EXPIRY_MINUTES_MIN = 1
EXPIRY_MINUTES_MAX = 2_147_483_647
"""ValueInteger is a 32-bit integer in the Connect model."""

# --- Limits of this library ---
INLINE_CONTACT_IDS_MAX = 1_000
"""ContactSelection.of_ids puts the IDs into the template; more than this belongs in a file."""
MAX_REQUESTS_PER_SECOND_DEFAULT = 5.0
RATE_HEADROOM = 0.95
"""Each API is paced at 95% of the budget: budget+1 consecutive calls then span 1.053 s, so up to ~50 ms of
jitter between releasing a call and its arrival at Connect cannot put budget+1 calls into one second there."""

# --- Time: one estimate, used by the construct (shards) and the Lambda (fail fast) ---
SERVICE_TIMEOUT_MIN_SECONDS = 1
SERVICE_TIMEOUT_MAX_SECONDS = 3_600
"""CloudFormation's maximum (and default) ServiceTimeout of a custom resource."""
SERVICE_TIMEOUT_MARGIN_SECONDS = 30.0
"""Kept back from the ServiceTimeout for hand-offs and the response (at most 10% of it)."""
ESTIMATE_SHARE = 0.8
"""The share of the usable time the estimate plans to fill: the rest absorbs the time each invocation keeps
back to finish the contacts in flight, the hand-offs between invocations, and retries."""
SHARDS_MAX = 200
"""At most this many custom resources for one ContactDefaults (a stack holds at most 500 resources)."""

INSTANCE_ARN_PATTERN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):connect:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):instance/(?P<instance_id>[^/:]+)"
)

CONTACT_EXPIRY_SEGMENT_ATTRIBUTE = "connect:ContactExpiry"
CHANNELS_WITH_EXPIRY = frozenset({"EMAIL", "TASK"})
"""Channels on which connect:ContactExpiry can be set; voice and chat are skipped."""


class AttributeMode(StrEnum):
    """How declared attributes meet values already on a contact."""

    FILL_MISSING = "FILL_MISSING"
    """Set a key only where it is absent or empty, or still holds the value this resource set before."""
    OVERWRITE = "OVERWRITE"
    """Set every declared key to the declared value."""


class MissingContactPolicy(StrEnum):
    """What to do with a selected contact that does not exist."""

    SKIP = "SKIP"
    """Count it as missing and go on."""
    FAIL = "FAIL"
    """Fail the resource."""


class ValueRemovalPolicy(StrEnum):
    """What happens to the values this resource owns when keys, contacts or the resource go away."""

    RETAIN = "RETAIN"
    DESTROY = "DESTROY"
    """Set them to "" (Connect has no delete) where the contact still holds the value set before."""


RESOURCE_TYPE = "Custom::ConnectContactDefaults"
"""The CloudFormation type of the custom resource a ContactDefaults declares."""


class Prop:
    """Property names of Custom::ConnectContactDefaults (the construct-to-Lambda contract).

    CloudFormation delivers every scalar as a string.
    """

    INSTANCE_ID = "InstanceId"  # bare instance ID
    REGION = "Region"  # Region of the instance (the stack's unless an ARN named another)
    CONTACT_IDS = "ContactIds"  # list of contact IDs (ContactSelection.of_ids)
    CONTACT_FILE = "ContactFile"  # {"Bucket", "Key", "Format"}: an S3 object (ContactSelection.from_file)
    ATTRIBUTES = "Attributes"  # map key -> value; may be empty when an expiry is declared
    MODE = "Mode"  # AttributeMode
    CONTACT_EXPIRY_MINUTES = "ContactExpiryMinutes"  # optional, whole minutes as a string
    MISSING_CONTACTS = "MissingContacts"  # MissingContactPolicy
    REMOVAL_POLICY = "RemovalPolicy"  # ValueRemovalPolicy
    MAX_REQUESTS_PER_SECOND = "MaxRequestsPerSecond"  # number as a string
    SERVICE_TIMEOUT_SECONDS = "ServiceTimeoutSeconds"  # the custom resource's ServiceTimeout, as a string
    SHARD = "Shard"  # {"Index", "Count"}: this resource stamps the contacts of the selection with shard_of == Index


class Result:
    """Keys of the custom resource's response Data."""

    UPDATED = "Updated"
    UNCHANGED = "Unchanged"
    MISSING = "Missing"
    FAILED = "Failed"
    EXPIRY_SKIPPED = "ExpirySkipped"
    OLD_SELECTION_UNAVAILABLE = "OldSelectionUnavailable"
    """Present ("true") when an Update could not read the previous contact file: contacts only it held were left alone."""


class ContactFileFormat(StrEnum):
    LINES = "LINES"
    """One contact ID a line; blank lines and lines starting with # are ignored."""
    CSV = "CSV"
    """A CSV file with a header row that has a ContactId column."""


CSV_CONTACT_ID_COLUMN = "ContactId"


class RuleViolation(ValueError):
    """A value breaks one of the rules: the message names the field, the problem and the limit."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class InstanceArn:
    partition: str
    region: str
    account: str
    instance_id: str


def _shown(value: str, limit: int = 60) -> str:
    """A short, quoted rendering of an identifier for error messages (never for attribute values)."""
    text = value if len(value) <= limit else value[:limit] + "..."
    return repr(text)


def check_instance_id(instance_id: str, field: str = "instance_id") -> None:
    if instance_id.startswith("arn:"):
        raise RuleViolation(field, f"{_shown(instance_id)} is an ARN; pass the bare instance ID, or use instance_arn")
    if not 1 <= len(instance_id) <= INSTANCE_ID_MAX_LENGTH:
        raise RuleViolation(
            field,
            f"{_shown(instance_id)} has {len(instance_id)} characters; it must have 1 to {INSTANCE_ID_MAX_LENGTH}",
        )


def parse_instance_arn(arn: str, field: str = "instance_arn") -> InstanceArn:
    match = INSTANCE_ARN_PATTERN.fullmatch(arn)
    if match is None:
        raise RuleViolation(
            field, f"{_shown(arn)} is not of the form arn:<partition>:connect:<region>:<account>:instance/<instance-id>"
        )
    parsed = InstanceArn(**match.groupdict())
    check_instance_id(parsed.instance_id, field)
    return parsed


def check_contact_id(contact_id: str, field: str) -> None:
    if not 1 <= len(contact_id) <= CONTACT_ID_MAX_LENGTH:
        raise RuleViolation(
            field,
            f"{_shown(contact_id)} has {len(contact_id)} characters; a contact ID has 1 to {CONTACT_ID_MAX_LENGTH}",
        )
    separator = CONTACT_ID_SEPARATOR.search(contact_id)
    if separator is not None:
        what = "a comma" if separator.group() == "," else "whitespace"
        raise RuleViolation(
            field,
            f"{_shown(contact_id)} holds {what}; a contact ID has neither: give one contact ID per line (or list item)",
        )


def check_contact_ids(contact_ids: Iterable[str], field: str = "contacts") -> list[str]:
    """Checks a list of contact IDs and returns it: at least one, each 1-256 characters, no duplicates."""
    seen: dict[str, int] = {}
    ids = list(contact_ids)
    for position, contact_id in enumerate(ids):
        check_contact_id(contact_id, f"{field}[{position}]")
        if contact_id in seen:
            raise RuleViolation(
                f"{field}[{position}]",
                f"{_shown(contact_id)} duplicates {field}[{seen[contact_id]}]; list each contact once",
            )
        seen[contact_id] = position
    if not ids:
        raise RuleViolation(field, "selects no contact; select at least one")
    return ids


def check_inline_contact_count(count: int, field: str = "contacts") -> None:
    if count > INLINE_CONTACT_IDS_MAX:
        raise RuleViolation(
            field,
            f"{count} contact IDs given inline; ContactSelection.of_ids takes at most {INLINE_CONTACT_IDS_MAX}: "
            "use ContactSelection.from_file for more",
        )


def attributes_size_bytes(attributes: Mapping[str, str]) -> int:
    """UTF-8 bytes of all keys and values together: what Connect's 32,768-byte limit counts."""
    return sum(len(key.encode("utf-8")) + len(value.encode("utf-8")) for key, value in attributes.items())


def check_attribute_key(key: str, field: str = "attributes") -> None:
    if not 1 <= len(key) <= ATTRIBUTE_KEY_MAX_LENGTH:
        raise RuleViolation(
            field, f"key {_shown(key)} has {len(key)} characters; a key has 1 to {ATTRIBUTE_KEY_MAX_LENGTH}"
        )
    if ATTRIBUTE_KEY_PATTERN.fullmatch(key) is None:
        raise RuleViolation(
            field,
            f"key {_shown(key)} has characters outside [A-Za-z0-9_-]; keys may hold only letters, digits, _ and -",
        )


def check_attributes(attributes: Mapping[str, str], field: str = "attributes") -> None:
    """Keys 1-32,767 characters of [A-Za-z0-9_-]; values 0-32,767 characters; 32,768 UTF-8 bytes in all."""
    for key, value in attributes.items():
        check_attribute_key(key, field)
        if not isinstance(value, str):
            raise RuleViolation(
                field, f"the value of key {_shown(key)} is a {type(value).__name__}; values are strings"
            )
        if len(value) > ATTRIBUTE_VALUE_MAX_LENGTH:
            raise RuleViolation(
                field,
                f"the value of key {_shown(key)} has {len(value)} characters; a value has at most {ATTRIBUTE_VALUE_MAX_LENGTH}",
            )
    size = attributes_size_bytes(attributes)
    if size > CONTACT_ATTRIBUTES_MAX_BYTES:
        raise RuleViolation(
            field,
            f"keys and values take {size} UTF-8 bytes together; a contact holds at most {CONTACT_ATTRIBUTES_MAX_BYTES}",
        )


def check_expiry_minutes(minutes: int, field: str = "contact_expiry") -> None:
    if not EXPIRY_MINUTES_MIN <= minutes <= EXPIRY_MINUTES_MAX:
        raise RuleViolation(
            field, f"{minutes} minutes is out of range; it must be {EXPIRY_MINUTES_MIN} to {EXPIRY_MINUTES_MAX} minutes"
        )


def check_something_declared(has_attributes: bool, has_expiry: bool, field: str = "attributes") -> None:
    if not has_attributes and not has_expiry:
        raise RuleViolation(field, "nothing is declared; give attributes, contact_expiry, or both")


def check_max_requests_per_second(rate: float, field: str = "max_requests_per_second") -> None:
    if not 0 < rate < float("inf"):
        raise RuleViolation(field, f"{rate} is not a rate; it must be greater than 0 requests per second, and finite")


def check_service_timeout_seconds(seconds: int, field: str = "service_timeout") -> None:
    """CloudFormation's range for a custom resource's ServiceTimeout, in whole seconds."""
    if not SERVICE_TIMEOUT_MIN_SECONDS <= seconds <= SERVICE_TIMEOUT_MAX_SECONDS:
        raise RuleViolation(
            field,
            f"{seconds} s is out of range; a custom resource's ServiceTimeout is "
            f"{SERVICE_TIMEOUT_MIN_SECONDS} to {SERVICE_TIMEOUT_MAX_SECONDS} seconds",
        )


def contact_file_format(file_name: str) -> ContactFileFormat:
    """A file whose name ends in .csv is read as CSV; any other as one contact ID a line."""
    return ContactFileFormat.CSV if file_name.lower().endswith(".csv") else ContactFileFormat.LINES


def iter_contact_file(lines: Iterable[str], file_format: ContactFileFormat, source: str) -> Iterator[str]:
    """Yields the contact IDs of a contact file in order, checking each; errors name the line number.

    Streams: it holds one line at a time, so the Lambda can read a 100,000-line file from S3.
    """
    if file_format is ContactFileFormat.LINES:
        for number, line in enumerate(lines, start=1):
            contact_id = (line.lstrip("\ufeff") if number == 1 else line).strip()  # a UTF-8 byte-order mark
            if contact_id and not contact_id.startswith("#"):
                check_contact_id(contact_id, f"{source} line {number}")
                yield contact_id
        return
    rows = csv.reader(lines)
    header = next(rows, None)
    if header is None or CSV_CONTACT_ID_COLUMN not in [name.strip().lstrip("\ufeff") for name in header]:
        raise RuleViolation(f"{source} line 1", f"the CSV header has no {CSV_CONTACT_ID_COLUMN} column")
    column = [name.strip().lstrip("\ufeff") for name in header].index(CSV_CONTACT_ID_COLUMN)
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        number = rows.line_num
        if column >= len(row):
            raise RuleViolation(f"{source} line {number}", f"the row has no {CSV_CONTACT_ID_COLUMN} value")
        contact_id = row[column].strip()
        check_contact_id(contact_id, f"{source} line {number}")
        yield contact_id


def check_contact_file(lines: Iterable[str], file_format: ContactFileFormat, source: str) -> int:
    """Checks a whole contact file (as the construct does at synth time) and returns its number of contacts.

    Errors name the line: a bad ID length, a duplicate (with the line it repeats), or an empty file.
    """
    first_line: dict[str, int] = {}
    numbered = _NumberedLines(lines)
    for contact_id in iter_contact_file(numbered, file_format, source):
        line = numbered.line
        if contact_id in first_line:
            raise RuleViolation(
                f"{source} line {line}",
                f"{_shown(contact_id)} duplicates line {first_line[contact_id]}; list each contact once",
            )
        first_line[contact_id] = line
    if not first_line:
        raise RuleViolation(source, "holds no contact ID; a contact file selects at least one contact")
    return len(first_line)


class _NumberedLines:
    """An iterator over lines that remembers the number of the last line it handed out."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.line = 0

    def __iter__(self) -> _NumberedLines:
        return self

    def __next__(self) -> str:
        text = next(self._lines)
        self.line += 1
        return text


def service_timeout_margin_seconds(service_timeout_seconds: float) -> float:
    return min(SERVICE_TIMEOUT_MARGIN_SECONDS, service_timeout_seconds * 0.1)


def contacts_within(max_requests_per_second: float, service_timeout_seconds: float) -> int:
    """How many contacts one operation can reconcile within the ServiceTimeout at the budget: the estimate.

    Each API is paced on its own at the budget and a contact makes at most one call to each, so a
    contact costs 1 / (budget x RATE_HEADROOM) seconds of the busiest API's time, whatever it declares.
    """
    usable = service_timeout_seconds - service_timeout_margin_seconds(service_timeout_seconds)
    return max(0, math.floor(usable * ESTIMATE_SHARE * max_requests_per_second * RATE_HEADROOM))


def estimated_seconds(contacts: int, max_requests_per_second: float) -> float:
    """The pacing time of `contacts` contacts at the budget (the busiest API's share)."""
    return contacts / (max_requests_per_second * RATE_HEADROOM)


def shard_of(contact_id: str, count: int) -> int:
    """The shard (0 to count-1) of a contact: a jump consistent hash of its ID.

    A contact keeps its shard whatever else the selection holds, and when count grows by one only
    about 1/count of the contacts move (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash").
    """
    key = int.from_bytes(hashlib.sha256(contact_id.encode("utf-8")).digest()[:8], "big")
    bucket, candidate = -1, 0
    while candidate < count:
        bucket = candidate
        key = (key * 2862933555777941757 + 1) % (1 << 64)
        candidate = int((bucket + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return bucket


def shard_count(
    contact_ids: Iterable[str], max_requests_per_second: float, service_timeout_seconds: float, field: str = "contacts"
) -> int:
    """The fewest shards whose every shard fits contacts_within; 1 when the selection fits as it is.

    :raises RuleViolation: more than SHARDS_MAX shards would be needed.
    """
    ids = list(contact_ids)
    capacity = contacts_within(max_requests_per_second, service_timeout_seconds)
    if len(ids) <= capacity:
        return 1
    if capacity < 1:
        raise RuleViolation(
            field,
            f"no contact fits within the ServiceTimeout of {service_timeout_seconds:g} s at "
            f"max_requests_per_second={max_requests_per_second:g}; raise either",
        )
    count = math.ceil(len(ids) / capacity)
    while count <= SHARDS_MAX:
        sizes = [0] * count
        for contact_id in ids:
            sizes[shard_of(contact_id, count)] += 1
        if max(sizes) <= capacity:
            return count
        count += 1
    raise RuleViolation(
        field,
        f"{len(ids)} contacts need more than {SHARDS_MAX} shards of at most {capacity} contacts "
        f"(the ServiceTimeout of {service_timeout_seconds:g} s at max_requests_per_second="
        f"{max_requests_per_second:g}); raise max_requests_per_second or split the selection between stacks",
    )
