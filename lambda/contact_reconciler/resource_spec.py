"""Custom::ConnectContactDefaults properties, parsed and checked at run time.

CloudFormation hands every scalar over as a string ("5", "true"); the rules are the ones the
construct checks at synth time (connect_contact_rules), applied again here because a
template can be written by hand or hold values that were tokens at synth time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connect_contact_rules import (
    MAX_FAILED_CONTACTS_DEFAULT,
    MAX_REQUESTS_PER_SECOND_DEFAULT,
    SEARCH_CHANNELS,
    SEARCH_INITIATION_METHODS,
    SEARCH_MAX_CONTACTS_DEFAULT,
    SERVICE_TIMEOUT_MAX_SECONDS,
    AttributeMode,
    ContactFileFormat,
    MissingContactPolicy,
    Prop,
    RuleViolation,
    SearchProp,
    SearchQuery,
    ValueRemovalPolicy,
    check_attributes,
    check_contact_ids,
    check_expiry_minutes,
    check_instance_id,
    check_max_contacts,
    check_max_failed_contacts,
    check_max_requests_per_second,
    check_queue_ids,
    check_revision,
    check_search_values,
    check_search_window,
    check_something_declared,
    parse_timestamp,
    shard_of,
)

PHYSICAL_ID_PREFIX = "connect-contact-defaults"
SERVICE_TIMEOUT_DEFAULT_SECONDS = SERVICE_TIMEOUT_MAX_SECONDS
"""CloudFormation's default (and maximum) ServiceTimeout for a custom resource."""


