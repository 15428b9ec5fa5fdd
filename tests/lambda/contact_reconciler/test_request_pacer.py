"""The request budget: calls spaced 1/rate apart across threads, never past the deadline."""

import itertools
import threading
import time

import pytest

from connect_contact_rules import RATE_HEADROOM
from contact_reconciler.request_pacer import ApiPacers, Deadline, OutOfTime, RequestPacer


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.lock = threading.Lock()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        with self.lock:
            self.now += seconds


def test_requests_are_spaced_evenly_at_the_budget():
    clock = FakeClock()
    pacer = RequestPacer(5, clock=clock, sleep=clock.sleep)
    deadline = Deadline(1000, clock=clock)
    starts = []
    for _ in range(11):
        pacer.acquire(deadline)
        starts.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == pytest.approx([1 / (5 * RATE_HEADROOM)] * 10)
    # never more than 5 starts in any one-second window
    assert max(sum(1 for t in starts if s <= t < s + 1) for s in starts) == 5


def test_acquire_past_the_deadline_raises_out_of_time():
    clock = FakeClock()
    pacer = RequestPacer(1, clock=clock, sleep=clock.sleep)
    deadline = Deadline(2.5, clock=clock)
    pacer.acquire(deadline)
    pacer.acquire(deadline)
    pacer.acquire(deadline)
    with pytest.raises(OutOfTime):
        pacer.acquire(deadline)


def test_threads_share_one_budget():
    pacer = RequestPacer(50)
    deadline = Deadline(30)
    starts = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            pacer.acquire(deadline)
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 40
    # 40 calls at 50/s over four threads take at least 39 intervals: the budget is shared, not per thread
    assert starts[-1] - starts[0] >= 39 / (50 * RATE_HEADROOM) - 0.005


def test_rate_must_be_positive():
    with pytest.raises(ValueError, match="greater than 0"):
        RequestPacer(0)


def test_a_stall_of_the_whole_process_does_not_release_a_burst():
    """Every sleeper that would wake during a stall wakes at its end, together, as after a long GC pause.

    A pacer that books slots ahead sends all of them at once then (19 in one second at a budget of 10);
    deciding at release time keeps the spacing. The bound allows one call of thread-wake-up jitter.
    """
    start = time.monotonic()
    stall_from, stall_to = start + 0.5, start + 1.7

    def stalling_sleep(seconds):
        wake = time.monotonic() + seconds
        if stall_from <= wake < stall_to:
            wake = stall_to
        time.sleep(max(0.0, wake - time.monotonic()))

    pacer = RequestPacer(10, sleep=stalling_sleep)
    deadline = Deadline(30)
    releases, lock = [], threading.Lock()

    def worker():
        for _ in range(4):
            pacer.acquire(deadline)
            with lock:
                releases.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    releases.sort()
    busiest = max(sum(1 for t in releases[i:] if t < begin + 1.0) for i, begin in enumerate(releases))
    assert len(releases) == 40
    assert busiest <= 11


# --- one budget per Connect API ---


def test_each_api_is_paced_at_the_budget_on_its_own():
    clock = FakeClock()
    pacers = ApiPacers(5, clock=clock, sleep=clock.sleep)
    deadline = Deadline(1000, clock=clock)
    starts = {"get_contact_attributes": [], "update_contact_attributes": []}
    for _ in range(11):
        for operation, times in starts.items():  # alternating: neither API waits for the other
            pacers.for_operation(operation).acquire(deadline)
            times.append(clock.now)
    for times in starts.values():
        assert max(sum(1 for t in times if s <= t < s + 1) for s in times) == 5
    # both APIs did 11 calls in the time one API alone needs for 11: 10 gaps of 1 / (5 x headroom)
    assert clock.now - 100.0 == pytest.approx(10 / (5 * RATE_HEADROOM))
    assert pacers.for_operation("get_contact_attributes") is pacers.for_operation("get_contact_attributes")


def test_an_api_can_have_a_lower_rate_than_the_budget():
    pacers = ApiPacers(10, {"search_contacts": 0.5, "describe_contact": 50})
    assert pacers.for_operation("search_contacts").interval == pytest.approx(1 / (0.5 * RATE_HEADROOM))
    assert pacers.for_operation("describe_contact").interval == pytest.approx(1 / (10 * RATE_HEADROOM))  # never above


def test_calls_to_different_apis_overlap_across_threads():
    pacers = ApiPacers(20)
    deadline = Deadline(30)
    starts: dict[str, list[float]] = {}
    lock = threading.Lock()

    def worker(operation):
        for _ in range(10):
            pacers.for_operation(operation).acquire(deadline)
            with lock:
                starts.setdefault(operation, []).append(time.monotonic())

    operations = ["describe_contact", "get_contact_attributes", "update_contact_attributes", "update_contact"]
    threads = [threading.Thread(target=worker, args=(operation,)) for operation in operations for _ in range(2)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begun
    # 20 calls per API at 20/s take about 1 s per API; one shared budget would need about 4 s for all 80
    assert elapsed < 2.0
    for times in starts.values():
        assert len(times) == 20
        times.sort()
        assert max(sum(1 for t in times[i:] if t < s + 1) for i, s in enumerate(times)) <= 20
