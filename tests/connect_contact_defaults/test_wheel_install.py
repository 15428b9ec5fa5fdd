"""Packaging, as a consumer does it: from a clean clone, build with isolation and no pre-filled cache
of ours (`python -m build`, `pip wheel .`, `pip wheel git+file://...`, `pip install <sdist>`), install
into a fresh venv outside the repository and `cdk synth` an app there with the pinned CDK CLI; and the README's
install blocks (git URL, sdist), word for word, in venvs made by `python3.11 -m venv`.

Every build unpacks the Lambda's dependencies into its own empty HANDLER_DEPS_CACHE (pip's own HTTP
cache may serve the downloads) and every build yields the same asset tree.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

from contact_defaults_testing import NODE_BIN, ROOT, copy_checkout, lambda_asset_key, run_tool, tool_env

from tools.handler_asset import tree_hash

CONSUMER_APP = """
import json
import aws_cdk as cdk
import connect_contact_defaults
from connect_contact_defaults import ContactDefaults, ContactSelection

app = cdk.App()
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
SDIST_MUST_HOLD = [
    "setup.py",
    "pyproject.toml",
    "MANIFEST.in",
    "README.md",
    "tools/handler_asset.py",
    "lambda/index.py",
    "lambda/requirements.txt",
    "lambda/contact_reconciler/__init__.py",
    "constructs/connect_contact_rules.py",
    "constructs/connect_contact_defaults/__init__.py",
    "constructs/connect_contact_defaults/testing/connect_emulator/__main__.py",
]


def clean_clone(destination: Path) -> Path:
    """A git repository holding what a fresh clone of this one holds (the working tree's tracked and
    untracked-but-not-ignored files, so uncommitted work is tested too), and nothing built."""
    source = copy_checkout(destination / "source")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"]
    for command in (["init", "--quiet"], ["add", "--all"], ["commit", "--quiet", "-m", "snapshot"]):
        run_tool([*git, *command], cwd=source)
    clone = destination / "clone"
    run_tool(["git", "clone", "--quiet", source.as_uri(), clone], cwd=destination)
    return clone


def isolated_env(cache: Path) -> dict[str, str]:
    """A consumer's shell: no PYTHONPATH into this checkout, an empty dependency cache of the asset builder."""
    env = tool_env(HANDLER_DEPS_CACHE=str(cache))
    env.pop("PYTHONPATH", None)
    return env


