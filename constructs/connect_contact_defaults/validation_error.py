"""The exception ContactDefaults raises when a prop breaks a rule at synth time."""

from __future__ import annotations

from connect_contact_rules import RuleViolation


class ContactDefaultsValidationError(ValueError):
    """A ContactDefaults prop breaks one of the rules of connect_contact_rules.

    The message starts with the construct path, then names the field, the bad value (for an
    attribute, its key, never its value) and the limit: ``Stack/Defaults: contacts[3]: ...``.
    """

    def __init__(self, path: str, violation: RuleViolation) -> None:
        super().__init__(f"{path}: {violation}")
        self.path = path
        self.field = violation.field
        self.problem = violation.problem
