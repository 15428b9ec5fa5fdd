"""The contact IDs of a selection, in order: inline, or streamed line by line from the contact file in S3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from connect_contact_rules import iter_contact_file

from .resource_spec import ResourceSpec

S3ClientFactory = Callable[[], Any]


UNREADABLE_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404", "AccessDenied", "403"})
"""Without s3:ListBucket S3 answers a missing object with 403, and the role may read only the current
file's object: after an Update that changed the file, the previous one answers AccessDenied."""


READ_CHUNK_BYTES = 1 << 16
"""Bytes read from the object's body at a time (iter_lines holds one chunk and one line)."""


def selection_source(spec: ResourceSpec) -> tuple[object, ...]:
    """What identifies the IDs a selection lists, whatever its shard: the inline IDs, or the file."""
    return (spec.contact_ids, spec.contact_file)


class ContactFileUnavailable(Exception):
    """The contact file cannot be read: gone from its bucket, or no longer granted to this function."""


def iter_selection(spec: ResourceSpec, s3_client: S3ClientFactory) -> Iterator[str]:
    """Yields each selected contact ID once, in file order; holds one line of the file at a time."""
    if spec.contact_file is None:
        yield from spec.contact_ids
        return
    contact_file = spec.contact_file
    try:
        body = s3_client().get_object(Bucket=contact_file.bucket, Key=contact_file.key)["Body"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in UNREADABLE_CODES:
            raise ContactFileUnavailable(f"{contact_file.source} ({code})") from None
        raise
    lines = (line.decode("utf-8") for line in body.iter_lines(chunk_size=READ_CHUNK_BYTES))
    yield from iter_contact_file(lines, contact_file.file_format, contact_file.source)
