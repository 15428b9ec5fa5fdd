"""ContactSelection: which Amazon Connect contacts a ContactDefaults stamps."""

from __future__ import annotations

import abc
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, Token, Tokenization
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from connect_contact_rules import (
    SEARCH_CHANNELS,
    SEARCH_INITIATION_METHODS,
    SEARCH_MAX_CONTACTS_DEFAULT,
    SEARCH_QUEUE_IDS_MAX,
    Channel,
    Prop,
    RuleViolation,
    SearchProp,
    SearchQuery,
    check_contact_file,
    check_contact_id,
    check_contact_ids,
    check_inline_contact_count,
    check_max_contacts,
    check_queue_ids,
    check_revision,
    check_search_lookback,
    check_search_values,
    check_search_window,
    contact_file_format,
    type_with_article,
)

from .instance_reference import InstanceReference

if TYPE_CHECKING:
    from .continuous_stamping import ContinuousQuery, ContinuousStamping

INSTANCE_PROBE_ACTIONS = ("connect:DescribeInstanceAttribute",)
"""On the instance ARN, for a selection of IDs or a file: before any write the handler reads one instance
attribute, which tells a missing instance (or one in another Region) from missing contacts."""

SEARCH_ACTIONS = ("connect:SearchContacts",)
"""On the instance ARN, for a search selection only (its first call also tells a missing instance). The Service
Authorization Reference lists no dependent action for it."""


def _grant_instance_probe(policy: iam.Policy, instance: InstanceReference) -> None:
    policy.add_statements(iam.PolicyStatement(actions=list(INSTANCE_PROBE_ACTIONS), resources=[instance.instance_arn]))


