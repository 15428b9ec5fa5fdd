"""ContactSelection: which Amazon Connect contacts a ContactDefaults stamps."""

from __future__ import annotations

import abc
import os
from collections.abc import Iterator, Sequence
from typing import Any

from aws_cdk import Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from connect_contact_rules import (
    ContactFileFormat,
    Prop,
    RuleViolation,
    check_contact_file,
    check_contact_id,
    check_contact_ids,
    check_inline_contact_count,
    contact_file_format,
    iter_contact_file,
)

from .instance_reference import InstanceReference


class ContactSelection(abc.ABC):
    """Which contacts of the instance a ContactDefaults stamps.

    Create one with a static factory: ``ContactSelection.of_ids([...])`` (IDs in the template)
    or ``ContactSelection.from_file(path)`` (a file uploaded as an S3 asset). A selection turns
    into properties of the custom resource when it is bound; a selection read from somewhere
    else (the contact file in S3) grants the handler what it needs to read it at that point, in
    the policy of the ContactDefaults that uses it.
    """

    @staticmethod
    def of_ids(contact_ids: Sequence[str]) -> ContactSelection:
        """The contacts with these IDs, listed in the template.

        :param contact_ids: 1 to 1,000 (``connect_contact_rules.INLINE_CONTACT_IDS_MAX``) distinct
            contact IDs, each 1-256 characters. Every ID is written into the template; for more
            contacts use ``ContactSelection.from_file``. Tokens are passed through unchecked.
        """
        return _ContactIdList(contact_ids)

    @staticmethod
    def from_file(path: str | os.PathLike[str]) -> ContactSelection:
        """The contacts listed in a file, which ``cdk deploy`` uploads as an S3 asset.

        The format follows the file name: a name ending in ``.csv`` (any case) is a CSV file whose
        header row has a ``ContactId`` column (other columns are ignored); any other file holds one
        contact ID a line, with blank lines and lines starting with ``#`` ignored. The file is
        UTF-8 text.

        At synth time the whole file is read and checked, line by line: at least one contact,
        each ID 1-256 characters, no ID twice; an error names the file and the line. The file is
        then an S3 asset (uploaded as it is, not zipped, by ``cdk deploy``); the template holds only
        its bucket and key, so it does not grow with the file. The handler streams the object
        (``s3:GetObject`` on that one object, nothing else in the bucket) one line at a time, so a
        file can select tens of thousands of contacts. A file longer than one ``service_timeout`` at
        ``max_requests_per_second`` is split into shards by the ContactDefaults (at most
        ``connect_contact_rules.SHARDS_MAX``).

        :param path: the path of the file, a ``str`` or an ``os.PathLike`` such as ``pathlib.Path``;
            a relative path is relative to the working directory
            of the app (the directory of ``cdk.json`` under ``cdk synth``/``cdk deploy``).
        """
        return _ContactFile(path)

    @abc.abstractmethod
    def bind(self, scope: Construct, policy: iam.Policy, instance: InstanceReference) -> dict[str, Any]:
        """Checks the selection, adds to ``policy`` what reading it takes, and returns the
        custom resource properties that carry it (keys from ``connect_contact_rules.Prop``).

        :param scope: the ContactDefaults the selection is used by.
        :param policy: that ContactDefaults' own policy on the handler's role: the custom resource
            depends on it, and it outlives the resource's Delete (docs/write-ownership.md, section 6).
            Add statements to it; acknowledge a cdk-nag finding on it, with its reason.
        :param instance: the instance the selection's contacts are on.
        :raises connect_contact_rules.RuleViolation: the selection breaks a rule.
        """

    def known_contact_ids(self) -> list[str] | None:
        """The IDs of the selected contacts where they are known at synth time (after ``bind``), else None.

        The construct splits a selection that cannot finish within one ServiceTimeout into shards by
        these IDs (``connect_contact_rules.shard_count``); a selection whose contacts are only known at
        deploy time (tokens, a search) returns None and stays one custom resource.
        """
        return None


