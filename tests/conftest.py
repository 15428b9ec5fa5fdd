"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_shell import shell_env

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project_shell_env() -> dict[str, str]:
    """shell_env() as a fixture."""
    return shell_env()