class ContactSelection(abc.ABC):
    """Which contacts of the instance a ContactDefaults stamps.

    Create one with a static factory: ``ContactSelection.of_ids([...])`` (IDs in the template),
    ``ContactSelection.from_file(path)`` (a file uploaded as an S3 asset) or
    ``ContactSelection.search(...)`` (a SearchContacts query run at deploy time). A selection turns
    into properties of the custom resource when it is bound; a selection read from somewhere
    else (the contact file in S3) grants the handler what it needs to read it at that point, in
    the policy of the ContactDefaults that uses it.
    """

    @staticmethod
    def of_ids(contact_ids: Sequence[str], *, revision: str | None = None) -> ContactSelection:
        """The contacts with these IDs, listed in the template.

        :param contact_ids: 1 to 1,000 (``connect_contact_rules.INLINE_CONTACT_IDS_MAX``) distinct
            contact IDs, each 1-256 characters. Every ID is written into the template; for more
            contacts use ``ContactSelection.from_file``. Tokens are passed through unchecked.
        :param revision: any string (at most 256 characters); changing it, with nothing else, changes the
            resource's properties, so CloudFormation sends an Update and the handler re-applies the
            declaration to every contact (what ``drift`` reports: "bump the revision and deploy").
            Default: none.
        """
        return _ContactIdList(contact_ids, revision)

    @staticmethod
    def from_file(path: str | os.PathLike[str], *, revision: str | None = None) -> ContactSelection:
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
        :param revision: any string (at most 256 characters); changing it, with nothing else, changes the
            resource's properties, so CloudFormation sends an Update and the handler re-applies the
            declaration to every contact (what ``drift`` reports: "bump the revision and deploy").
            Default: none.
        """
        return _ContactFile(path, revision)

    @staticmethod
    def search(
        *,
        initiated_within: Duration | timedelta | None = None,
        initiated_after: datetime | None = None,
        initiated_before: datetime | None = None,
        channels: Sequence[Channel | str] | None = None,
        queue_ids: Sequence[str] | None = None,
        initiation_methods: Sequence[str] | None = None,
        max_contacts: int = SEARCH_MAX_CONTACTS_DEFAULT,
        revision: str | None = None,
        continuous: ContinuousStamping | None = None,
    ) -> ContactSelection:
        """The contacts Amazon Connect's SearchContacts returns when the deployment runs: those initiated
        within a window (``TimeRange.Type`` ``INITIATION_TIMESTAMP``) that match every filter given.

        The template holds the query, not the contacts. Each Create, Update and Delete runs it again;
        before writing anything the handler reads the number of matches (``TotalCount``) and fails at
        once when it is above ``max_contacts`` or cannot finish within the ServiceTimeout at
        ``max_requests_per_second``. On Update the contacts the old query matches now but the new one
        does not have left the selection; on Delete the deployed query is run again (under
        ``RemovalPolicy.DESTROY`` their values are cleared). A relative window moves only when
        CloudFormation runs the resource: change ``revision`` to run it again; contacts that fell out of
        the window keep their values.

        Give exactly one of ``initiated_within`` and the pair ``initiated_after`` + ``initiated_before``.

        :param initiated_within: a window that ends when the operation runs, at most 8 weeks (whole
            seconds). Default: none.
        :param initiated_after: the start of an absolute window (a datetime with a time zone), inclusive;
            at most two years back. Default: none.
        :param initiated_before: the end of an absolute window, exclusive; at most 8 weeks after
            ``initiated_after``. Default: none.
        :param channels: ``Channel`` values (or their names); a contact on any of them matches.
            Default: every channel.
        :param queue_ids: 1 to 100 queue IDs (SearchContacts' limit); a contact of any of them matches.
            Default: every queue (and contacts never queued).
        :param initiation_methods: Connect's initiation methods (``"INBOUND"``, ``"API"``, ...; checked
            against ``connect_contact_rules.SEARCH_INITIATION_METHODS``). Default: every method.
        :param max_contacts: a safety cap, 1 to 10,000 (Connect returns at most 10,000 results for one
            search): an operation whose search matches more fails before any write. Default: 10,000.
        :param revision: any string (at most 256 characters); changing it makes CloudFormation update
            the resource, which runs the search again (a relative window then ends at that moment) and
            re-applies the declaration to the contacts it finds. Default: none.
        :param continuous: ``ContinuousStamping(...)``: the declaration also applies to every contact created after
            the deployment that matches the channels, queues and initiation methods (from its contact event, and a
            scheduled sweep for lost events; docs/continuous-defaults.md). Needs ``initiated_within`` (the backfill
            window), filters and attributes known at synth, and ``RemovalPolicy.RETAIN``. Default: none (only the
            contacts the search returns when the deployment runs).
        """
        return _ContactSearch(
            initiated_within=initiated_within,
            initiated_after=initiated_after,
            initiated_before=initiated_before,
            channels=channels,
            queue_ids=queue_ids,
            initiation_methods=initiation_methods,
            max_contacts=max_contacts,
            revision=revision,
            continuous=continuous,
        )

    def __init__(self, revision: str | None = None) -> None:
        self._revision = revision

    def checked_revision(self) -> str:
        """The ``revision`` given to the factory ("" for none), checked: the one synth-time check of every kind
        of selection. A search carries it in its query (``SearchProp.REVISION``); IDs and a file as the
        resource's ``Prop.REVISION``: either way a new revision is a new property value, so an Update."""
        check_revision(self._revision or "")
        return self._revision or ""

    def _revision_property(self) -> dict[str, str]:
        revision = self.checked_revision()
        return {Prop.REVISION: revision} if revision else {}

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

    def continuous_stamping(self) -> tuple[ContinuousStamping, ContinuousQuery] | None:
        """The continuous stamping of a search selection and its checked filters (after ``bind``), else None."""
        return None