def start(args: list[object], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(arg) for arg in args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> str:
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, f"{process.args} failed ({process.returncode}):\n{stdout}\n{stderr}"
    return stdout


def wheel_asset_hash(wheel: Path, unpack_to: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith("connect_contact_defaults/handler_asset/")]
        assert "connect_contact_defaults/handler_asset/index.py" in members, f"{wheel.name} carries no Lambda asset"
        archive.extractall(unpack_to, members)
    return tree_hash(unpack_to / "connect_contact_defaults" / "handler_asset", modes=False)


def synth_consumer_app(
    consumer: Path, python: Path, extra_path: list[Path], pythonpath: Path | None = None
) -> tuple[Path, dict[str, object]]:
    """`cdk synth` with the pinned CLI in the consumer's directory; returns the imported module and template."""
    consumer.mkdir(exist_ok=True)
    (consumer / "app.py").write_text(CONSUMER_APP)
    (consumer / "cdk.json").write_text(json.dumps({"app": f"{python} app.py"}))
    env = tool_env()
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    env["PATH"] = os.pathsep.join([str(NODE_BIN), *map(str, extra_path), os.environ.get("PATH", "")])
    run_tool([NODE_BIN / "cdk", "synth", "--quiet"], cwd=consumer, env=env)
    result = run_tool([python, "app.py"], cwd=consumer, env=env)  # the module the app imported
    module = Path(json.loads(result.stdout.splitlines()[-1])["module"])
    template = json.loads((consumer / "cdk.out" / "ConsumerStack.template.json").read_text())
    return module, template


def test_every_install_route_builds_in_isolation_and_synthesizes_in_a_fresh_venv(tmp_path):
    clone = clean_clone(tmp_path / "repo")
    second_clone = copy_checkout(tmp_path / "path-install")  # `pip wheel .` builds in the tree: its own copy
    python = sys.executable

    # Three isolated builds at once, each from its own directory and with its own empty cache.
    builds = {
        "python -m build": start(
            [python, "-m", "build", "--outdir", tmp_path / "dist-build", clone],
            cwd=tmp_path,
            env=isolated_env(tmp_path / "cache-build"),
        ),
        "pip wheel git+file://": start(
            [
                python,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "-w",
                tmp_path / "dist-git",
                f"git+{clone.as_uri()}",
            ],
            cwd=tmp_path,
            env=isolated_env(tmp_path / "cache-git"),
        ),
        "pip wheel .": start(
            [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path / "dist-path", "."],
            cwd=second_clone,
            env=isolated_env(tmp_path / "cache-path"),
        ),
    }
    for process in builds.values():
        finish(process)

    (sdist,) = (tmp_path / "dist-build").glob("cdk_connect_contact_defaults-*.tar.gz")
    with tarfile.open(sdist) as archive:
        held = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert not [name for name in SDIST_MUST_HOLD if name not in held], f"the sdist lacks what the build needs: {held}"
    assert not [name for name in held if "handler_asset/" in name or name.startswith(".build")], "built output"

    wheels = {
        route: next((tmp_path / folder).glob("cdk_connect_contact_defaults-*.whl"))
        for route, folder in [("python -m build", "dist-build"), ("pip wheel git+file://", "dist-git"),
                              ("pip wheel .", "dist-path")]
    }  # fmt: skip
    hashes = {
        route: wheel_asset_hash(wheel, tmp_path / "unpacked" / wheel.parent.name) for route, wheel in wheels.items()
    }

    # A consumer: a fresh venv outside the repository, `pip install <the sdist>` (a fourth isolated build).
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    venv = consumer / "venv"
    run_tool([python, "-m", "venv", venv], cwd=consumer)
    consumer_python = venv / "bin" / "python"
    run_tool(
        [consumer_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", sdist],
        cwd=consumer,
        env=isolated_env(tmp_path / "cache-sdist"),
        timeout=600,
    )
    module, template = synth_consumer_app(consumer, consumer_python, [venv / "bin"])
    assert module.is_relative_to(venv), f"imported {module}, not the installed package"
    # A consumer's pip may compile what it installs; CDK leaves __pycache__ out of the asset.
    installed_asset = shutil.copytree(
        module.parent / "handler_asset", tmp_path / "installed", ignore=shutil.ignore_patterns("__pycache__")
    )
    hashes["pip install <sdist>"] = tree_hash(installed_asset, modes=False)
    assert len(set(hashes.values())) == 1, f"the builds' Lambda assets differ: {json.dumps(hashes, indent=1)}"

    # The asset CDK staged into cdk.out is the installed one, unchanged, and carries no byte code.
    asset_hash = lambda_asset_key(template).removesuffix(".zip")
    manifest = json.loads((consumer / "cdk.out" / "ConsumerStack.assets.json").read_text())
    staged = consumer / "cdk.out" / manifest["files"][asset_hash]["source"]["path"]
    assert tree_hash(staged, modes=False) == hashes["pip install <sdist>"]
    assert (staged / "index.py").is_file() and (staged / "connect_contact_rules.py").is_file()
    assert (staged / "crhelper").is_dir()
    assert not list(staged.rglob("__pycache__")), "byte code would make the asset hash machine-dependent"

    # The plan command is installed with it, and runs the handler's own contact_reconciler from the wheel
    # (mapped from lambda/, not copied into the package source).
    env = isolated_env(tmp_path / "cache-unused")
    help_text = run_tool([venv / "bin" / "connect-contact-defaults", "plan", "--help"], cwd=consumer, env=env).stdout
    assert "--deployed-template" in help_text
    probe = "import contact_reconciler.reconcile as r, connect_contact_defaults.plan.command as c; print(r.__file__)"
    reconciler = Path(run_tool([consumer_python, "-c", probe], cwd=consumer, env=env).stdout.strip())
    assert reconciler.is_relative_to(venv) and reconciler.name == "reconcile.py"

    # The same asset hash as this checkout's own asset (`make asset`: another cache and interpreter path).
    _, checkout_template = synth_consumer_app(
        tmp_path / "checkout-consumer", Path(python), [Path(python).parent], pythonpath=ROOT / "constructs"
    )
    assert lambda_asset_key(checkout_template) == lambda_asset_key(template), "a consumer's asset hash differs"


def readme_install_block(header: str) -> str:
    """The README's bash block that starts with header, as written."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    (block,) = [block for block in blocks if block.startswith(f"{header}\n")]
    return block


def test_the_readme_install_commands_work_word_for_word_from_a_git_url_and_from_an_sdist(tmp_path):
    """Each block in its own empty directory, in bash with `set -e`: python3.11 -m venv (its bundled pip),
    isolated builds, REPO_URL a file:// URL of a clean clone and REF a tag of it; then the installed
    package's version and its testing extra import, outside this checkout."""
    clone = clean_clone(tmp_path / "repo")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    run_tool(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "tag", f"v{version}"], cwd=clone)
    processes = {}
    for header in ("# install from a git URL", "# install from an sdist"):
        directory = tmp_path / header.removeprefix("# ").replace(" ", "-")
        directory.mkdir()
        env = isolated_env(tmp_path / f"cache-{directory.name}")
        env.update(REPO_URL=clone.as_uri(), REF=f"v{version}")
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(ROOT)))
        script = "set -euo pipefail\n" + readme_install_block(header)
        processes[directory] = start(["bash", "-c", script], cwd=directory, env=env)
    for directory, process in processes.items():
        finish(process)
        python = directory / ".venv" / "bin" / "python"
        probe = "import connect_contact_defaults, connect_contact_defaults.testing, pytest; print(connect_contact_defaults.__file__)"
        env = isolated_env(tmp_path / "cache-unused")
        module = Path(run_tool([python, "-c", probe], cwd=directory, env=env).stdout.strip())
        assert module.is_relative_to(directory / ".venv"), f"{directory.name}: imported {module}"
        shown = run_tool(
            [directory / ".venv" / "bin" / "connect-contact-defaults", "--version"], cwd=directory, env=env
        )
        assert shown.stdout.strip() == f"connect-contact-defaults {version}"