@dataclass(frozen=True)
class ContactFile:
    bucket: str
    key: str
    file_format: ContactFileFormat

    @property
    def source(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Shard:
    index: int
    count: int


@dataclass(frozen=True)
class ResourceSpec:
    instance_id: str
    region: str
    contact_ids: tuple[str, ...]
    """The inline selection; empty when the selection is a contact file or a search."""
    contact_file: ContactFile | None
    attributes: Mapping[str, str]
    mode: AttributeMode
    expiry_minutes: int | None
    missing_contacts: MissingContactPolicy
    removal_policy: ValueRemovalPolicy
    max_requests_per_second: float
    service_timeout_seconds: int = SERVICE_TIMEOUT_DEFAULT_SECONDS
    shard: Shard | None = None
    """This resource stamps only the contacts of the selection that fall into this shard (a large selection)."""
    search: SearchQuery | None = None
    """The search selection (ContactSelection.search), run by each operation."""
    max_failed_contacts: int = MAX_FAILED_CONTACTS_DEFAULT
    """Up to this many failed contacts still answer SUCCESS (Failed in Data, and a WARNING)."""

    def selects(self, contact_id: str) -> bool:
        """Whether a contact of the selection falls into this resource's shard (always, without shards)."""
        return self.shard is None or shard_of(contact_id, self.shard.count) == self.shard.index

    def physical_id(self, stack_id: str, logical_id: str) -> str:
        """Stable across in-place updates; a new instance or Region gives a new ID (a replacement)."""
        owner = hashlib.sha256(f"{stack_id}/{logical_id}".encode()).hexdigest()[:16]
        return f"{PHYSICAL_ID_PREFIX}:{self.region}:{self.instance_id}:{owner}"


def is_own_physical_id(physical_id: str, spec: ResourceSpec) -> bool:
    """Whether a physical ID is one this handler issued for this instance (not crhelper's random fallback)."""
    return physical_id.startswith(f"{PHYSICAL_ID_PREFIX}:{spec.region}:{spec.instance_id}:")


def _enum(kind: type[Any], properties: Mapping[str, Any], name: str, default: Any) -> Any:
    raw = properties.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RuleViolation(name, f"{str(raw)[:40]!r} is not one of {allowed}") from None


def _string(properties: Mapping[str, Any], name: str) -> str:
    raw = properties.get(name)
    if not isinstance(raw, str) or raw == "":
        raise RuleViolation(name, "is required and must be a non-empty string")
    return raw


def parse_resource_spec(properties: Mapping[str, Any], default_region: str) -> ResourceSpec:
    """Parses ResourceProperties (or OldResourceProperties); raises RuleViolation naming the property."""
    instance_id = _string(properties, Prop.INSTANCE_ID)
    check_instance_id(instance_id, Prop.INSTANCE_ID)
    region = properties.get(Prop.REGION) or default_region

    contact_ids, contact_file, search = _selection(properties)

    attributes = properties.get(Prop.ATTRIBUTES) or {}
    if not isinstance(attributes, Mapping):
        raise RuleViolation(Prop.ATTRIBUTES, "must be a map of attribute keys to string values")
    check_attributes(attributes, Prop.ATTRIBUTES)

    expiry_minutes = None
    raw_expiry = properties.get(Prop.CONTACT_EXPIRY_MINUTES)
    if raw_expiry not in (None, ""):
        try:
            expiry_minutes = int(str(raw_expiry))
        except ValueError:
            raise RuleViolation(
                Prop.CONTACT_EXPIRY_MINUTES, f"{str(raw_expiry)[:40]!r} is not a whole number of minutes"
            ) from None
        check_expiry_minutes(expiry_minutes, Prop.CONTACT_EXPIRY_MINUTES)
    check_something_declared(bool(attributes), expiry_minutes is not None, Prop.ATTRIBUTES)

    raw_rate = properties.get(Prop.MAX_REQUESTS_PER_SECOND)
    try:
        rate = float(raw_rate) if raw_rate not in (None, "") else MAX_REQUESTS_PER_SECOND_DEFAULT
    except (TypeError, ValueError):
        raise RuleViolation(Prop.MAX_REQUESTS_PER_SECOND, f"{str(raw_rate)[:40]!r} is not a number") from None
    check_max_requests_per_second(rate, Prop.MAX_REQUESTS_PER_SECOND)

    raw_timeout = properties.get(Prop.SERVICE_TIMEOUT_SECONDS)
    try:
        service_timeout = int(str(raw_timeout)) if raw_timeout not in (None, "") else SERVICE_TIMEOUT_DEFAULT_SECONDS
    except ValueError:
        raise RuleViolation(Prop.SERVICE_TIMEOUT_SECONDS, f"{str(raw_timeout)[:40]!r} is not whole seconds") from None
    if not 1 <= service_timeout <= SERVICE_TIMEOUT_DEFAULT_SECONDS:
        raise RuleViolation(Prop.SERVICE_TIMEOUT_SECONDS, f"{service_timeout} s is out of range; it must be 1 to 3600")

    raw_max_failed = properties.get(Prop.MAX_FAILED_CONTACTS)
    try:
        max_failed = int(str(raw_max_failed)) if raw_max_failed not in (None, "") else MAX_FAILED_CONTACTS_DEFAULT
    except ValueError:
        raise RuleViolation(
            Prop.MAX_FAILED_CONTACTS, f"{str(raw_max_failed)[:40]!r} is not a whole number of contacts"
        ) from None
    check_max_failed_contacts(max_failed, Prop.MAX_FAILED_CONTACTS)

    return ResourceSpec(
        instance_id=instance_id,
        region=str(region),
        contact_ids=contact_ids,
        contact_file=contact_file,
        attributes=dict(attributes),
        mode=_enum(AttributeMode, properties, Prop.MODE, AttributeMode.FILL_MISSING),
        expiry_minutes=expiry_minutes,
        missing_contacts=_enum(MissingContactPolicy, properties, Prop.MISSING_CONTACTS, MissingContactPolicy.SKIP),
        removal_policy=_enum(ValueRemovalPolicy, properties, Prop.REMOVAL_POLICY, ValueRemovalPolicy.RETAIN),
        max_requests_per_second=rate,
        service_timeout_seconds=service_timeout,
        shard=_shard(properties),
        search=search,
        max_failed_contacts=max_failed,
    )


def _shard(properties: Mapping[str, Any]) -> Shard | None:
    raw = properties.get(Prop.SHARD)
    if raw is None:
        return None
    try:
        shard = Shard(int(str(raw["Index"])), int(str(raw["Count"])))
    except (TypeError, KeyError, ValueError):
        raise RuleViolation(Prop.SHARD, "must be a map with whole numbers Index and Count") from None
    if not 0 <= shard.index < shard.count:
        raise RuleViolation(
            Prop.SHARD, f"Index {shard.index} is out of range; it must be 0 to Count - 1 ({shard.count - 1})"
        )
    return shard


def _selection(properties: Mapping[str, Any]) -> tuple[tuple[str, ...], ContactFile | None, SearchQuery | None]:
    raw_ids = properties.get(Prop.CONTACT_IDS)
    raw_file = properties.get(Prop.CONTACT_FILE)
    raw_search = properties.get(Prop.CONTACT_SEARCH)
    if sum(raw is not None for raw in (raw_ids, raw_file, raw_search)) != 1:
        raise RuleViolation(
            Prop.CONTACT_IDS, f"give exactly one of {Prop.CONTACT_IDS}, {Prop.CONTACT_FILE} and {Prop.CONTACT_SEARCH}"
        )
    if raw_search is not None:
        return (), None, parse_search_query(raw_search)
    if raw_file is not None:
        if not isinstance(raw_file, Mapping) or not raw_file.get("Bucket") or not raw_file.get("Key"):
            raise RuleViolation(Prop.CONTACT_FILE, "must be a map with Bucket and Key")
        file_format = _enum(ContactFileFormat, raw_file, "Format", ContactFileFormat.LINES)
        return (), ContactFile(str(raw_file["Bucket"]), str(raw_file["Key"]), file_format), None
    if not isinstance(raw_ids, list) or not all(isinstance(item, str) for item in raw_ids):
        raise RuleViolation(Prop.CONTACT_IDS, "must be a list of contact ID strings")
    return tuple(check_contact_ids(raw_ids, Prop.CONTACT_IDS)), None, None


def parse_search_query(raw: Any) -> SearchQuery:
    """The ContactSearch property as a SearchQuery, checked by the construct's rules (fields named as properties)."""
    name = Prop.CONTACT_SEARCH
    if not isinstance(raw, Mapping):
        raise RuleViolation(name, "must be a map (the search query)")

    def field(key: str) -> str:
        return f"{name}.{key}"

    def whole(key: str, default: int | None) -> int | None:
        text = raw.get(key)
        if text in (None, ""):
            return default
        try:
            return int(str(text))
        except ValueError:
            raise RuleViolation(field(key), f"{str(text)[:40]!r} is not a whole number") from None

    def strings(key: str) -> list[str] | None:
        values = raw.get(key)
        if values is None:
            return None
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise RuleViolation(field(key), "must be a list of strings")
        return values

    within_seconds = whole(SearchProp.INITIATED_WITHIN_SECONDS, None)
    within = None if within_seconds is None else timedelta(seconds=within_seconds)
    after, before = (
        None if raw.get(key) in (None, "") else parse_timestamp(str(raw[key]), field(key))
        for key in (SearchProp.INITIATED_AFTER, SearchProp.INITIATED_BEFORE)
    )
    check_search_window(
        within,
        after,
        before,
        (
            field(SearchProp.INITIATED_WITHIN_SECONDS),
            field(SearchProp.INITIATED_AFTER),
            field(SearchProp.INITIATED_BEFORE),
        ),
    )
    channels = strings(SearchProp.CHANNELS)
    queue_ids = strings(SearchProp.QUEUE_IDS)
    methods = strings(SearchProp.INITIATION_METHODS)
    max_contacts = whole(SearchProp.MAX_CONTACTS, SEARCH_MAX_CONTACTS_DEFAULT)
    assert max_contacts is not None
    check_max_contacts(max_contacts, field(SearchProp.MAX_CONTACTS))
    revision = raw.get(SearchProp.REVISION) or ""
    check_revision(revision, field(SearchProp.REVISION))
    return SearchQuery(
        within=within,
        after=after,
        before=before,
        channels=() if channels is None else check_search_values(channels, SEARCH_CHANNELS, field(SearchProp.CHANNELS)),
        queue_ids=() if queue_ids is None else check_queue_ids(queue_ids, field(SearchProp.QUEUE_IDS)),
        initiation_methods=()
        if methods is None
        else check_search_values(methods, SEARCH_INITIATION_METHODS, field(SearchProp.INITIATION_METHODS)),
        max_contacts=max_contacts,
        revision=revision,
    )
