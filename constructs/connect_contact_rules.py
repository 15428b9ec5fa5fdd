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
from datetime import UTC, datetime, timedelta
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

# --- SearchContacts (botocore's Connect model unless marked) ---
SEARCH_CONTACTS_RATE = 0.5
"""SearchContacts' default quota in requests/s (burst 1): Connect's quota table as copied by third parties; the
official table could not be read. Its calls are paced at min(max_requests_per_second, this)."""
SEARCH_PAGE_SIZE = 100
"""MaxResults is 1-100."""
SEARCH_NEXT_TOKEN_MAX_LENGTH = 100_000
"""LargeNextToken: up to 100,000 characters, so a token never goes into a hand-off event (see contact_search)."""
SEARCH_QUEUE_IDS_MAX = 100
"""QueueIdList: at most 100."""
SEARCH_CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
"""The Channel enum of the model (botocore 1.44.5)."""
SEARCH_INITIATION_METHODS = (
    "INBOUND",
    "OUTBOUND",
    "TRANSFER",
    "QUEUE_TRANSFER",
    "CALLBACK",
    "API",
    "DISCONNECT",
    "MONITOR",
    "EXTERNAL_OUTBOUND",
    "WEBRTC_API",
    "AGENT_REPLY",
    "FLOW",
)
"""The ContactInitiationMethod enum of the model (botocore 1.44.5)."""
SEARCH_WINDOW_MAX = timedelta(weeks=8)
"""Admin guide, "Search for contacts": "Search a time range up to 8 weeks". Documented for the contact search
page; the API reference states no limit (unconfirmed for SearchContacts itself)."""
SEARCH_LOOKBACK_MAX = timedelta(days=730)
"""Admin guide: "You can search for contacts as far back as two years ago"; DescribeContact: contact data is kept
for 24 months from the initiation time."""
SEARCH_MAX_CONTACTS_DEFAULT = 10_000
SEARCH_MAX_CONTACTS_LIMIT = 10_000
"""Admin guide: "The search results for a given query are limited to the first 10K results returned" (documented
for the contact search page; unconfirmed for the API). A larger selection is split by time window."""
SEARCH_REVISION_MAX_LENGTH = 256

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
MAX_FAILED_CONTACTS_DEFAULT = 0
"""How many failed contacts a resource tolerates and still answers SUCCESS (with Failed in Data and a WARNING)."""

# --- Progress: what a working operation records and emits (the Lambda writes it, the status command reads it) ---
PROGRESS_ATTRIBUTE = "progress"
"""The attribute of the resource's lease item (pk "lease", sk the logical ID) that holds its ProgressSnapshot."""
PROGRESS_LOG_INTERVAL_SECONDS = 60.0
"""How often a working operation logs its INFO progress line (and an EMF record)."""
METRIC_NAMESPACE = "ConnectContactDefaults"
"""The CloudWatch namespace of the Embedded Metric Format records the Lambda logs."""
METRIC_DIMENSION_STACK = "Stack"
METRIC_DIMENSION_RESOURCE = "Resource"
"""Dimensions of every metric: the stack name and the ContactDefaults' logical ID (each shard's own)."""


class Metric:
    """Metric names of METRIC_NAMESPACE (the Lambda's EMF records, ContactDefaults.metric_...())."""

    CONTACTS_WRITTEN = "ContactsWritten"
    CONTACTS_UNCHANGED = "ContactsUnchanged"
    CONTACTS_MISSING = "ContactsMissing"
    CONTACTS_FAILED = "ContactsFailed"
    THROTTLED_CALLS = "ThrottledCalls"


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


class Channel(StrEnum):
    """How a contact reached the contact center (Connect's Channel)."""

    VOICE = "VOICE"
    CHAT = "CHAT"
    TASK = "TASK"
    EMAIL = "EMAIL"


