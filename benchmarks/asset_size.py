"""Zipped size of the Lambda asset (constructs/connect_contact_defaults/handler_asset, built by `make asset`).

    python benchmarks/asset_size.py [ASSET_DIR]

Zips the directory with deflate (as CDK does before upload; Lambda's limit is 50 MB zipped
for a direct upload, 250 MB unzipped) and prints the file count, unzipped and zipped bytes.
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ASSET = ROOT / "constructs" / "connect_contact_defaults" / "handler_asset"


def main() -> None:
    asset = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ASSET
    if not asset.is_dir():
        sys.exit(f"{asset} does not exist: run `make asset`")
    files = sorted(p for p in asset.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    unzipped = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryDirectory() as work:
        archive = Path(work) / "asset.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            for path in files:
                zipped.write(path, path.relative_to(asset).as_posix())
        size = archive.stat().st_size
    print(f"asset: {asset}")
    print(f"files: {len(files)}, unzipped: {unzipped} bytes ({unzipped / 1_000_000:.2f} MB)")
    print(f"zipped (deflate): {size} bytes ({size / 1_000_000:.2f} MB, {size / 2**20:.2f} MiB)")


if __name__ == "__main__":
    main()
