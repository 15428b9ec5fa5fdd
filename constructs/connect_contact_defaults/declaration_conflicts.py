"""Synth-time warnings for ContactDefaults of one stack that declare one key differently on one instance.

Two ContactDefaults that set the same attribute key on the same contacts with different values (or one
in FILL_MISSING mode and the other in OVERWRITE) leave those contacts with whichever value the order of
the deployments favours. The construct sees both declarations at synth, so it says so there, as a CDK
warning (``cdk synth`` shows it; ``cdk synth --strict`` fails on it; ``Annotations.of(scope)
.acknowledge_warning(id, reason)`` on the later ContactDefaults accepts it).

Only what is known at synth is compared: a value or a whole attribute map that is a token is taken to
differ from nothing, and two selections are taken to overlap unless both are inline lists of concrete
IDs with no ID in common (a contact file or any other selection may hold any contact).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, Stack, Token
from constructs import Construct, IConstruct

from connect_contact_rules import Prop

CONFLICTING_VALUE = "cdk-connect-contact-defaults:conflictingValue"
"""Warning ID: the same key with different values on the same instance."""
CONFLICTING_MODE = "cdk-connect-contact-defaults:conflictingMode"
"""Warning ID: the same key in different modes (FILL_MISSING and OVERWRITE) on the same instance."""


@dataclass(frozen=True)
class Declaration:
    """What one ContactDefaults declares, as far as synth can tell."""

    path: str
    instance: str
    """The resolved instance ID and Region, as JSON: equal for the same instance (tokens included)."""
    attributes: Mapping[str, Any] | None
    """Key to resolved value; None when the whole map is a token."""
    mode: str
    contact_ids: frozenset[str] | None
    """The inline contact IDs; None when they are not all known at synth."""

    @classmethod
    def of(cls, construct: IConstruct, properties: Mapping[str, Any]) -> Declaration:
        stack = Stack.of(construct)
        instance = json.dumps(stack.resolve([properties[Prop.INSTANCE_ID], properties[Prop.REGION]]), sort_keys=True)
        attributes = properties[Prop.ATTRIBUTES]
        resolved = None if Token.is_unresolved(attributes) else stack.resolve(dict(attributes))
        ids = properties.get(Prop.CONTACT_IDS)
        known_ids = (
            frozenset(ids)
            if isinstance(ids, list) and not Token.is_unresolved(ids) and not any(map(Token.is_unresolved, ids))
            else None
        )
        return cls(construct.node.path, instance, resolved, str(properties[Prop.MODE]), known_ids)

    def may_share_contacts_with(self, other: Declaration) -> bool:
        if self.contact_ids is None or other.contact_ids is None:
            return True
        return not self.contact_ids.isdisjoint(other.contact_ids)


def _concrete(value: Any) -> bool:
    """A resolved value known at synth: a plain string (a token resolves to an intrinsic such as {"Ref": ...})."""
    return isinstance(value, str)


def _keys(keys: list[str]) -> str:
    shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    return f"{'key' if len(keys) == 1 else 'keys'} {shown}"


ACKNOWLEDGE_PREFIX = "Annotation::"
"""What the CDK CLI puts before a warning's ID when it prints it ("Acknowledge with 'Annotation::<id>'")."""


def _warn(annotations: Annotations, warning_id: str, message: str) -> None:
    """Adds the warning so that ``acknowledge_warning`` accepts its ID both bare and as the CLI prints it.

    ``Annotations.acknowledge_warning(id)`` removes a warning whose text holds ``[ack: <id>]``;
    ``add_warning_v2`` appends only the bare ID's tag, so the printed form's tag is added to the text as
    well (the CLI strips every ``[ack: ...]`` tag from what it shows).
    """
    annotations.add_warning_v2(warning_id, f"{message} [ack: {ACKNOWLEDGE_PREFIX}{warning_id}]")


class DeclarationConflicts(Construct):
    """The declarations of a stack's ContactDefaults so far; warns on each one that conflicts with an earlier one.

    Use ``DeclarationConflicts.of(scope).declare(contact_defaults, properties)``: one instance per stack.
    It adds nothing to the template.
    """

    SINGLETON_ID = "ConnectContactDefaultsDeclarations"

    @classmethod
    def of(cls, scope: IConstruct) -> DeclarationConflicts:
        """The one instance under scope's stack (created on first use)."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.SINGLETON_ID)
        return existing if isinstance(existing, cls) else cls(stack, cls.SINGLETON_ID)

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._declarations: list[Declaration] = []

    def declare(self, contact_defaults: IConstruct, properties: Mapping[str, Any]) -> None:
        """Records a ContactDefaults' custom resource properties, warning on it where it conflicts with an earlier one.

        :param contact_defaults: the ContactDefaults (the warnings are attached to it).
        :param properties: its custom resource properties (keys from ``connect_contact_rules.Prop``).
        """
        declaration = Declaration.of(contact_defaults, properties)
        annotations = Annotations.of(contact_defaults)
        for earlier in self._declarations:
            if earlier.instance != declaration.instance or not declaration.may_share_contacts_with(earlier):
                continue
            if declaration.attributes is None or earlier.attributes is None:
                continue
            shared = sorted(set(declaration.attributes) & set(earlier.attributes))
            if not shared:
                continue
            if declaration.mode != earlier.mode:
                _warn(
                    annotations,
                    CONFLICTING_MODE,
                    f"declares {_keys(shared)} in {declaration.mode} mode, and {earlier.path} declares "
                    f"{'it' if len(shared) == 1 else 'them'} in {earlier.mode} mode on the same instance: on the "
                    "contacts both select, the value depends on the order of the deployments. Use one mode for a "
                    "key, or select different contacts.",
                )
            differing = [
                key
                for key in shared
                if _concrete(declaration.attributes[key])
                and _concrete(earlier.attributes[key])
                and declaration.attributes[key] != earlier.attributes[key]
            ]
            if differing:
                _warn(
                    annotations,
                    CONFLICTING_VALUE,
                    f"declares {_keys(differing)} with a different value than {earlier.path} on the same "
                    "instance: the contacts both select end with whichever value the order of the deployments "
                    "favours. Declare one value for a key, or select different contacts.",
                )
        self._declarations.append(declaration)