class _ContactIdList(ContactSelection):
    def __init__(self, contact_ids: Sequence[str], revision: str | None) -> None:
        super().__init__(revision)
        if isinstance(contact_ids, str):
            raise TypeError("ContactSelection.of_ids takes a list of contact IDs, not one string")
        self._contact_ids = list(contact_ids)  # a list token stays a one-element list token

    def bind(self, scope: Construct, policy: iam.Policy, instance: InstanceReference) -> dict[str, Any]:
        ids = self._contact_ids
        revision = self._revision_property()
        _grant_instance_probe(policy, instance)
        if Token.is_unresolved(ids):
            return {Prop.CONTACT_IDS: ids, **revision}  # a list token (e.g. a CommaDelimitedList parameter)
        check_inline_contact_count(len(ids), "contacts")
        if any(Token.is_unresolved(contact_id) for contact_id in ids):
            # Only the concrete IDs can be checked; duplicates may hide behind tokens.
            for position, contact_id in enumerate(ids):
                if not Token.is_unresolved(contact_id):
                    check_contact_id(contact_id, f"contacts[{position}]")
        else:
            check_contact_ids(ids, "contacts")
        return {Prop.CONTACT_IDS: list(ids), **revision}

    def known_contact_ids(self) -> list[str] | None:
        ids = self._contact_ids
        if Token.is_unresolved(ids) or any(Token.is_unresolved(contact_id) for contact_id in ids):
            return None
        return list(ids)


class _ContactFile(ContactSelection):
    def __init__(self, path: str | os.PathLike[str], revision: str | None) -> None:
        super().__init__(revision)
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"ContactSelection.from_file takes the path of a file, not a {type(path).__name__}")
        self._path = os.fspath(path)
        self._contact_ids: list[str] | None = None
        """The file's IDs, as bind checked them (the file is read once at synth)."""

    def known_contact_ids(self) -> list[str] | None:
        return None if self._contact_ids is None else list(self._contact_ids)

    def bind(self, scope: Construct, policy: iam.Policy, instance: InstanceReference) -> dict[str, Any]:
        path = self._path
        revision = self._revision_property()
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
            contact_ids = check_contact_file(_file_lines(absolute, path), file_format, source=path)
        except RuleViolation as violation:
            # The field is the construct's (contacts); the file and line lead the problem.
            raise RuleViolation("contacts", str(violation)) from None

        asset = s3_assets.Asset(scope, "ContactFile", path=absolute)  # one file: uploaded as is, not zipped
        # Exactly the one object, and only GetObject: Asset.grant_read would add s3:GetObject*,
        # s3:GetBucket* and s3:List* on the whole asset bucket.
        policy.add_statements(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[asset.bucket.arn_for_objects(asset.s3_object_key)])
        )
        _grant_instance_probe(policy, instance)
        self._contact_ids = contact_ids
        return {
            Prop.CONTACT_FILE: {
                "Bucket": asset.s3_bucket_name,
                "Key": asset.s3_object_key,
                "Format": file_format.value,
            },
            **revision,
        }


