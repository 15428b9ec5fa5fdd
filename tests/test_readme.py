"""The README's consumer example for `connect_contact_defaults.testing` runs as written: the code block is
taken from README.md, written to a temporary directory and run with pytest there, as a consumer would."""

from __future__ import annotations

from pathlib import Path

from doc_blocks import code_blocks
from project_shell import run_consumer_tests

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HEADER = "# test_contact_defaults_stack.py\n"


def readme_example() -> str:
    blocks = code_blocks(ROOT / "README.md", "python")
    (example,) = [block for block in blocks if block.startswith(EXAMPLE_HEADER)]
    return example


def test_the_readme_testing_example_passes_as_written(tmp_path):
    (tmp_path / "test_contact_defaults_stack.py").write_text(readme_example())
    # A consumer's shell: the CDK CLI on PATH; the package imported as installed (make deps: editable).
    assert "1 passed" in run_consumer_tests(tmp_path, tmp_path)


def test_the_example_is_found_and_is_a_whole_test_file():
    example = readme_example()
    assert "def test_" in example and "synthesized_resource_properties" in example and "LambdaRunner" in example
