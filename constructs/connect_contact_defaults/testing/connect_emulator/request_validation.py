"""Checks a parsed request against botocore's Connect model and Connect's documented rules.

Model checks: botocore's ``ParamValidator`` (required members, types, minimum lengths and
values, unknown members) plus a walk of the shape for what it leaves out (maximum string,
list and map lengths, integer ranges, enum values). Documented rules: bare instance IDs, attribute key
characters, the contact expiry's shape and UpdateContact's "at least one field".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

from .errors import invalid_parameter, invalid_request

ATTRIBUTE_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
CONTACT_ATTRIBUTES_MAX_BYTES = 32_768
"""All keys and values of one contact together, in UTF-8 bytes."""
CONTACT_EXPIRY = "connect:ContactExpiry"
EXPIRY_MINUTES_MAX = 2**31 - 1
"""ValueInteger is a 32-bit integer."""
UPDATE_CONTACT_STORED_FIELDS = ("Name", "Description", "SegmentAttributes")
"""The UpdateContact fields the emulator stores; it refuses the others rather than drop them."""

_NUMBER_TYPES = ("integer", "long", "float", "double")
_MESSAGE_PART_MAX = 300


@cache
def service_model() -> ServiceModel:
    """botocore's own Connect model (loaded once)."""
    return botocore.session.get_session().get_service_model("connect")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def model_violations(params: Mapping[str, Any], shape: Shape) -> list[str]:
    """Every way ``params`` breaks ``shape``: botocore's checks plus the maximums and enums it skips."""
    problems: list[str] = []
    report = ParamValidator().validate(dict(params), shape)
    if report.has_errors():
        problems.extend(line.strip() for line in report.generate_report().splitlines() if line.strip())
    _collect_maximum_violations(params, shape, "", problems)
    return [_short(problem, _MESSAGE_PART_MAX) for problem in problems]


def _collect_maximum_violations(value: object, shape: Shape, name: str, problems: list[str]) -> None:
    limit = shape.metadata.get("max")
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        for member_name, member_shape in shape.members.items():
            if value.get(member_name) is not None:
                path = f"{name}.{member_name}" if name else member_name
                _collect_maximum_violations(value[member_name], member_shape, path, problems)
    elif kind == "list" and isinstance(value, list):
        if limit is not None and len(value) > limit:
            problems.append(f"Invalid length for parameter {name}, length: {len(value)}, valid max length: {limit}")
        for index, item in enumerate(value):
            _collect_maximum_violations(item, shape.member, f"{name}[{index}]", problems)
    elif kind == "map" and isinstance(value, Mapping):
        if limit is not None and len(value) > limit:
            problems.append(f"Invalid length for parameter {name}, length: {len(value)}, valid max length: {limit}")
        for key, item in value.items():
            shown = _short(str(key))
            _collect_maximum_violations(key, shape.key, f"{name} (key: {shown})", problems)
            _collect_maximum_violations(item, shape.value, f"{name}.{shown}", problems)
    elif kind == "string" and isinstance(value, str) and shape.enum and value not in shape.enum:
        problems.append(f"Invalid value for parameter {name}, value: {_short(value)}, valid values: {shape.enum}")
    elif limit is None:
        return
    elif kind == "string" and isinstance(value, str) and len(value) > limit:
        problems.append(f"Invalid length for parameter {name}, length: {len(value)}, valid max length: {limit}")
    elif kind in _NUMBER_TYPES and isinstance(value, int | float) and not isinstance(value, bool) and value > limit:
        problems.append(f"Invalid range for parameter {name}, value: {value}, valid max value: {limit}")


def attributes_size_bytes(attributes: Mapping[str, str]) -> int:
    """UTF-8 bytes of all keys and values together: what Connect's 32,768-byte limit counts."""
    return sum(len(key.encode("utf-8")) + len(value.encode("utf-8")) for key, value in attributes.items())


def check_attributes_size(attributes: Mapping[str, str]) -> None:
    size = attributes_size_bytes(attributes)
    if size > CONTACT_ATTRIBUTES_MAX_BYTES:
        raise invalid_parameter(
            f"The contact's attributes would take {size} UTF-8 bytes (keys and values together); "
            f"a contact holds at most {CONTACT_ATTRIBUTES_MAX_BYTES}"
        )


def parse_expiry_minutes(value: object) -> int:
    """Minutes of a ``connect:ContactExpiry`` segment attribute; InvalidParameterException if malformed."""
    value_map = value.get("ValueMap") if isinstance(value, Mapping) else None
    duration = value_map.get("ExpiryDuration") if isinstance(value_map, Mapping) else None
    minutes = duration.get("ValueInteger") if isinstance(duration, Mapping) else None
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise invalid_parameter(
            f'{CONTACT_EXPIRY} must be {{"ValueMap": {{"ExpiryDuration": {{"ValueInteger": <minutes>}}}}}}'
        )
    if not 1 <= minutes <= EXPIRY_MINUTES_MAX:
        raise invalid_parameter(
            f"{CONTACT_EXPIRY} ExpiryDuration must be 1 to {EXPIRY_MINUTES_MAX} minutes, not {minutes}"
        )
    return minutes


def _check_instance_id(params: Mapping[str, Any]) -> None:
    instance_id = params.get("InstanceId")
    if isinstance(instance_id, str) and instance_id.startswith("arn:"):
        raise invalid_request("Invalid input for field InstanceId")


def _check_attribute_keys(attributes: Mapping[str, str]) -> None:
    for key in attributes:
        if ATTRIBUTE_KEY_PATTERN.fullmatch(key) is None:
            raise invalid_parameter(
                f"Attribute key {_short(key)!r} is not valid: keys may hold only letters, digits, _ and -"
            )


def _check_update_contact(params: Mapping[str, Any], operation: OperationModel) -> None:
    uri_members = {
        name for name, member in operation.input_shape.members.items() if member.serialization.get("location") == "uri"
    }
    present = [
        name
        for name in operation.input_shape.members
        if name not in uri_members and params.get(name) is not None and params[name] != {}
    ]
    if not present:
        raise invalid_request("At least one field to be updated must be present")
    refused = [name for name in present if name not in UPDATE_CONTACT_STORED_FIELDS]
    if refused:
        raise invalid_request(
            f"The Connect emulator does not implement UpdateContact field(s) {', '.join(refused)}; "
            f"it stores {', '.join(UPDATE_CONTACT_STORED_FIELDS)}"
        )
    segment_attributes = params.get("SegmentAttributes") or {}
    if CONTACT_EXPIRY in segment_attributes:
        parse_expiry_minutes(segment_attributes[CONTACT_EXPIRY])


def validate_request(operation: OperationModel, params: Mapping[str, Any]) -> None:
    """Raises the ApiError Connect would answer for an invalid request; returns if it is valid."""
    problems = model_violations(params, operation.input_shape)
    if problems:
        raise invalid_parameter("; ".join(problems))
    _check_instance_id(params)
    if operation.name == "UpdateContactAttributes":
        _check_attribute_keys(params["Attributes"])
    elif operation.name == "UpdateContact":
        _check_update_contact(params, operation)
