"""The Lambda asset is the same bytes whoever builds it: two builds with two interpreters, from two
directories, each downloading into its own empty dependency cache, give one tree hash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tools.handler_asset import FILE_MODE, FIXED_MTIME, _wheel_member_target, normalize_tree, tree_hash

ROOT = Path(__file__).resolve().parents[2]


def build(python: Path, dest: Path, cache: Path, cwd: Path) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(HANDLER_DEPS_CACHE=str(cache), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(
        [str(python), str(ROOT / "tools" / "handler_asset.py"), str(dest)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_interpreters_in_two_directories_build_the_same_tree(tmp_path):
    second_venv = tmp_path / "elsewhere" / "second-venv"
    subprocess.run([sys.executable, "-m", "venv", second_venv], check=True, capture_output=True)
    runs = [
        (Path(sys.executable), tmp_path / "a" / "handler_asset", tmp_path / "cache-a", ROOT),
        (second_venv / "bin" / "python", tmp_path / "b" / "deeper" / "asset", tmp_path / "cache-b", tmp_path),
    ]
    processes = [build(*run) for run in runs]
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"{process.args}:\n{stdout}\n{stderr}"
    first, second = (dest for _, dest, _, _ in runs)
    assert (first / "index.py").is_file() and (first / "botocore" / "data" / "connect").is_dir()
    assert tree_hash(first) == tree_hash(second), "two builds of the asset differ"

    # Nothing of either build's machine is in the tree: no interpreter path, no build directory.
    markers = [str(tmp_path).encode(), str(Path(sys.executable).parent).encode(), b"#!/"]
    for path in (p for p in second.rglob("*") if p.is_file()):
        content = path.read_bytes()
        assert not [m for m in markers if m in content], f"{path.relative_to(second)} names the building machine"
        assert path.stat().st_mode & 0o777 == FILE_MODE and int(path.stat().st_mtime) == FIXED_MTIME
    assert not list(second.glob("*.dist-info/INSTALLER")) and not list(second.glob("*.dist-info/direct_url.json"))
    assert not (second / "bin").exists(), "console scripts carry the building interpreter in their shebang"


def test_tree_hash_sees_content_names_and_modes(tmp_path):
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "module.py").write_text("x = 1\n")
    normalize_tree(tree)
    original = tree_hash(tree)
    (tree / "pkg" / "module.py").write_text("x = 2\n")
    assert tree_hash(tree) != original
    (tree / "pkg" / "module.py").write_text("x = 1\n")
    assert tree_hash(tree) == original
    (tree / "pkg" / "module.py").chmod(0o755)
    assert tree_hash(tree) != original
    (tree / "pkg" / "module.py").rename(tree / "pkg" / "other.py")
    normalize_tree(tree)
    assert tree_hash(tree) != original


def test_wheel_members_land_where_a_purelib_install_puts_them():
    assert str(_wheel_member_target("jmespath/parser.py")) == "jmespath/parser.py"
    assert str(_wheel_member_target("pkg-1.0.data/purelib/pkg/extra.py")) == "pkg/extra.py"
    assert _wheel_member_target("jmespath-1.1.0.data/scripts/jp.py") is None
    assert _wheel_member_target("../escape.py") is None
    assert _wheel_member_target("/etc/passwd") is None
    assert _wheel_member_target("pkg/") is None
