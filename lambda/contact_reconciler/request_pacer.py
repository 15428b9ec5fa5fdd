"""Request budgets shared by every worker thread: at most `rate` calls to each Connect API in any one-second window.

Connect's quotas are per API (per account and Region), so each API has its own RequestPacer
(ApiPacers) and calls to different APIs overlap.

Calls are spaced evenly (1/rate apart) rather than let through in bursts, because the quota is
shared with the production contact center: a burst from a deployment would eat the burst
capacity its agents and flows rely on. Retries draw from the same budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from connect_contact_rules import RATE_HEADROOM


class Deadline:
    """A point on the monotonic clock after which no new work may start."""

    def __init__(self, seconds_from_now: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._at = clock() + seconds_from_now

    def remaining(self) -> float:
        return self._at - self._clock()

    @property
    def at(self) -> float:
        return self._at


class OutOfTime(Exception):
    """The work could not finish before the Lambda's deadline."""


class RequestPacer:
    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be greater than 0, got {rate}")
        self.interval = 1.0 / (rate * RATE_HEADROOM)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_release = float("-inf")

    def acquire(self, deadline: Deadline) -> None:
        """Blocks until this caller may send one request; raises OutOfTime if that would be past the deadline.

        The decision is taken when the call is released, never booked ahead: after a stall of the whole
        process (a garbage collection, CPU starvation) the waiting threads do not all go at once.
        """
        while True:
            with self._lock:
                now = self._clock()
                ready_at = self._last_release + self.interval
                if now >= ready_at:
                    self._last_release = now
                    return
            if ready_at > deadline.at:
                raise OutOfTime("the request budget leaves no slot before the deadline")
            self._sleep(ready_at - now)


class ApiPacers:
    """One RequestPacer per Connect API, each at the budget (or at a lower rate set for that API)."""

    def __init__(
        self,
        rate: float,
        rates: dict[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self._rates = dict(rates or {})
        self._clock = clock
        self._sleep = sleep
        self._pacers: dict[str, RequestPacer] = {}
        self._lock = threading.Lock()

    def for_operation(self, operation: str) -> RequestPacer:
        with self._lock:
            pacer = self._pacers.get(operation)
            if pacer is None:
                rate = min(self.rate, self._rates.get(operation, self.rate))
                pacer = self._pacers[operation] = RequestPacer(rate, self._clock, self._sleep)
            return pacer
