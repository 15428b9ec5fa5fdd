"""`make plan-demo` (tools/plan_demo.py) runs, and each plan it prints counts what the deployment after it did."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLAN_TOTALS = re.compile(r"^Plan: .*contacts: (\d+) to write, (\d+) unchanged, (\d+) missing")
DEPLOYED = re.compile(r"^== deployed \((.+)\): SUCCESS  Data=(\{.*\})$")


def test_every_plan_counts_what_its_deployment_did(project_shell_env):
    completed = subprocess.run(
        [sys.executable, "tools/plan_demo.py"],
        cwd=ROOT,
        env=project_shell_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, f"{completed.stdout}\n{completed.stderr}"
    compared: list[tuple[str, tuple[int, int, int]]] = []
    planned: tuple[int, int, int] | None = None
    deployed = [0, 0, 0]
    titles: list[str] = []
    for line in [*completed.stdout.splitlines(), "$ end"]:
        if line.startswith("$ ") and planned is not None and titles:
            assert tuple(deployed) == planned, f"plan {planned} but {', '.join(titles)} did {deployed}"
            compared.append((", ".join(titles), planned))
            planned, deployed, titles = None, [0, 0, 0], []
        if line.startswith("$ "):
            planned, deployed, titles = None, [0, 0, 0], []
        elif match := PLAN_TOTALS.match(line):
            planned = (int(match[1]), int(match[2]), int(match[3]))
        elif match := DEPLOYED.match(line):
            data = json.loads(match[2])
            titles.append(match[1])
            for position, key in enumerate(("Updated", "Unchanged", "Missing")):
                deployed[position] += int(data[key])
    # the Create of the three resources (the searches run read-only by the plan), then the Update of the listed one
    assert compared == [("Create, Create (search), Create (continuous search)", (7, 0, 0)), ("Update", (2, 2, 0))]
    assert "Drift: 0 of 3 ContactDefaults drifted" in completed.stdout
    assert completed.stdout.rstrip().endswith("(exit code 2)")
    assert "Drift: 1 of 3 ContactDefaults drifted" in completed.stdout
