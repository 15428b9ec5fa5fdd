"""cfn-lint on synthesized templates: no error, and no warning but W3005 (known CDK DependsOn noise)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from contact_defaults_testing import (
    CONTACT_IDS,
    VENV_BIN,
    build_file_app,
    build_multi_instance_app,
    cdk,
    tool_env,
    write_contact_file,
)

import app as example

ALLOWED = {"W3005"}
"""W3005: "Obsolete DependsOn": CDK makes the function depend on its role and the role's policy."""


def lint(template: Path) -> list[str]:
    """The rule IDs cfn-lint reports (exit code 0 = clean, 2 = errors, 4 = warnings, 8 = informational)."""
    completed = subprocess.run(
        [str(VENV_BIN / "cfn-lint"), "--format", "parseable", "--", str(template)],
        capture_output=True,
        text=True,
        env=tool_env(),
        timeout=120,
        check=False,
    )
    # Any other bit means cfn-lint itself failed (bad usage, unreadable template).
    assert completed.returncode & ~0b1110 == 0, f"cfn-lint failed:\n{completed.stdout}\n{completed.stderr}"
    # parseable: <file>:<line>:<column>:<end line>:<end column>:<rule>:<message>
    return [line.split(":")[5] for line in completed.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("which", ["example", "multi-instance", "contact-file", "sharded-contact-file"])
def test_templates_lint_clean(which, tmp_path):
    out = tmp_path / "cdk.out"
    if which == "example":
        app = example.build_app(outdir=str(out))
        name = example.STACK_NAME
    elif which == "multi-instance":
        app, stack = build_multi_instance_app(outdir=str(out))
        name = stack.stack_name
    elif which == "contact-file":
        contact_file = write_contact_file(tmp_path / "contacts.csv", CONTACT_IDS, csv_header="ContactId")
        app, stack = build_file_app(contact_file, outdir=str(out))
        name = stack.stack_name
    else:  # chained shards, each with its ServiceTimeout
        contact_file = write_contact_file(tmp_path / "contacts.txt", [f"contact-{n}" for n in range(600)])
        app, stack = build_file_app(
            contact_file, outdir=str(out), max_requests_per_second=10, service_timeout=cdk.Duration.seconds(20)
        )
        assert len(stack.node.find_child("Greeting").custom_resources) > 1
        name = stack.stack_name
    app.synth()
    template = out / f"{name}.template.json"
    rules = lint(template)
    assert not [rule for rule in rules if rule.startswith("E")], rules
    assert set(rules) <= ALLOWED, rules


def test_lint_catches_an_error(tmp_path):
    """The check can fail: a template with a broken property is reported with an E rule."""
    broken = tmp_path / "broken.template.json"
    broken.write_text('{"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": 3}}}}')
    assert any(rule.startswith("E") for rule in lint(broken))
