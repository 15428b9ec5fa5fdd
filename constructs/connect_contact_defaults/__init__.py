"""AWS CDK construct that stamps Amazon Connect contacts with default contact attributes and a contact expiry.

from connect_contact_defaults import ContactDefaults, ContactSelection, Channel, AttributeMode, MissingContactPolicy

The construct's names are loaded on first use, so that the command-line tool and the testing kit
(``connect_contact_defaults.testing``) start without loading aws-cdk-lib and its Node.js kernel.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connect_contact_rules import RESOURCE_TYPE, AttributeMode, Channel, MissingContactPolicy

    from .contact_defaults import ContactDefaults
    from .contact_selection import ContactSelection
    from .continuous_stamping import ContinuousStamping
    from .validation_error import ContactDefaultsValidationError

_EXPORTS = {
    "AttributeMode": "connect_contact_rules",
    "Channel": "connect_contact_rules",
    "MissingContactPolicy": "connect_contact_rules",
    "RESOURCE_TYPE": "connect_contact_rules",
    "ContactDefaults": "connect_contact_defaults.contact_defaults",
    "ContactSelection": "connect_contact_defaults.contact_selection",
    "ContinuousStamping": "connect_contact_defaults.continuous_stamping",
    "ContactDefaultsValidationError": "connect_contact_defaults.validation_error",
}


def _check_rules_module() -> None:
    """The wheel installs the shared rules as the top-level module ``connect_contact_rules`` (the Lambda asset
    imports it so), next to this package. Another module of that name earlier on sys.path would shadow it:
    fail at import, naming both files, rather than run with someone else's rules."""
    spec = importlib.util.find_spec("connect_contact_rules")
    expected = Path(__file__).resolve().parent.parent / "connect_contact_rules.py"
    found = Path(spec.origin).resolve() if spec is not None and spec.origin else None
    if found != expected:
        raise ImportError(
            f"connect_contact_defaults needs its own connect_contact_rules module ({expected}), but Python finds "
            f"{found or 'none'}: rename or remove the other module of that name, or take it off sys.path"
        )


_check_rules_module()


def _version() -> str:
    """The installed distribution's version; from a checkout that is not installed (``make demo`` runs the
    source tree), pyproject.toml's beside it. Either way pyproject.toml's ``version`` is the one source."""
    try:
        return importlib.metadata.version("cdk-connect-contact-defaults")
    except importlib.metadata.PackageNotFoundError:
        import tomllib  # noqa: PLC0415 (only for an uninstalled checkout)

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        return tomllib.loads(pyproject.read_text())["project"]["version"] if pyproject.is_file() else "0+unknown"


__version__ = _version()
"""pyproject.toml's ``version``, its one source (also ``--version``)."""

__all__ = [
    "RESOURCE_TYPE",
    "AttributeMode",
    "Channel",
    "ContactDefaults",
    "ContactDefaultsValidationError",
    "ContactSelection",
    "ContinuousStamping",
    "MissingContactPolicy",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
