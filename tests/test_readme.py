"""The README's consumer example for `connect_contact_defaults.testing` runs as written: the code block is
taken from README.md, written to a temporary directory and run with pytest there, as a consumer would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from doc_blocks import code_blocks

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HEADER = "# test_contact_defaults_stack.py\n"


def readme_example() -> str:
    blocks = code_blocks(ROOT / "README.md", "python")
    (example,) = [block for block in blocks if block.startswith(EXAMPLE_HEADER)]
    return example


def test_the_readme_testing_example_passes_as_written(tmp_path, project_shell_env):
    (tmp_path / "test_contact_defaults_stack.py").write_text(readme_example())
    # A consumer's shell: the CDK CLI on PATH; the package imported as installed (make deps: editable).
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        env=project_shell_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, f"{completed.stdout}\n{completed.stderr}"
    assert "1 passed" in completed.stdout.splitlines()[-1]


def test_the_example_is_found_and_is_a_whole_test_file():
    example = readme_example()
    assert "def test_" in example and "synthesized_resource_properties" in example and "LambdaRunner" in example
