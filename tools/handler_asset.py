"""Builds the Lambda asset directory of Custom::ConnectContactDefaults without Docker.

The asset is: the handler source (lambda/), the shared rules module
(constructs/connect_contact_rules.py) and the hash-pinned runtime dependencies of
lambda/requirements.txt (crhelper and boto3/botocore), installed for the Lambda's
platform with `pip install --target --no-compile` so the bytes, and so CDK's asset hash,
are the same on every machine and in every checkout directory.

The dependencies are cached under .build/handler-deps/<hash of requirements>, so only
the first build needs the package index; rebuilding after a handler change is a copy.
botocore's data is pruned to the services the handler (and crhelper's constructor) use.

Usage: python tools/handler_asset.py [DEST]  (default: the construct package's handler_asset/)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SOURCE = ROOT / "lambda"
RULES_MODULE = ROOT / "constructs" / "connect_contact_rules.py"
REQUIREMENTS = LAMBDA_SOURCE / "requirements.txt"
DEFAULT_DEST = ROOT / "constructs" / "connect_contact_defaults" / "handler_asset"
DEPS_CACHE = Path(os.environ.get("HANDLER_DEPS_CACHE", ROOT / ".build" / "handler-deps"))
"""Overridable so that a second checkout (the asset-hash test) can reuse the first one's download."""

LAMBDA_PLATFORM = ["--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.14"]
BOTOCORE_SERVICES_KEPT = frozenset({"connect", "s3", "lambda", "dynamodb", "events", "logs", "sts"})
"""connect, s3, lambda (hand-offs) and dynamodb (the lease) for the handler; events and logs because crhelper
creates those clients."""
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "requirements.txt")


def requirements_key(requirements: Path = REQUIREMENTS) -> str:
    """The cache key: the pinned requirements and what pruning keeps."""
    kept = ",".join(sorted(BOTOCORE_SERVICES_KEPT)).encode()
    return hashlib.sha256(requirements.read_bytes() + b"\n" + kept).hexdigest()[:16]


def _prune(site: Path) -> None:
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts (jmespath's jp.py)
    data = site / "botocore" / "data"
    for entry in data.iterdir():
        if entry.is_dir() and entry.name not in BOTOCORE_SERVICES_KEPT:
            shutil.rmtree(entry)
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache)


def ensure_dependencies(requirements: Path = REQUIREMENTS) -> Path:
    """Returns the cached, pruned install of the pinned runtime dependencies, installing it once."""
    cached = DEPS_CACHE / requirements_key(requirements)
    if cached.is_dir():
        return cached
    DEPS_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DEPS_CACHE) as work:
        site = Path(work) / "site"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--no-deps", "--require-hashes", "--only-binary=:all:", *LAMBDA_PLATFORM,
             "--target", str(site), "-r", str(requirements)],
            check=True,
        )  # fmt: skip
        _prune(site)
        site.rename(cached)
    return cached


def build_handler_asset(dest: Path = DEFAULT_DEST, lambda_source: Path = LAMBDA_SOURCE) -> Path:
    """Writes the asset directory to dest (replacing it) and returns dest."""
    dependencies = ensure_dependencies(lambda_source / "requirements.txt")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".handler_asset-", dir=dest.parent))
    try:
        shutil.copytree(dependencies, staging, dirs_exist_ok=True, ignore=IGNORED)
        shutil.copytree(lambda_source, staging, dirs_exist_ok=True, ignore=IGNORED)
        shutil.copy2(RULES_MODULE, staging / RULES_MODULE.name)
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


if __name__ == "__main__":
    target = build_handler_asset(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEST)
    print(f"handler asset: {target}")