class _ContactSearch(ContactSelection):
    def __init__(
        self,
        *,
        initiated_within: Duration | timedelta | None,
        initiated_after: datetime | None,
        initiated_before: datetime | None,
        channels: Sequence[Channel | str] | None,
        queue_ids: Sequence[str] | None,
        initiation_methods: Sequence[str] | None,
        max_contacts: int,
        revision: str | None,
        continuous: ContinuousStamping | None = None,
    ) -> None:
        super().__init__(revision)
        for name, values in (
            ("channels", channels),
            ("queue_ids", queue_ids),
            ("initiation_methods", initiation_methods),
        ):
            if isinstance(values, str):
                raise TypeError(f"ContactSelection.search takes a list of {name}, not one string")
        self._within = initiated_within
        self._after = initiated_after
        self._before = initiated_before
        self._channels = None if channels is None else list(channels)
        self._queue_ids = None if queue_ids is None else queue_ids
        self._initiation_methods = None if initiation_methods is None else list(initiation_methods)
        self._max_contacts = max_contacts
        self._revision = revision
        self._continuous = continuous
        self._continuous_query: ContinuousQuery | None = None

    def continuous_stamping(self) -> tuple[ContinuousStamping, ContinuousQuery] | None:
        if self._continuous is None or self._continuous_query is None:
            return None
        return self._continuous, self._continuous_query

    def _bind_continuous(
        self, channels: tuple[str, ...], queue_ids: Sequence[str] | str, methods: tuple[str, ...]
    ) -> None:
        from .continuous_stamping import ContinuousQuery, ContinuousStamping  # noqa: PLC0415 (import cycle)

        if not isinstance(self._continuous, ContinuousStamping):
            raise RuleViolation(
                "continuous", f"is a {type(self._continuous).__name__}; give ContinuousStamping(...) or None"
            )
        if self._within is None:
            raise RuleViolation(
                "continuous",
                "needs initiated_within: an absolute window (initiated_after/initiated_before) ends, while continuous "
                "stamping applies the declaration to contacts initiated from now on",
            )
        if isinstance(queue_ids, str) or any(Token.is_unresolved(queue_id) for queue_id in queue_ids):
            raise RuleViolation(
                "queue_ids", "hold a token; continuous stamping matches contact events on queue ARNs known at synth"
            )
        self._continuous_query = ContinuousQuery(channels, tuple(queue_ids), methods)

    def bind(self, scope: Construct, policy: iam.Policy, instance: InstanceReference) -> dict[str, Any]:
        within, within_token = _window_duration(self._within)
        # A token duration is checked by the handler; a stand-in keeps the pair checks here.
        check_search_window(timedelta(seconds=1) if within_token else within, self._after, self._before)
        if self._after is not None:
            check_search_lookback(self._after, datetime.now(UTC))
        channels = () if self._channels is None else check_search_values(self._channels, SEARCH_CHANNELS, "channels")
        methods = (
            ()
            if self._initiation_methods is None
            else check_search_values(self._initiation_methods, SEARCH_INITIATION_METHODS, "initiation_methods")
        )
        queue_ids = _queue_ids(self._queue_ids)
        check_max_contacts(self._max_contacts)
        revision = self.checked_revision()
        query = SearchQuery(
            within=within,
            after=self._after,
            before=self._before,
            channels=channels,
            queue_ids=() if isinstance(queue_ids, str) else tuple(queue_ids),
            initiation_methods=methods,
            max_contacts=self._max_contacts,
            revision=revision,
        )
        properties = query.to_properties()
        if within_token:
            assert isinstance(self._within, Duration)
            properties[SearchProp.INITIATED_WITHIN_SECONDS] = Tokenization.stringify_number(self._within.to_seconds())
        if isinstance(queue_ids, str):  # a list token
            properties[SearchProp.QUEUE_IDS] = queue_ids
        if self._continuous is not None:
            self._bind_continuous(channels, queue_ids, methods)

        policy.add_statements(iam.PolicyStatement(actions=list(SEARCH_ACTIONS), resources=[instance.instance_arn]))
        return {Prop.CONTACT_SEARCH: properties}


def _window_duration(within: Duration | timedelta | None) -> tuple[timedelta | None, bool]:
    """(the window as a timedelta of whole seconds, whether it is a token)."""
    if within is None:
        return None, False
    if isinstance(within, timedelta):
        if within.total_seconds() != int(within.total_seconds()):
            raise RuleViolation("initiated_within", f"{within} is not a whole number of seconds")
        return within, False
    if not isinstance(within, Duration):
        raise RuleViolation("initiated_within", f"is {type_with_article(within)}; give an aws_cdk.Duration")
    if within.is_unresolved():
        return None, True
    try:
        seconds = within.to_seconds()
    except Exception:  # jsii raises a plain RuntimeError for a fraction of a second
        raise RuleViolation(
            "initiated_within", f"{within.to_human_string()} is not a whole number of seconds"
        ) from None
    return timedelta(seconds=seconds), False


def _queue_ids(queue_ids: Sequence[str] | None) -> Sequence[str] | str:
    """The checked queue IDs; a list token (a string) as it is; tokens inside the list are counted, not checked."""
    if queue_ids is None:
        return ()
    if Token.is_unresolved(queue_ids):
        return queue_ids  # type: ignore[return-value]
    ids = list(queue_ids)
    if any(Token.is_unresolved(queue_id) for queue_id in ids):
        if len(ids) > SEARCH_QUEUE_IDS_MAX:
            check_queue_ids(ids)  # raises: too many
        return ids
    return check_queue_ids(ids)


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
