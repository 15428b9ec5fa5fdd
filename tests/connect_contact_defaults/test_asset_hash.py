"""The Lambda asset hash is deterministic: the same across synths and checkout directories, and it
changes when the handler code changes (so a deploy ships handler changes and nothing else)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from contact_defaults_testing import HANDLER_DEPS_CACHE, copy_checkout, lambda_asset_key, read_json, tool_env

SYNTH_SCRIPT = """
import json, sys
import aws_cdk as cdk
import connect_contact_defaults
from connect_contact_defaults import ContactDefaults, ContactSelection

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "AssetHashStack")
ContactDefaults(stack, "Defaults", instance_id="i-1", contacts=ContactSelection.of_ids(["c1"]), attributes={"a": "b"})
app.synth()
print(json.dumps({"module": connect_contact_defaults.__file__}))
"""


def start(args: list[str], checkout: Path) -> subprocess.Popen[str]:
    env = tool_env(PYTHONPATH=str(checkout / "constructs"), HANDLER_DEPS_CACHE=str(HANDLER_DEPS_CACHE))
    return subprocess.Popen(
        [sys.executable, *args], cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> str:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, f"{process.args} failed:\n{stdout}\n{stderr}"
    return stdout


def build_assets(*checkouts: Path) -> None:
    for process in [start(["tools/handler_asset.py"], checkout) for checkout in checkouts]:
        finish(process)


def synth_asset_keys(runs: list[tuple[Path, Path]], script: Path) -> list[str]:
    """Synthesizes the small stack for each (checkout, outdir) at once; returns each Lambda's S3Key."""
    processes = [start([str(script), str(outdir)], checkout) for checkout, outdir in runs]
    keys = []
    for (checkout, outdir), process in zip(runs, processes, strict=True):
        module = Path(json.loads(finish(process).splitlines()[-1])["module"])
        assert module.is_relative_to(checkout), f"synthesized with {module}, not the copy in {checkout}"
        keys.append(lambda_asset_key(read_json(outdir / "AssetHashStack.template.json")))
    return keys


def test_asset_hash_is_deterministic_and_follows_the_handler(tmp_path):
    first, second = copy_checkout(tmp_path / "checkout-a"), copy_checkout(tmp_path / "checkout-b")
    script = tmp_path / "synth.py"
    script.write_text(SYNTH_SCRIPT)
    build_assets(first, second)

    key_a1, key_a2, key_b = synth_asset_keys(
        [(first, tmp_path / "out-a1"), (first, tmp_path / "out-a2"), (second, tmp_path / "out-b")], script
    )
    assert key_a1 == key_a2, "two synths of one checkout differ"
    assert key_a1 == key_b, "two checkout directories differ"

    with (second / "lambda" / "index.py").open("a") as handler:
        handler.write("\n# a change to the handler\n")
    build_assets(second)
    (key_changed,) = synth_asset_keys([(second, tmp_path / "out-b2")], script)
    assert key_changed != key_a1, "a handler change left the asset hash unchanged"
