"""Which chain of invocations may write to a resource's contacts now: a lease in the stack's DynamoDB table.

One item per resource (stack + logical ID; the table is the stack's), pk "lease", sk the logical ID:

- owner: RequestId of the newest operation, the only one that may call Connect;
- "chain:<RequestId>" -> {"invocation": n, "claimed": bool, "holder": token, "until": epoch s, "heartbeat":
  epoch s, "started": epoch s}, one per chain that has not said it stopped: the invocation that holds it,
  whether that invocation has started (false between a hand-off and its start), which delivery of it holds it
  (a token per claim, so that a holder taken for dead learns it was replaced), until when it may still be at
  work (its Lambda deadline, or a grace after a hand-off), when its holder last proved it is alive, and when the
  operation's first invocation started (the ServiceTimeout counts from there);
- operations: every RequestId that ever held the lease, so a late duplicate of an old first event stops;
- progress: the newest operation's progress record, rewritten with each heartbeat.

Every change is one conditional UpdateItem, so Lambda's at-least-once delivery cannot start a second chain.
The holder writes a heartbeat every `heartbeat_seconds` from its watcher thread. A second delivery of an
invocation whose holder is alive (fresh heartbeat) fails the condition and stops with no Connect call and no
response. Lambda's retry of an invocation that died (its heartbeat older than STALE_HEARTBEATS beats) takes
the lease over and does that invocation's work again. A holder that cannot write its heartbeat for
FENCE_HEARTBEATS beats stops calling Connect by itself (LeaseLost), so a takeover never overlaps it.

A later operation takes the lease over and waits until every other chain has stopped, died or passed its
deadline before its first Connect call; a superseded chain learns it from a strongly consistent read at most
once a second, stops before its next Connect call, removes its chain entry and answers CloudFormation FAILED,
which CloudFormation ignores. See docs/write-ownership.md.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from enum import Enum
from types import TracebackType
from typing import Any

from botocore.exceptions import ClientError

from connect_contact_rules import PROGRESS_ATTRIBUTE

logger = logging.getLogger(__name__)

LEASE_PARTITION = "lease"
CHAIN_PREFIX = "chain:"
HAND_OFF_GRACE_SECONDS = 120.0
"""How long a handed-off lease waits for the next invocation to start before a later operation stops waiting."""
WATCH_INTERVAL_SECONDS = 1.0
"""How often a working chain re-reads the lease to learn that a later operation took over."""
HEARTBEAT_SECONDS = 5.0
"""How often the holder proves it is alive. Lambda retries a dead invocation about 60 s later: far beyond stale."""
STALE_HEARTBEATS = 6
"""A holder whose heartbeat is this many beats old is dead: a retry of its event may take over (30 s)."""
FENCE_HEARTBEATS = 3
"""A holder that could not write its heartbeat for this many beats stops calling Connect (15 s): before a
retry can see it stale, so a takeover never overlaps a holder that is alive but cut off from the table."""
WAIT_POLL_SECONDS = 0.5

Clock = Callable[[], float]
ProgressSource = Callable[[], Mapping[str, Any] | None]
"""The progress record to store with each heartbeat (a DynamoDB "M" value), or None."""


class Superseded(Exception):
    """A later operation on the same resource took over: stop before the next Connect call."""


class LeaseLost(Superseded):
    """This holder could not prove it is alive for FENCE_HEARTBEATS beats: it stops calling Connect and ends
    without an answer, so that Lambda's retry of its event takes over (as after a crash)."""


class Claim(Enum):
    HELD = "HELD"
    """This invocation holds the lease: it may call Connect (after waiting for earlier chains)."""
    DUPLICATE = "DUPLICATE"
    """Another delivery of this invocation is alive and holds it, or held it: stop with no call and no response."""
    SUPERSEDED = "SUPERSEDED"
    """This invocation is its chain's only one, but a later operation took over: stop and answer FAILED."""