class Prop:
    """Property names of Custom::ConnectContactDefaults (the construct-to-Lambda contract).

    CloudFormation delivers every scalar as a string.
    """

    INSTANCE_ID = "InstanceId"  # bare instance ID
    REGION = "Region"  # Region of the instance (the stack's unless an ARN named another)
    CONTACT_IDS = "ContactIds"  # list of contact IDs (ContactSelection.of_ids)
    CONTACT_FILE = "ContactFile"  # {"Bucket", "Key", "Format"}: an S3 object (ContactSelection.from_file)
    CONTACT_SEARCH = "ContactSearch"  # a SearchContacts query (ContactSelection.search); keys in SearchProp
    ATTRIBUTES = "Attributes"  # map key -> value; may be empty when an expiry is declared
    MODE = "Mode"  # AttributeMode
    CONTACT_EXPIRY_MINUTES = "ContactExpiryMinutes"  # optional, whole minutes as a string
    MISSING_CONTACTS = "MissingContacts"  # MissingContactPolicy
    REMOVAL_POLICY = "RemovalPolicy"  # ValueRemovalPolicy
    MAX_REQUESTS_PER_SECOND = "MaxRequestsPerSecond"  # number as a string
    SERVICE_TIMEOUT_SECONDS = "ServiceTimeoutSeconds"  # the custom resource's ServiceTimeout, as a string
    SHARD = "Shard"  # {"Index", "Count"}: this resource stamps the contacts of the selection with shard_of == Index
    MAX_FAILED_CONTACTS = "MaxFailedContacts"  # whole number as a string: failures tolerated (default 0)
    REVISION = "Revision"  # optional (of_ids, from_file): any change re-applies the declaration (an Update); unread


class SearchProp:
    """Keys of the ContactSearch property (scalars are strings, as CloudFormation delivers them)."""

    INITIATED_WITHIN_SECONDS = "InitiatedWithinSeconds"  # whole seconds: the window ends when the operation runs
    INITIATED_AFTER = "InitiatedAfter"  # ISO 8601 UTC, e.g. 2026-10-01T00:00:00Z; with INITIATED_BEFORE
    INITIATED_BEFORE = "InitiatedBefore"
    CHANNELS = "Channels"  # optional list of Channel values
    QUEUE_IDS = "QueueIds"  # optional list of queue IDs
    INITIATION_METHODS = "InitiationMethods"  # optional list of SEARCH_INITIATION_METHODS values
    MAX_CONTACTS = "MaxContacts"  # whole number as a string
    REVISION = "Revision"  # optional: any change re-applies the search (CloudFormation then runs an Update)


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


def type_with_article(value: object) -> str:
    """The value's type for an error message, with its article: "an int", "a list", "None"."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


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
            f"{_shown(contact_id)} holds {what}; contact IDs hold no commas or whitespace: give one contact ID per line (or list item)",
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
                field, f"the value of key {_shown(key)} is {type_with_article(value)}; values are strings"
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


def check_max_failed_contacts(count: int, field: str = "max_failed_contacts") -> None:
    if count < 0:
        raise RuleViolation(field, f"{count} is negative; it must be 0 (any failed contact fails the resource) or more")


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


def check_contact_file(lines: Iterable[str], file_format: ContactFileFormat, source: str) -> list[str]:
    """Checks a whole contact file (as the construct does at synth time) and returns its contact IDs in order.

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
    return list(first_line)


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


# --- Search selections: ContactSelection.search(...) / the ContactSearch property ---


