"""ContactSelection: which Amazon Connect contacts a ContactDefaults stamps."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from aws_cdk import Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from connect_contact_rules import Prop, check_contact_id, check_contact_ids, check_inline_contact_count


class ContactSelection(abc.ABC):
    """Which contacts of the instance a ContactDefaults stamps.

    Create one with a static factory (``ContactSelection.of_ids``). A selection turns into
    properties of the custom resource when it is bound; a selection read from somewhere else
    (a file in S3, say) grants the handler what it needs to read it at that point.
    """

    @staticmethod
    def of_ids(contact_ids: Sequence[str]) -> ContactSelection:
        """The contacts with these IDs, listed in the template.

        :param contact_ids: 1 to ``connect_contact_rules.INLINE_CONTACT_IDS_MAX`` distinct contact IDs,
            each 1-256 characters. Tokens are passed through unchecked.
        """
        return _ContactIdList(contact_ids)

    @abc.abstractmethod
    def bind(self, scope: Construct, grantee: iam.IGrantable) -> dict[str, Any]:
        """Checks the selection, grants ``grantee`` what reading it takes, and returns the
        custom resource properties that carry it (keys from ``connect_contact_rules.Prop``).

        :param scope: the ContactDefaults the selection is used by.
        :param grantee: the handler function that will read the selection.
        :raises connect_contact_rules.RuleViolation: the selection breaks a rule.
        """


class _ContactIdList(ContactSelection):
    def __init__(self, contact_ids: Sequence[str]) -> None:
        if isinstance(contact_ids, str):
            raise TypeError("ContactSelection.of_ids takes a list of contact IDs, not one string")
        self._contact_ids = list(contact_ids)  # a list token stays a one-element list token

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> dict[str, Any]:
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
