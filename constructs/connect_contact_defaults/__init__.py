"""AWS CDK construct that stamps Amazon Connect contacts with default contact attributes and a contact expiry.

from connect_contact_defaults import ContactDefaults, ContactSelection, AttributeMode, MissingContactPolicy
"""

from connect_contact_rules import AttributeMode, MissingContactPolicy

from .contact_defaults import RESOURCE_TYPE, ContactDefaults
from .contact_selection import ContactSelection
from .validation_error import ContactDefaultsValidationError

__all__ = [
    "RESOURCE_TYPE",
    "AttributeMode",
    "ContactDefaults",
    "ContactDefaultsValidationError",
    "ContactSelection",
    "MissingContactPolicy",
]
