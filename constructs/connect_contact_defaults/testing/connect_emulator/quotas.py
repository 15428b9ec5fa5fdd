"""Per-operation token buckets (Connect's API quotas) and fault injection."""

from __future__ import annotations

import enum
import math
import random
import threading
import time
from collections.abc import Callable, Iterable

Clock = Callable[[], float]

DEFAULT_RATE = 10.0
"""Requests per second refilled into each operation's bucket (Connect's default quota)."""
DEFAULT_BURST = 15
"""Bucket size (Connect's default burst)."""


def _check_quota(rate: float, burst: int) -> None:
    if not rate >= 0:
        raise ValueError(f"rate is requests per second, 0 or more (math.inf = unlimited), not {rate}")
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise ValueError(f"burst is a whole number of requests, 1 or more, not {burst!r}")


class TokenBucket:
    """Holds up to ``burst`` tokens, refilled at ``rate`` per second; starts full."""

    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic) -> None:
        _check_quota(rate, burst)
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def try_take(self) -> bool:
        """Takes one token if there is one."""
        if math.isinf(self.rate):
            return True
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + max(0.0, now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class Quotas:
    """One bucket per operation, shared by all callers. A changed quota starts with a full bucket."""

    def __init__(
        self,
        operations: Iterable[str],
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        clock: Clock = time.monotonic,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets = {operation: TokenBucket(rate, burst, clock) for operation in operations}

    def set(self, rate: float | None = None, burst: int | None = None, operation: str | None = None) -> None:
        """Sets the quota of one operation, or of every operation (None); None keeps that part of it."""
        if operation is not None and operation not in self._buckets:
            raise ValueError(f"{operation!r} is not an operation the emulator serves: {sorted(self._buckets)}")
        with self._lock:
            for name in [operation] if operation is not None else list(self._buckets):
                current = self._buckets[name]
                new_rate = current.rate if rate is None else rate
                new_burst = current.burst if burst is None else burst
                self._buckets[name] = TokenBucket(new_rate, new_burst, self._clock)

    def quota(self, operation: str) -> tuple[float, int]:
        """(rate, burst) of an operation."""
        bucket = self._buckets[operation]
        return bucket.rate, bucket.burst

    def try_take(self, operation: str) -> bool:
        """Takes a token from the operation's bucket; operations without a bucket are not limited."""
        bucket = self._buckets.get(operation)
        return bucket is None or bucket.try_take()


class Fault(enum.Enum):
    THROTTLE = "throttle"
    ERROR = "error"


def _check_share(name: str, share: float) -> None:
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{name} is a share of requests from 0.0 to 1.0, not {share}")


class FaultInjector:
    """Answers a share of requests with 429 or 500 and delays every answer; seedable for repeatable tests.

    One random draw per request: below ``throttle_share`` is a throttle, below
    ``throttle_share + error_share`` an error. The sequence of draws is repeatable for a
    given seed; which request gets which draw depends on arrival order.
    """

    def __init__(
        self, throttle_share: float = 0.0, error_share: float = 0.0, latency_s: float = 0.0, seed: int | None = 0
    ) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.throttle_share = 0.0
        self.error_share = 0.0
        self.latency_s = 0.0
        self.set(throttle_share, error_share, latency_s)

    def set(
        self,
        throttle_share: float | None = None,
        error_share: float | None = None,
        latency_s: float | None = None,
        seed: int | None = None,
    ) -> None:
        """None keeps a setting; a seed restarts the random sequence."""
        throttle = self.throttle_share if throttle_share is None else throttle_share
        error = self.error_share if error_share is None else error_share
        latency = self.latency_s if latency_s is None else latency_s
        _check_share("throttle_share", throttle)
        _check_share("error_share", error)
        if throttle + error > 1.0:
            raise ValueError(f"throttle_share + error_share is {throttle + error}; together they are at most 1.0")
        if not 0.0 <= latency < math.inf:
            raise ValueError(f"latency_s is seconds, 0 or more, not {latency}")
        with self._lock:
            self.throttle_share, self.error_share, self.latency_s = throttle, error, latency
            if seed is not None:
                self._random.seed(seed)

    def draw(self) -> Fault | None:
        with self._lock:
            if self.throttle_share == 0.0 and self.error_share == 0.0:
                return None
            roll = self._random.random()
            if roll < self.throttle_share:
                return Fault.THROTTLE
            if roll < self.throttle_share + self.error_share:
                return Fault.ERROR
            return None