@dataclass(frozen=True)
class SearchQuery:
    """A search selection: the contacts SearchContacts returns for an INITIATION_TIMESTAMP window and filters.

    Exactly one of ``within`` (a window that ends when the operation runs) and the pair ``after`` /
    ``before`` (UTC) is set. Empty filters select every value. A contact is in the window when
    start <= its initiation time < end.
    """

    within: timedelta | None
    after: datetime | None
    before: datetime | None
    channels: tuple[str, ...] = ()
    queue_ids: tuple[str, ...] = ()
    initiation_methods: tuple[str, ...] = ()
    max_contacts: int = SEARCH_MAX_CONTACTS_DEFAULT
    revision: str = ""

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """[start, end) of the search for an operation that started at ``now``: a relative window ends then;
        an absolute one at ``before``, or at ``now`` when ``before`` is later (so every listing of one
        operation sees the same window)."""
        if self.within is not None:
            return now - self.within, now
        assert self.after is not None and self.before is not None
        return self.after, min(self.before, now)

    def matches(
        self, initiated: datetime, channel: str, queue_id: str | None, initiation_method: str, now: datetime
    ) -> bool:
        """Whether a contact with these fields (as SearchContacts reports them) is selected at ``now``."""
        start, end = self.window(now)
        return (
            start <= initiated < end
            and (not self.channels or channel in self.channels)
            and (not self.queue_ids or queue_id in self.queue_ids)
            and (not self.initiation_methods or initiation_method in self.initiation_methods)
        )

    def criteria(self) -> dict[str, list[str]]:
        """SearchContacts' SearchCriteria for the filters."""
        criteria: dict[str, list[str]] = {}
        if self.channels:
            criteria["Channels"] = list(self.channels)
        if self.queue_ids:
            criteria["QueueIds"] = list(self.queue_ids)
        if self.initiation_methods:
            criteria["InitiationMethods"] = list(self.initiation_methods)
        return criteria

    def selects_as(self, other: SearchQuery) -> bool:
        """Whether both select the same contacts at any one time (max_contacts and revision aside)."""
        return (self.within, self.after, self.before, self.criteria()) == (
            other.within,
            other.after,
            other.before,
            other.criteria(),
        )

    def to_properties(self) -> dict[str, object]:
        """The ContactSearch property (strings, as CloudFormation hands them back)."""
        properties: dict[str, object] = {}
        if self.within is not None:
            properties[SearchProp.INITIATED_WITHIN_SECONDS] = str(int(self.within.total_seconds()))
        if self.after is not None and self.before is not None:
            properties[SearchProp.INITIATED_AFTER] = format_timestamp(self.after)
            properties[SearchProp.INITIATED_BEFORE] = format_timestamp(self.before)
        for key, values in (
            (SearchProp.CHANNELS, self.channels),
            (SearchProp.QUEUE_IDS, self.queue_ids),
            (SearchProp.INITIATION_METHODS, self.initiation_methods),
        ):
            if values:
                properties[key] = list(values)
        properties[SearchProp.MAX_CONTACTS] = str(self.max_contacts)
        if self.revision:
            properties[SearchProp.REVISION] = self.revision
        return properties


