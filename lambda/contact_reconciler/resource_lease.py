"""Which chain of invocations may write to a resource's contacts now: a lease in the stack's DynamoDB table.

One item per resource (stack + logical ID; the table is the stack's), pk "lease", sk the logical ID:

- owner: RequestId of the newest operation, the only one that may call Connect;
- "chain:<RequestId>" -> {"invocation": n, "claimed": bool, "until": epoch s}, one per chain that has not
  said it stopped: the invocation that holds it, whether that invocation has started (false between a hand-off
  and its start), and until when it may still be at work (its Lambda deadline, or a grace after a hand-off);
- operations: every RequestId that ever held the lease, so a late duplicate of an old first event stops.

Every change is one conditional UpdateItem, so Lambda's at-least-once delivery cannot start a second chain:
a duplicate (or a retry of an invocation that is still within its deadline) fails the condition and stops with
no Connect call and no response. A later operation takes the lease over and waits until every other chain has
stopped or passed its deadline (at most one Lambda timeout) before its first Connect call; a superseded chain
learns it from a strongly consistent read at most once a second, stops before its next Connect call, removes
its chain entry and answers CloudFormation FAILED, which CloudFormation ignores. See docs/write-ownership.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from .reconcile import Superseded

logger = logging.getLogger(__name__)

LEASE_PARTITION = "lease"
CHAIN_PREFIX = "chain:"
HAND_OFF_GRACE_SECONDS = 120.0
"""How long a handed-off lease waits for the next invocation to start before a later operation stops waiting."""
WATCH_INTERVAL_SECONDS = 1.0
"""How often a working chain re-reads the lease to learn that a later operation took over."""
WAIT_POLL_SECONDS = 0.5

Clock = Callable[[], float]


class Claim(Enum):
    HELD = "HELD"
    """This invocation holds the lease: it may call Connect (after waiting for earlier chains)."""
    DUPLICATE = "DUPLICATE"
    """Another delivery of this invocation holds it, or held it: stop with no call and no response."""
    SUPERSEDED = "SUPERSEDED"
    """This invocation is its chain's only one, but a later operation took over: stop and answer FAILED."""


def _number(value: Any) -> float:
    return float(value["N"])


