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


CRHELPER_SEND_HOOK = """
import inspect, sys
sys.path.insert(0, sys.argv[1])
import crhelper
from crhelper.resource_helper import CfnResource
from crhelper.utils import _send_response
send = inspect.signature(CfnResource._send).parameters
print(list(send), send["send_response"].default is _send_response)
"""


def test_the_pinned_crhelper_still_sends_through_the_hook_index_replaces(asset_dir):
    """index.ContactDefaultsResource retries the ResponseURL PUT by passing its own sender to crhelper's private
    `_send(status, reason, send_response)`. This fails if a crhelper in the asset changes that."""
    completed = subprocess.run(
        [sys.executable, "-S", "-c", CRHELPER_SEND_HOOK, str(asset_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert completed.stdout.split("]")[0] + "]" == "['self', 'status', 'reason', 'send_response']"
    assert completed.stdout.strip().endswith("True")
