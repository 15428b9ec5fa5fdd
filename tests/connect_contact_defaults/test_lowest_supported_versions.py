"""The lowest aws-cdk-lib and constructs in pyproject.toml work: the synth tests run against them.

constraints-lowest.txt pins those versions (and everything else the synth tests need). Its venv is cached
under .build/lowest-<hash of the constraints and the interpreter>/, so only the first run installs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from contact_defaults_testing import NODE_BIN, ROOT, run_tool

CONSTRAINTS = ROOT / "constraints-lowest.txt"
SYNTH_TESTS = [
    "tests/connect_contact_defaults/test_contact_defaults.py",
    "tests/connect_contact_defaults/test_contact_defaults_function.py",
    "tests/connect_contact_defaults/test_contact_selection.py",
    "tests/connect_contact_defaults/test_contact_id_separators.py",
    "tests/connect_contact_defaults/test_declaration_conflicts.py",
    "tests/connect_contact_defaults/test_nag_acknowledgment.py",
]
NEWER_THAN_THE_LIBRARY = [
    # The asset manifest's displayName is newer than 2.174: a detail of CDK's output, not of this library.
    "tests/connect_contact_defaults/test_contact_selection.py::test_the_file_is_staged_as_a_file_asset_with_its_bytes",
]
TOP_LEVEL = ["aws-cdk-lib", "constructs", "cdk-nag", "pytest", "boto3", "botocore", "rich"]


def pinned(name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==(\S+)$", CONSTRAINTS.read_text(), re.MULTILINE)
    assert match, f"{CONSTRAINTS.name} pins no {name}"
    return match.group(1)


def lowest_venv() -> Path:
    """The venv of constraints-lowest.txt, installed once per content and interpreter."""
    key = hashlib.sha256(CONSTRAINTS.read_bytes() + sys.version.encode()).hexdigest()[:16]
    venv = ROOT / ".build" / f"lowest-{key}"
    if (venv / ".installed").is_file():
        return venv
    shutil.rmtree(venv, ignore_errors=True)  # an install cut short
    run_tool([sys.executable, "-m", "venv", venv], cwd=ROOT)
    # Compiled at install (pip's default): aws-cdk-lib 2.174 imports every submodule, uncompiled a minute a process.
    run_tool(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", CONSTRAINTS, *TOP_LEVEL],
        cwd=ROOT,
        timeout=900,
    )  # fmt: skip
    (venv / ".installed").touch()
    return venv


def test_pyproject_floors_are_the_pinned_lowest_versions():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floors = dict(re.match(r"([\w-]+)>=([\w.]+)", dependency).groups() for dependency in dependencies)
    assert (floors["aws-cdk-lib"], floors["constructs"]) == (pinned("aws-cdk-lib"), pinned("constructs"))


def test_the_synth_tests_pass_with_the_lowest_versions():
    venv = lowest_venv()
    python = venv / "bin" / "python"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PATH"] = os.pathsep.join([str(NODE_BIN), str(venv / "bin"), env.get("PATH", "")])
    versions = run_tool(
        [python, "-c", "from importlib.metadata import version; print(version('aws-cdk-lib'), version('constructs'))"],
        cwd=ROOT,
        env=env,
    ).stdout.split()
    assert versions == [pinned("aws-cdk-lib"), pinned("constructs")]
    deselect = [arg for test in NEWER_THAN_THE_LIBRARY for arg in ("--deselect", test)]
    completed = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *deselect, *SYNTH_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    assert completed.returncode == 0, f"with aws-cdk-lib {versions[0]}:\n{completed.stdout[-6000:]}\n{completed.stderr}"
    assert " passed" in summary and "skipped" not in summary, summary