class _ContactIdList(ContactSelection):
    def __init__(self, contact_ids: Sequence[str]) -> None:
        if isinstance(contact_ids, str):
            raise TypeError("ContactSelection.of_ids takes a list of contact IDs, not one string")
        self._contact_ids = list(contact_ids)  # a list token stays a one-element list token

    def bind(self, scope: Construct, policy: iam.Policy, instance: InstanceReference) -> dict[str, Any]:
        ids = self._contact_ids
        if Token.is_unresolved(ids):
            return {Prop.CONTACT_IDS: ids}  # a list token (e.g. a CommaDelimitedList parameter)
        check_inline_contact_count(len(ids), "contacts")
        if any(Token.is_unresolved(contact_id) for contact_id in ids):
            # Only the concrete IDs can be checked; duplicates may hide behind tokens.
            for position, contact_id in enumerate(ids):
                if not Token.is_unresolved(contact_id):
                    check_contact_id(contact_id, f"contacts[{position}]")
        else:
            check_contact_ids(ids, "contacts")
        return {Prop.CONTACT_IDS: list(ids)}

    def known_contact_ids(self) -> list[str] | None:
        ids = self._contact_ids
        if Token.is_unresolved(ids) or any(Token.is_unresolved(contact_id) for contact_id in ids):
            return None
        return list(ids)


class _ContactFile(ContactSelection):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"ContactSelection.from_file takes the path of a file, not a {type(path).__name__}")
        self._path = os.fspath(path)
        self._bound_file: tuple[str, ContactFileFormat] | None = None

    def known_contact_ids(self) -> list[str] | None:
        if self._bound_file is None:
            return None
        absolute, file_format = self._bound_file
        return list(iter_contact_file(_file_lines(absolute, self._path), file_format, source=self._path))

    def bind(self, scope: Construct, policy: iam.Policy, instance: InstanceReference) -> dict[str, Any]:
        path = self._path
        if Token.is_unresolved(path):
            raise RuleViolation("contacts", "the path of a contact file is a token; give a path known at synth time")
        absolute = os.path.abspath(path)  # Python's working directory, not that of jsii's node process
        if not os.path.isfile(absolute):
            problem = "is a directory" if os.path.isdir(absolute) else "does not exist"
            looked_at = "" if absolute == path else f" ({absolute})"
            raise RuleViolation(
                "contacts",
                f"{path!r}{looked_at} {problem}; ContactSelection.from_file takes the path of a file of contact IDs",
            )
        file_format = contact_file_format(path)
        try:
            check_contact_file(_file_lines(absolute, path), file_format, source=path)
        except RuleViolation as violation:
            # The field is the construct's (contacts); the file and line lead the problem.
            raise RuleViolation("contacts", str(violation)) from None

        asset = s3_assets.Asset(scope, "ContactFile", path=absolute)  # one file: uploaded as is, not zipped
        # Exactly the one object, and only GetObject: Asset.grant_read would add s3:GetObject*,
        # s3:GetBucket* and s3:List* on the whole asset bucket.
        policy.add_statements(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[asset.bucket.arn_for_objects(asset.s3_object_key)])
        )
        self._bound_file = (absolute, file_format)
        return {
            Prop.CONTACT_FILE: {
                "Bucket": asset.s3_bucket_name,
                "Key": asset.s3_object_key,
                "Format": file_format.value,
            }
        }


def _file_lines(absolute: str, source: str) -> Iterator[str]:
    """The lines of a file as the handler reads the S3 object (botocore's iter_lines, then UTF-8):
    split at \\n, \\r\\n and \\r, without the line ends; one line in memory at a time."""
    number = 0
    with open(absolute, "rb") as file:
        for chunk in file:  # split at \n; splitlines also splits a chunk at a lone \r
            for raw in chunk.splitlines():
                number += 1
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise RuleViolation(f"{source} line {number}", "not UTF-8 text; save the file as UTF-8") from None
