"""Builds the Lambda asset directory of Custom::ConnectContactDefaults without Docker.

The asset is: the handler source (lambda/), the shared rules module
(constructs/connect_contact_rules.py) and the hash-pinned runtime dependencies of
lambda/requirements.txt (crhelper and boto3/botocore). The dependencies' wheels (pure Python,
for the Lambda's platform) are downloaded with `pip download --require-hashes` and unpacked as
they are, without an installer: nothing of the building machine (interpreter path in a script's
shebang, a RECORD that lists it, INSTALLER, direct_url.json, timestamps, file modes) gets into
the tree, so its bytes, and so CDK's asset hash, are the same whoever builds it, wherever.

The unpacked dependencies are cached under .build/handler-deps/<key> (HANDLER_DEPS_CACHE), keyed by
lambda/requirements.txt and this recipe, so only the first build needs the package index.
botocore's data is pruned to the services the handler (and crhelper's constructor) use.

Building a wheel or an sdist of the package runs this (setup.py) inside the isolated build
environment, which has pip because pyproject.toml's [build-system] requires it.

Usage: python tools/handler_asset.py [DEST]  (default: the construct package's handler_asset/)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SOURCE = ROOT / "lambda"
RULES_MODULE = ROOT / "constructs" / "connect_contact_rules.py"
REQUIREMENTS = LAMBDA_SOURCE / "requirements.txt"
DEFAULT_DEST = ROOT / "constructs" / "connect_contact_defaults" / "handler_asset"
DEPS_CACHE = Path(os.environ.get("HANDLER_DEPS_CACHE", ROOT / ".build" / "handler-deps"))
"""Overridable so that a second checkout can reuse the first one's download."""

LAMBDA_PLATFORM = ["--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.14"]
BOTOCORE_SERVICES_KEPT = frozenset({"connect", "s3", "lambda", "dynamodb", "events", "logs", "sts"})
"""connect, s3, lambda (hand-offs) and dynamodb (the lease) for the handler; events and logs because crhelper
creates those clients."""
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "requirements.txt")
RECIPE = f"unpacked wheels, no scripts, botocore data {','.join(sorted(BOTOCORE_SERVICES_KEPT))}, v2"
"""Part of the cache key: a change to how the dependencies are laid out never reuses an old tree."""
FILE_MODE, DIRECTORY_MODE = 0o644, 0o755
FIXED_MTIME = 315_619_200
"""1980-01-02 UTC: every file and directory of the asset gets this time (zip cannot hold earlier dates)."""


def requirements_key(requirements: Path = REQUIREMENTS) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(RECIPE.encode())
    return digest.hexdigest()[:16]


def _wheel_member_target(name: str) -> PurePosixPath | None:
    """Where a wheel's member goes in the asset (as a purelib install would put it), or None to leave it out.

    <name>.data/purelib and platlib go to the root; scripts, headers and data are left out (a Lambda
    asset runs none of them, and a script's shebang would name the building interpreter).
    """
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.endswith("/"):
        return None
    if path.parts[0].endswith(".data"):
        if len(path.parts) > 2 and path.parts[1] in {"purelib", "platlib"}:
            return PurePosixPath(*path.parts[2:])
        return None
    return path


def _unpack_wheel(wheel: Path, site: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            target = _wheel_member_target(member.filename)
            if target is None:
                continue
            destination = site.joinpath(*target.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(archive.read(member))


def _prune(site: Path) -> None:
    data = site / "botocore" / "data"
    for entry in data.iterdir():
        if entry.is_dir() and entry.name not in BOTOCORE_SERVICES_KEPT:
            shutil.rmtree(entry)
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache)


def normalize_tree(tree: Path) -> None:
    """Gives every file and directory of tree the same mode and time, whatever umask or clock built it."""
    for path in [*tree.rglob("*"), tree]:
        path.chmod(DIRECTORY_MODE if path.is_dir() else FILE_MODE)
        os.utime(path, (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)


def tree_hash(tree: Path, *, modes: bool = True) -> str:
    """SHA-256 over the sorted relative paths, contents and (unless modes=False) modes of a directory's files."""
    digest = hashlib.sha256()
    for path in sorted(tree.rglob("*"), key=lambda p: p.relative_to(tree).as_posix()):
        relative = path.relative_to(tree).as_posix()
        if path.is_symlink():
            digest.update(f"L {relative} {os.readlink(path)}\n".encode())
        elif path.is_file():
            mode = f"{path.stat().st_mode & 0o777:o}" if modes else "-"
            digest.update(f"F {relative} {mode} {path.stat().st_size}\n".encode())
            digest.update(path.read_bytes())
        else:
            digest.update(f"D {relative}\n".encode())
    return digest.hexdigest()


def ensure_dependencies(requirements: Path = REQUIREMENTS) -> Path:
    """Returns the cached, pruned tree of the pinned runtime dependencies, downloading and unpacking it once."""
    cached = DEPS_CACHE / requirements_key(requirements)
    if cached.is_dir():
        return cached
    DEPS_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DEPS_CACHE) as work:
        wheels, site = Path(work) / "wheels", Path(work) / "site"
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
            "--require-hashes", "--only-binary=:all:", *LAMBDA_PLATFORM, "--dest", str(wheels), "-r", str(requirements),
        ]  # fmt: skip
        try:
            subprocess.run(command, check=True)
        except subprocess.CalledProcessError as error:
            raise RuntimeError(
                f"could not download the Lambda's dependencies ({requirements}) with {sys.executable} -m pip: "
                "building the asset needs pip and the package index (or a filled HANDLER_DEPS_CACHE)"
            ) from error
        site.mkdir()
        for wheel in sorted(wheels.glob("*.whl")):
            _unpack_wheel(wheel, site)
        _prune(site)
        normalize_tree(site)
        try:
            site.rename(cached)
        except OSError:
            if not cached.is_dir():  # another build filled the same key meanwhile: use that one
                raise
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
        normalize_tree(staging)
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


if __name__ == "__main__":
    target = build_handler_asset(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEST)
    print(f"handler asset: {target} (tree sha256 {tree_hash(target)})")
