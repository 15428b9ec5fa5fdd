"""Fixtures of the ContactDefaults construct tests; helpers live in contact_defaults_testing
(imported first: it puts the pinned Node 22 on PATH before jsii starts)."""

from __future__ import annotations

import pytest
from contact_defaults_testing import build_multi_instance_app, cdk


@pytest.fixture
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "TestStack")


@pytest.fixture
def multi_instance_app() -> tuple[cdk.App, cdk.Stack]:
    return build_multi_instance_app()
