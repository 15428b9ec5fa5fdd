"""connect_contact_rules is a top-level module (the Lambda asset imports it so): another module of that
name earlier on sys.path fails the import of connect_contact_defaults with a message naming both files."""

from __future__ import annotations

import os
import subprocess
import sys


def import_with_pythonpath(pythonpath: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=pythonpath)
    return subprocess.run(
        [sys.executable, "-c", "import connect_contact_defaults"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_foreign_connect_contact_rules_module_is_named_at_import(tmp_path):
    (tmp_path / "connect_contact_rules.py").write_text("RESOURCE_TYPE = 'someone else'\n")
    completed = import_with_pythonpath(str(tmp_path))
    assert completed.returncode != 0
    assert f"Python finds {tmp_path / 'connect_contact_rules.py'}" in completed.stderr
    assert "needs its own connect_contact_rules module" in completed.stderr


def test_the_installed_package_imports_with_its_own_rules_module(tmp_path):
    completed = import_with_pythonpath(str(tmp_path))
    assert completed.returncode == 0, completed.stderr