def format_timestamp(moment: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC with a Z: 2026-10-01T00:00:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_timestamp(text: str, field: str) -> datetime:
    """An ISO 8601 timestamp with a time zone, as an aware datetime in UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RuleViolation(
            field, f"{_shown(text)} is not an ISO 8601 timestamp such as 2026-10-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise RuleViolation(field, f"{_shown(text)} has no time zone; give UTC, e.g. 2026-10-01T00:00:00Z")
    return moment.astimezone(UTC)


def _window_width(width: timedelta) -> str:
    days = width.total_seconds() / 86_400
    return f"{days:g} days" if days >= 1 else f"{width.total_seconds():g} seconds"


def check_search_window(
    within: timedelta | None,
    after: datetime | None,
    before: datetime | None,
    fields: tuple[str, str, str] = ("initiated_within", "initiated_after", "initiated_before"),
) -> None:
    """Exactly one of a positive ``within`` and the pair after < before (aware datetimes), at most 8 weeks wide."""
    within_field, after_field, before_field = fields
    has_pair = after is not None or before is not None
    if (within is None) == (not has_pair):
        given = "both were given" if within is not None else "neither was given"
        raise RuleViolation(
            within_field, f"give exactly one of {within_field} and the pair {after_field} + {before_field}; {given}"
        )
    if within is not None:
        width = within
        field = within_field
        if width <= timedelta(0):
            raise RuleViolation(field, f"{_window_width(width)} is not a window; give a positive duration")
    else:
        for name, moment in ((after_field, after), (before_field, before)):
            if moment is None:
                other = before_field if name == after_field else after_field
                raise RuleViolation(name, f"is missing; {other} needs it (a window has a start and an end)")
            if not isinstance(moment, datetime):
                raise RuleViolation(name, f"is {type_with_article(moment)}; give a datetime with a time zone")
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise RuleViolation(
                    name, f"{moment.isoformat()} has no time zone; give an aware datetime, e.g. tzinfo=timezone.utc"
                )
        assert after is not None and before is not None
        if after >= before:
            raise RuleViolation(
                after_field, f"{format_timestamp(after)} is not before {before_field} {format_timestamp(before)}"
            )
        width = before - after
        field = before_field
    if width > SEARCH_WINDOW_MAX:
        raise RuleViolation(
            field,
            f"the window is {_window_width(width)} wide; Connect searches at most {SEARCH_WINDOW_MAX.days // 7} weeks "
            "at a time: split it into several ContactDefaults with adjacent windows",
        )


def check_search_lookback(after: datetime, now: datetime, field: str = "initiated_after") -> None:
    """The window must not start further back than Connect keeps (and searches) contacts."""
    oldest = now - SEARCH_LOOKBACK_MAX
    if after < oldest:
        raise RuleViolation(
            field,
            f"{format_timestamp(after)} is more than {SEARCH_LOOKBACK_MAX.days} days ago; Connect searches contacts "
            f"of the last two years only (the oldest searchable now is {format_timestamp(oldest)})",
        )


def check_search_values(values: Iterable[str], allowed: Iterable[str], field: str) -> tuple[str, ...]:
    """A filter of enum values: at least one when given, each allowed, each once."""
    checked = tuple(str(value) for value in values)
    allowed_values = tuple(allowed)
    if not checked:
        raise RuleViolation(field, "is empty; leave it out to select every value")
    for position, value in enumerate(checked):
        if value not in allowed_values:
            raise RuleViolation(f"{field}[{position}]", f"{_shown(value)} is not one of {', '.join(allowed_values)}")
        if value in checked[:position]:
            raise RuleViolation(f"{field}[{position}]", f"{_shown(value)} is listed twice; list each value once")
    return checked


def check_queue_ids(queue_ids: Iterable[str], field: str = "queue_ids") -> tuple[str, ...]:
    """1 to 100 queue IDs (SearchContacts' QueueIds), each a non-empty string listed once."""
    checked = tuple(queue_ids)
    if not checked:
        raise RuleViolation(field, "is empty; leave it out to select contacts of every queue")
    if len(checked) > SEARCH_QUEUE_IDS_MAX:
        raise RuleViolation(
            field,
            f"{len(checked)} queue IDs given; SearchContacts takes at most {SEARCH_QUEUE_IDS_MAX}: "
            "split the queues between several ContactDefaults",
        )
    for position, queue_id in enumerate(checked):
        if not isinstance(queue_id, str) or not queue_id:
            raise RuleViolation(f"{field}[{position}]", "a queue ID is a non-empty string")
        if queue_id in checked[:position]:
            raise RuleViolation(f"{field}[{position}]", f"{_shown(queue_id)} is listed twice; list each queue once")
    return checked


def check_max_contacts(max_contacts: int, field: str = "max_contacts") -> None:
    if isinstance(max_contacts, bool) or not isinstance(max_contacts, int):
        raise RuleViolation(field, f"{max_contacts!r} is not a whole number of contacts")
    if not 1 <= max_contacts <= SEARCH_MAX_CONTACTS_LIMIT:
        raise RuleViolation(
            field,
            f"{max_contacts} is out of range; it must be 1 to {SEARCH_MAX_CONTACTS_LIMIT} (Connect returns at most "
            f"{SEARCH_MAX_CONTACTS_LIMIT} results for one search): split a larger search by time window",
        )


def check_revision(revision: str, field: str = "revision") -> None:
    if not isinstance(revision, str) or len(revision) > SEARCH_REVISION_MAX_LENGTH:
        raise RuleViolation(field, f"must be a string of at most {SEARCH_REVISION_MAX_LENGTH} characters")


def search_contacts_rate(max_requests_per_second: float) -> float:
    """The pace of SearchContacts calls: the budget, but never above SearchContacts' own quota."""
    return min(max_requests_per_second, SEARCH_CONTACTS_RATE)


def search_listing_seconds(contacts: int, max_requests_per_second: float) -> float:
    """How long listing ``contacts`` contacts takes at SearchContacts' pace (pages of SEARCH_PAGE_SIZE)."""
    pages = max(1, math.ceil(contacts / SEARCH_PAGE_SIZE))
    return pages / (search_contacts_rate(max_requests_per_second) * RATE_HEADROOM)


# --- Continuous stamping: ContactSelection.search(..., continuous=ContinuousStamping(...)) ---

CONTACT_EVENT_SOURCE = "aws.connect"
CONTACT_EVENT_DETAIL_TYPE = "Amazon Connect Contact Event"
"""Amazon Connect contact events on the default EventBridge bus of the instance's Region (admin guide, "Amazon
Connect contact events"; EventBridge reference, "Amazon Connect events")."""
CONTACT_EVENT_INITIATED = "INITIATED"
CONTACT_EVENT_QUEUED = "QUEUED"
"""A queue filter needs QUEUED: an INITIATED event carries no queue yet (the contact is routed later)."""

CONTINUOUS_MAX_CONCURRENCY = 2
"""The consumer's event source mapping runs at most this many invocations (ScalingConfig.MaximumConcurrency, whose
minimum is 2)."""
CONTINUOUS_SWEEPS_AT_ONCE = 1
CONTINUOUS_BUDGET_SHARES = CONTINUOUS_MAX_CONCURRENCY + CONTINUOUS_SWEEPS_AT_ONCE
"""Each invocation of the continuous function paces every Connect API at budget / this: the consumers and the
sweep together stay within the budget."""
CONTINUOUS_BATCH_SIZE = 10
CONTINUOUS_FUNCTION_TIMEOUT_SECONDS = 120
CONTINUOUS_VISIBILITY_TIMEOUT_SECONDS = 6 * CONTINUOUS_FUNCTION_TIMEOUT_SECONDS
"""Lambda's advice for an SQS event source: at least 6 times the function timeout."""
CONTINUOUS_MAX_RECEIVE_COUNT = 3
"""A message that fails this many times goes to the dead-letter queue."""
CONTINUOUS_REQUESTS_PER_SECOND_DEFAULT = 3.0
CONTINUOUS_SWEEP_EVERY_DEFAULT = timedelta(minutes=10)
CONTINUOUS_SWEEP_EVERY_MIN = timedelta(minutes=5)
"""Longer than the function's timeout, so that one sweep has ended before the next starts."""
CONTINUOUS_SWEEP_EVERY_MAX = timedelta(hours=24)
CONTINUOUS_SWEEP_WINDOW_FACTOR = 2
"""A sweep searches the contacts initiated within this many sweep intervals before it: every contact is in the
window of at least two sweeps."""
CONTINUOUS_ENVIRONMENT_MAX_BYTES = 4_096
"""Lambda's limit for all environment variables of a function together (Lambda quotas)."""
CONTINUOUS_DECLARATION_VARIABLE = "CONTINUOUS_DECLARATION"
"""The continuous function's environment variable that holds its declaration (JSON, keys in ContinuousProp)."""


class ContinuousProp:
    """Keys of the continuous function's declaration (CONTINUOUS_DECLARATION, JSON)."""

    INSTANCE_ID = "InstanceId"
    INSTANCE_ARN = "InstanceArn"
    ATTRIBUTES = "Attributes"
    MODE = "Mode"
    CONTACT_EXPIRY_MINUTES = "ContactExpiryMinutes"  # optional whole minutes (a number)
    CHANNELS = "Channels"
    QUEUE_IDS = "QueueIds"
    INITIATION_METHODS = "InitiationMethods"
    MAX_REQUESTS_PER_SECOND = "MaxRequestsPerSecond"  # the budget for continuous work, every API on its own
    SWEEP_WINDOW_SECONDS = "SweepWindowSeconds"


def continuous_invocation_rate(max_requests_per_second: float) -> float:
    """The pace of each API in one invocation of the continuous function (its share of the budget)."""
    return max_requests_per_second / CONTINUOUS_BUDGET_SHARES


def _minutes(width: timedelta) -> str:
    return f"{width.total_seconds() / 60:g} minutes"


def check_sweep_every(sweep_every: timedelta, field: str = "sweep_every") -> None:
    if not CONTINUOUS_SWEEP_EVERY_MIN <= sweep_every <= CONTINUOUS_SWEEP_EVERY_MAX:
        raise RuleViolation(
            field,
            f"{_minutes(sweep_every)} is out of range; it must be {_minutes(CONTINUOUS_SWEEP_EVERY_MIN)} "
            f"(longer than the function's {CONTINUOUS_FUNCTION_TIMEOUT_SECONDS} s timeout, so sweeps never overlap) "
            f"to {_minutes(CONTINUOUS_SWEEP_EVERY_MAX)}",
        )
    if sweep_every.total_seconds() % 60:
        raise RuleViolation(field, f"{_minutes(sweep_every)} is not a whole number of minutes")


def check_continuous_declaration_size(declaration_json: str, field: str = "attributes") -> None:
    size = len(declaration_json.encode("utf-8"))
    if size > CONTINUOUS_ENVIRONMENT_MAX_BYTES:
        raise RuleViolation(
            field,
            f"the continuous declaration takes {size} bytes; the continuous function carries it in its environment, "
            f"which Lambda limits to {CONTINUOUS_ENVIRONMENT_MAX_BYTES} bytes: declare fewer or shorter attributes",
        )
