"""One version: pyproject.toml's, which `connect-contact-defaults --version`, `__version__` and the CHANGELOG share."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import connect_contact_defaults

ROOT = Path(__file__).resolve().parents[2]
PROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_dunder_version_is_the_project_version():
    assert connect_contact_defaults.__version__ == PROJECT_VERSION


def test_the_command_prints_the_project_version():
    completed = subprocess.run(
        [sys.executable, "-m", "connect_contact_defaults", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout.strip() == f"connect-contact-defaults {PROJECT_VERSION}"


def test_the_changelog_has_a_section_for_the_project_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(PROJECT_VERSION)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.MULTILINE)
    assert "## [Unreleased]" in changelog and "Semantic Versioning" in changelog
