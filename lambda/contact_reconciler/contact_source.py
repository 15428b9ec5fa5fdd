"""The contact IDs of a selection, in order: inline, or streamed line by line from the contact file in S3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from connect_contact_rules import iter_contact_file

from .resource_spec import ResourceSpec

S3ClientFactory = Callable[[], Any]


class ContactFileUnavailable(Exception):
    """The contact file is not (or no longer) in its bucket."""


def iter_selection(spec: ResourceSpec, s3_client: S3ClientFactory) -> Iterator[str]:
    """Yields each selected contact ID once, in file order; holds one line of the file at a time."""
    if spec.contact_file is None:
        yield from spec.contact_ids
        return
    contact_file = spec.contact_file
    try:
        body = s3_client().get_object(Bucket=contact_file.bucket, Key=contact_file.key)["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "NoSuchBucket", "404"):
            raise ContactFileUnavailable(contact_file.source) from None
        raise
    lines = (line.decode("utf-8") for line in body.iter_lines())
    yield from iter_contact_file(lines, contact_file.file_format, contact_file.source)
