"""setuptools hook: build the Lambda handler asset into the wheel (see tools/handler_asset.py).

The asset (handler, shared rules, crhelper and a pinned boto3/botocore) is pre-built when
the package is built, as aws-cdk-lib ships its own handlers, so that synthesizing an app
that uses the construct needs neither Docker nor network nor a pip install.
"""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithHandlerAsset(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses constructs/connect_contact_defaults/handler_asset (make asset)
        sys.path.insert(0, str(ROOT / "tools"))
        from handler_asset import build_handler_asset  # noqa: PLC0415 (tools/ is on sys.path only here)

        build_handler_asset(Path(self.build_lib) / "connect_contact_defaults" / "handler_asset")


setup(cmdclass={"build_py": BuildPyWithHandlerAsset})
