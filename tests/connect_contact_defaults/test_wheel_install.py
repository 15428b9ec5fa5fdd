"""Packaging: the wheel carries the Lambda asset, and a consumer app synthesizes from a fresh venv."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from contact_defaults_testing import HANDLER_DEPS_CACHE, NODE_BIN, copy_checkout, lambda_asset_key, run_tool, tool_env

CONSUMER_APP = """
import json
import aws_cdk as cdk
import connect_contact_defaults
from connect_contact_defaults import ContactDefaults, ContactSelection

app = cdk.App(outdir="cdk.out")
stack = cdk.Stack(app, "ConsumerStack")
ContactDefaults(
    stack, "Defaults",
    instance_id="a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    contacts=ContactSelection.of_ids(["11111111-2222-3333-4444-123456789012"]),
    attributes={"greetingPlayed": "false"},
)
app.synth()
print(json.dumps({"module": connect_contact_defaults.__file__}))
"""


def test_wheel_installs_and_synthesizes_in_a_fresh_venv(tmp_path):
    # Built from a copy of the working tree, so the build writes nothing into the checkout
    # (build/, *.egg-info) while others work in it; the asset dependencies come from the cache.
    source = copy_checkout(tmp_path / "source")
    build_env = tool_env(HANDLER_DEPS_CACHE=str(HANDLER_DEPS_CACHE))
    dist = tmp_path / "dist"
    run_tool(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", dist, source],
        cwd=tmp_path,
        env=build_env,
    )
    (wheel,) = dist.glob("cdk_connect_contact_defaults-*.whl")

    consumer = tmp_path / "consumer"
    consumer.mkdir()
    venv = consumer / "venv"
    run_tool([sys.executable, "-m", "venv", venv], cwd=consumer)
    python = venv / "bin" / "python"
    run_tool([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel], cwd=consumer)

    (consumer / "consumer_app.py").write_text(CONSUMER_APP)
    env = tool_env()
    env.pop("PYTHONPATH", None)
    env["PATH"] = os.pathsep.join([str(NODE_BIN), str(venv / "bin"), os.environ.get("PATH", "")])
    result = run_tool([python, "consumer_app.py"], cwd=consumer, env=env)

    module = Path(json.loads(result.stdout.splitlines()[-1])["module"])
    assert module.is_relative_to(venv), f"imported {module}, not the installed wheel"
    out = consumer / "cdk.out"
    template = json.loads((out / "ConsumerStack.template.json").read_text())
    asset_hash = lambda_asset_key(template).removesuffix(".zip")
    manifest = json.loads((out / "ConsumerStack.assets.json").read_text())
    asset = out / manifest["files"][asset_hash]["source"]["path"]
    assert (asset / "index.py").is_file()
    assert (asset / "connect_contact_rules.py").is_file()
    assert (asset / "crhelper").is_dir()
    assert not list(asset.rglob("__pycache__")), "byte code would make the asset hash machine-dependent"

    # The plan command is installed with it, and runs the handler's own contact_reconciler from the wheel
    # (mapped from lambda/, not copied into the package source).
    help_text = run_tool([venv / "bin" / "connect-contact-defaults", "plan", "--help"], cwd=consumer, env=env).stdout
    assert "--deployed-template" in help_text
    probe = "import contact_reconciler.reconcile as r, connect_contact_defaults.plan.command as c; print(r.__file__)"
    reconciler = Path(run_tool([python, "-c", probe], cwd=consumer, env=env).stdout.strip())
    assert reconciler.is_relative_to(venv) and reconciler.name == "reconcile.py"