def _number(value: Any) -> float:
    return float(value["N"])


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class ResourceLease:
    """The lease of one resource, as seen by one invocation of one operation (RequestId) of it.

    Use it as a context manager once claimed: the block watches and heartbeats the lease, and on leaving it
    releases the chain, unless the block handed the lease on (hand_off), removed it (delete), or lost it
    (LeaseLost: Lambda's retry takes over).
    """

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
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self._client = client
        self._table = table
        self._key = {"pk": {"S": LEASE_PARTITION}, "sk": {"S": logical_id}}
        self.request_id = request_id
        self._chain_name = CHAIN_PREFIX + request_id
        self._token = uuid.uuid4().hex[:16]
        """This delivery's claim: a retry that takes the chain over writes its own."""
        self.invocation = invocation
        self._clock = clock
        self._sleep = sleep
        self.heartbeat_seconds = heartbeat_seconds
        self.started_at: float | None = None
        """When the operation's first invocation started, as the lease recorded it (set by a claim)."""
        self.took_over = False
        """Whether this invocation took the lease over from a holder that died."""
        self.progress: ProgressSource = lambda: None
        self._superseded = threading.Event()
        self._lost = threading.Event()
        self._watch_stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._last_beat = clock()
        self._done = False

    # --- taking the lease ---

    def acquire(self, until: float) -> Claim:
        """First invocation of an operation: become the owner, unless this RequestId already held the lease
        (then it is a second delivery, or Lambda's retry of a first invocation that died)."""
        now = self._clock()
        updated = self._update(
            "SET #owner = :rid, #chain = :chain ADD #operations :rids",
            "attribute_not_exists(#operations) OR NOT contains(#operations, :rid)",
            {"#owner": "owner", "#chain": self._chain_name, "#operations": "operations"},
            {
                ":rid": {"S": self.request_id},
                ":rids": {"SS": [self.request_id]},
                ":chain": self._chain(1, claimed=True, until=until, started=now),
            },
        )
        if updated is None:
            self.invocation = 1
            return self.claim(until)
        self.started_at = now
        return Claim.HELD

    def claim(self, until: float) -> Claim:
        """Invocation n: claim the lease that invocation n - 1 handed to it, or that a dead holder of invocation
        n left (its heartbeat stale, or, for a chain written before heartbeats, its deadline passed)."""
        now = self._clock()
        old = self._update(
            "SET #chain.#claimed = :true, #chain.#until = :until, #chain.#heartbeat = :now, #chain.#holder = :me",
            "#chain.#invocation = :n AND (#chain.#claimed = :false OR #chain.#heartbeat < :stale"
            " OR (attribute_not_exists(#chain.#heartbeat) AND #chain.#until < :now))",
            {
                "#chain": self._chain_name,
                "#claimed": "claimed",
                "#until": "until",
                "#invocation": "invocation",
                "#heartbeat": "heartbeat",
                "#holder": "holder",
            },
            {
                ":me": {"S": self._token},
                ":true": {"BOOL": True},
                ":false": {"BOOL": False},
                ":until": {"N": repr(until)},
                ":n": {"N": str(self.invocation)},
                ":now": {"N": repr(now)},
                ":stale": {"N": repr(now - self.stale_seconds)},
            },
            return_values="ALL_OLD",
        )
        if old is None:
            return Claim.DUPLICATE
        self._last_beat = now
        chain = old[self._chain_name]["M"]
        self.started_at = _number(chain["started"]) if "started" in chain else None
        if chain["claimed"]["BOOL"]:
            self.took_over = True
            beat = _number(chain["heartbeat"]) if "heartbeat" in chain else _number(chain["until"])
            logger.warning(
                "invocation %d of this operation died %.0f s ago without an answer (its heartbeat stopped): "
                "taking over and doing its work again",
                self.invocation,
                now - beat,
            )
        return Claim.HELD if old["owner"]["S"] == self.request_id else Claim.SUPERSEDED

    @property
    def stale_seconds(self) -> float:
        return self.heartbeat_seconds * STALE_HEARTBEATS

    def _chain(self, invocation: int, *, claimed: bool, until: float, started: float) -> dict[str, Any]:
        chain = {
            "invocation": {"N": str(invocation)},
            "claimed": {"BOOL": claimed},
            "until": {"N": repr(until)},
            "started": {"N": repr(started)},
        }
        if claimed:  # only a first invocation's acquire writes a claimed chain: it starts now
            chain["heartbeat"] = {"N": repr(started)}
            chain["holder"] = {"S": self._token}
        return {"M": chain}

    # --- waiting for earlier chains ---

    def _others_at_work(self, item: Mapping[str, Any]) -> dict[str, float]:
        """RequestId -> deadline of every other chain that has not stopped, died or passed its deadline."""
        now = self._clock()
        return {
            name[len(CHAIN_PREFIX) :]: until
            for name, chain in item.items()
            if name.startswith(CHAIN_PREFIX)
            and name != self._chain_name
            and (until := _number(chain["M"]["until"])) > now
            and not self._is_dead(chain["M"], now)
        }

    def _is_dead(self, chain: Mapping[str, Any], now: float) -> bool:
        """A started chain whose heartbeat is stale: its holder died (a live one fences itself first)."""
        return (
            chain["claimed"]["BOOL"] and "heartbeat" in chain and _number(chain["heartbeat"]) < now - self.stale_seconds
        )

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

    def __enter__(self) -> ResourceLease:
        self.start_watch()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop_watch()
        if not self._done and not self._lost.is_set():
            self.release()

    def start_watch(self) -> None:
        """Re-reads the lease at most once a second in a daemon thread, and writes the heartbeat (with the
        progress record); check() then raises once superseded or once the heartbeat could not be written."""
        if self._watcher is not None:
            return

        def watch() -> None:
            next_beat = self._clock() + self.heartbeat_seconds
            while not self._watch_stop.wait(min(WATCH_INTERVAL_SECONDS, self.heartbeat_seconds)):
                try:
                    if self._clock() >= next_beat:
                        next_beat = self._clock() + self.heartbeat_seconds
                        self.beat()
                    else:
                        self._check_owner(self._read())
                except Superseded:
                    return
                except Exception as error:  # a failed read or write is retried at the next tick
                    logger.warning("could not reach the lease (%s); retrying", type(error).__name__)

        self._watcher = threading.Thread(target=watch, name="lease-watch", daemon=True)
        self._watcher.start()

    def stop_watch(self) -> None:
        self._watch_stop.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=5)

    def beat(self) -> None:
        """Writes the heartbeat (and the progress record) if this invocation still holds the lease; raises
        Superseded (and marks it) if it does not."""
        now = self._clock()
        progress = self.progress()
        names = {"#owner": "owner", "#chain": self._chain_name, "#holder": "holder", "#heartbeat": "heartbeat"}
        values: dict[str, Any] = {":rid": {"S": self.request_id}, ":me": {"S": self._token}, ":now": {"N": repr(now)}}
        expression = "SET #chain.#heartbeat = :now"
        if progress is not None:
            names["#progress"] = PROGRESS_ATTRIBUTE
            values[":progress"] = dict(progress)
            expression += ", #progress = :progress"
        if self._update(expression, "#owner = :rid AND #chain.#holder = :me", names, values) is None:
            self._superseded.set()
            raise Superseded("a later operation on this resource took over")
        self._last_beat = now

    def check(self) -> None:
        """Before each Connect call: raises Superseded once a later operation (or another delivery of this
        invocation) holds the lease, and LeaseLost once the heartbeat could not be written for too long."""
        if self._superseded.is_set():
            raise Superseded("a later operation on this resource took over")
        if self._lost.is_set() or self._clock() - self._last_beat > self.heartbeat_seconds * FENCE_HEARTBEATS:
            self._lost.set()
            raise LeaseLost(
                f"the lease's heartbeat could not be written for {self.heartbeat_seconds * FENCE_HEARTBEATS:.0f} s"
            )

    @property
    def superseded(self) -> bool:
        return self._superseded.is_set()

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def _check_owner(self, item: Mapping[str, Any]) -> None:
        chain = item.get(self._chain_name, {}).get("M")
        owner = item.get("owner", {}).get("S")
        if owner != self.request_id or chain is None or chain.get("holder", {}).get("S") != self._token:
            self._superseded.set()
            raise Superseded("a later operation on this resource took over")

    def _read(self) -> dict[str, Any]:
        return self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True).get("Item", {})

    def _update(
        self,
        expression: str,
        condition: str,
        names: Mapping[str, str],
        values: Mapping[str, Any] | None = None,
        *,
        return_values: str = "NONE",
    ) -> dict[str, Any] | None:
        """One conditional UpdateItem of the lease item: its returned attributes ({} for NONE), or None if the
        condition failed."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key,
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": dict(names),
            "ReturnValues": return_values,
        }
        if values:
            arguments["ExpressionAttributeValues"] = dict(values)
        try:
            return self._client.update_item(**arguments).get("Attributes", {})
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            return None

    # --- giving it on or up ---

    def hand_off(self) -> bool:
        """Passes the lease to invocation n + 1 (unclaimed, with a grace deadline); False if superseded."""
        now = self._clock()
        chain = self._chain(
            self.invocation + 1, claimed=False, until=now + HAND_OFF_GRACE_SECONDS, started=self.started_at or now
        )
        handed = self._update(
            "SET #chain = :chain",
            "#owner = :rid AND #chain.#holder = :me",
            {"#owner": "owner", "#chain": self._chain_name, "#holder": "holder"},
            {":rid": {"S": self.request_id}, ":me": {"S": self._token}, ":chain": chain},
        )
        if handed is None:
            self._superseded.set()
            return False
        self._done = True
        return True

    def release(self) -> None:
        """This chain has stopped: no call of it is in flight any more."""
        self.stop_watch()
        self._done = True
        self._update(
            "REMOVE #chain",
            "#chain.#holder = :me",
            {"#chain": self._chain_name, "#holder": "holder"},
            {":me": {"S": self._token}},
        )

    def delete(self) -> None:
        """The resource is gone: removes its lease, unless a later operation holds it."""
        self.stop_watch()
        self._done = True
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=self._key,
                ConditionExpression="#owner = :rid",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":rid": {"S": self.request_id}},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            self.release()


def lease_exists(client: Any, table: str, logical_id: str) -> bool:
    """Whether an operation of this resource ever started (a Create that a Delete with a foreign ID undoes)."""
    key = {"pk": {"S": LEASE_PARTITION}, "sk": {"S": logical_id}}
    return "Item" in client.get_item(TableName=table, Key=key, ConsistentRead=True)