class ResourceLease:
    """The lease of one resource, as seen by one invocation of one operation (RequestId) of it."""

    def __init__(
        self,
        client: Any,
        table: str,
        logical_id: str,
        request_id: str,
        invocation: int,
        *,
        clock: Clock = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table
        self._key = {"pk": {"S": LEASE_PARTITION}, "sk": {"S": logical_id}}
        self.request_id = request_id
        self._chain_name = CHAIN_PREFIX + request_id
        self.invocation = invocation
        self._clock = clock
        self._sleep = sleep
        self._superseded = threading.Event()
        self._watch_stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # --- taking the lease ---

    def acquire(self, until: float) -> Claim:
        """First invocation of an operation: become the owner, unless this RequestId already held the lease."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET #owner = :rid, #chain = :chain ADD #operations :rids",
                ConditionExpression="attribute_not_exists(#operations) OR NOT contains(#operations, :rid)",
                ExpressionAttributeNames={"#owner": "owner", "#chain": self._chain_name, "#operations": "operations"},
                ExpressionAttributeValues={
                    ":rid": {"S": self.request_id},
                    ":rids": {"SS": [self.request_id]},
                    ":chain": self._chain(1, claimed=True, until=until),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return self._take_over_dead_holder(until)
        return Claim.HELD

    def claim(self, until: float) -> Claim:
        """Invocation n > 1: claim the lease that invocation n - 1 handed to it (or a dead holder's)."""
        try:
            item = self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET #chain.#claimed = :true, #chain.#until = :until",
                ConditionExpression="#chain.#invocation = :n AND (#chain.#claimed = :false OR #chain.#until < :now)",
                ExpressionAttributeNames={
                    "#chain": self._chain_name,
                    "#claimed": "claimed",
                    "#until": "until",
                    "#invocation": "invocation",
                },
                ExpressionAttributeValues={
                    ":true": {"BOOL": True},
                    ":false": {"BOOL": False},
                    ":until": {"N": repr(until)},
                    ":n": {"N": str(self.invocation)},
                    ":now": {"N": repr(self._clock())},
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return Claim.DUPLICATE
        return Claim.HELD if item["owner"]["S"] == self.request_id else Claim.SUPERSEDED

    def _take_over_dead_holder(self, until: float) -> Claim:
        """A first invocation delivered again: it continues only if its earlier delivery died (deadline passed)."""
        self.invocation = 1
        return self.claim(until)

    @staticmethod
    def _chain(invocation: int, *, claimed: bool, until: float) -> dict[str, Any]:
        return {
            "M": {
                "invocation": {"N": str(invocation)},
                "claimed": {"BOOL": claimed},
                "until": {"N": repr(until)},
            }
        }

    # --- waiting for earlier chains ---

    def others_at_work(self) -> dict[str, float]:
        """RequestId -> deadline of every other chain that has not stopped and whose deadline has not passed."""
        return self._others_at_work(self._read())

    def _others_at_work(self, item: Mapping[str, Any]) -> dict[str, float]:
        now = self._clock()
        return {
            name[len(CHAIN_PREFIX) :]: until
            for name, chain in item.items()
            if name.startswith(CHAIN_PREFIX)
            and name != self._chain_name
            and (until := _number(chain["M"]["until"])) > now
        }

    def wait_for_others(self, seconds: float) -> bool:
        """Waits until no other chain may still write (True), or `seconds` pass (False). Raises Superseded."""
        give_up = self._clock() + seconds
        logged = False
        while True:
            item = self._read()
            self._check_owner(item)
            others = self._others_at_work(item)
            now = self._clock()
            if not others:
                return True
            if not logged:
                logger.info(
                    "waiting for %d earlier chain(s) of this resource to stop (at most %.0f s)",
                    len(others),
                    max(others.values()) - now,
                )
                logged = True
            if now >= give_up:
                return False
            self._sleep(min(WAIT_POLL_SECONDS, max(0.0, give_up - now)))

    # --- while working ---

    def start_watch(self) -> None:
        """Re-reads the lease at most once a second in a daemon thread; check() then raises once superseded."""
        if self._watcher is not None:
            return

        def watch() -> None:
            while not self._watch_stop.wait(WATCH_INTERVAL_SECONDS):
                try:
                    self._check_owner(self._read())
                except Superseded:
                    return
                except Exception as error:  # a failed read is retried at the next tick
                    logger.warning("could not read the lease (%s); retrying", type(error).__name__)

        self._watcher = threading.Thread(target=watch, name="lease-watch", daemon=True)
        self._watcher.start()

    def stop_watch(self) -> None:
        self._watch_stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def check(self) -> None:
        """Raises Superseded once a later operation (or another delivery of this invocation) holds the lease."""
        if self._superseded.is_set():
            raise Superseded("a later operation on this resource took over")

    @property
    def superseded(self) -> bool:
        return self._superseded.is_set()

    def _check_owner(self, item: Mapping[str, Any]) -> None:
        chain = item.get(self._chain_name, {}).get("M")
        owner = item.get("owner", {}).get("S")
        if owner != self.request_id or chain is None or int(_number(chain["invocation"])) != self.invocation:
            self._superseded.set()
            raise Superseded("a later operation on this resource took over")

    def _read(self) -> dict[str, Any]:
        return self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True).get("Item", {})

    # --- giving it on or up ---

    def hand_off(self) -> bool:
        """Passes the lease to invocation n + 1 (unclaimed, with a grace deadline); False if superseded."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET #chain = :chain",
                ConditionExpression="#owner = :rid AND #chain.#invocation = :n",
                ExpressionAttributeNames={"#owner": "owner", "#chain": self._chain_name, "#invocation": "invocation"},
                ExpressionAttributeValues={
                    ":rid": {"S": self.request_id},
                    ":n": {"N": str(self.invocation)},
                    ":chain": self._chain(
                        self.invocation + 1, claimed=False, until=self._clock() + HAND_OFF_GRACE_SECONDS
                    ),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            self._superseded.set()
            return False
        return True

    def release(self) -> None:
        """This chain has stopped: no call of it is in flight any more."""
        self.stop_watch()
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="REMOVE #chain",
                ConditionExpression="attribute_exists(#chain)",
                ExpressionAttributeNames={"#chain": self._chain_name},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def delete(self) -> None:
        """The resource is gone: removes its lease, unless a later operation holds it."""
        self.stop_watch()
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=self._key,
                ConditionExpression="#owner = :rid",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":rid": {"S": self.request_id}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            self.release()


def lease_exists(client: Any, table: str, logical_id: str) -> bool:
    """Whether an operation of this resource ever started (a Create that a Delete with a foreign ID undoes)."""
    key = {"pk": {"S": LEASE_PARTITION}, "sk": {"S": logical_id}}
    return "Item" in client.get_item(TableName=table, Key=key, ConsistentRead=True)
