"""index.py's cold start, imported from the synthesized asset directory as Lambda loads it (python -S)."""

import os
import subprocess
import sys

COLD_START = (
    "import gc, sys; sys.path.insert(0, sys.argv[1]); import index; print(gc.get_freeze_count(), len(gc.get_objects()))"
)


def test_the_cold_start_is_out_of_the_garbage_collectors_view(asset_dir):
    """A full collection then walks only what an operation created, not botocore and the clients (no long pause
    between a pacer's release of a call and its send)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "eu-west-2",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "STATE_TABLE": "ContactDefaultsState",
    }
    completed = subprocess.run(
        [sys.executable, "-S", "-c", COLD_START, str(asset_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    frozen, tracked = (int(number) for number in completed.stdout.split())
    assert frozen > 10_000  # boto3, botocore, crhelper, the handler and its clients
    assert tracked < 1_000
