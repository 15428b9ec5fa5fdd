"""`plan --sample N`: which contacts a sample reads, and the counts of the whole selection estimated from it.

The sample is a uniform random sample without replacement of n of the selection's P contacts
(random.Random(seed).sample). A count c of the sample estimates the share p = c / n of the population, and the
count p x P (rounded). Its interval is the Wilson score interval with the finite population correction (the
sample size taken as n (P - 1) / (P - n), so a sample of the whole population is exact), scaled to P. The plan
reports SAMPLED_COUNTS counts at once, so the intervals are simultaneous 95% intervals (Bonferroni: each at
1 - 0.05 / SAMPLED_COUNTS, z = 2.64): all of them hold the true counts in at least 95% of samples, where six
separate 95% intervals would all hold them in only about three samples of four.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95
SAMPLED_COUNTS = 6
"""write, unchanged, missing, would fail, expiry set, expiry skipped."""
CONFIDENCE_Z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / (2 * SAMPLED_COUNTS))
"""The normal quantile of a two-sided interval at 1 - 0.05 / 6 (Bonferroni)."""
INTERVAL = "simultaneous 95% Wilson score intervals (Bonferroni over 6 counts) with the finite population correction"


@dataclass(frozen=True)
class Estimate:
    value: int
    low: int
    high: int

    def to_json(self) -> dict[str, int]:
        return {"estimate": self.value, "low": self.low, "high": self.high}

    def text(self) -> str:
        return f"about {self.value:,} ({self.low:,} to {self.high:,})"


def sample_positions(population: int, size: int, seed: int | None) -> list[int]:
    """The positions (ascending, so the handler's order is kept) of a uniform random sample of `size` of `population`."""
    if size >= population:
        return list(range(population))
    return sorted(random.Random(seed).sample(range(population), size))


def extrapolate(count: int, sample: int, population: int) -> Estimate:
    """The count of the population that `count` of a sample of `sample` stands for, with its interval."""
    if sample <= 0:
        return Estimate(0, 0, population)
    if sample >= population:
        return Estimate(count, count, count)
    share = count / sample
    effective = sample * (population - 1) / (population - sample)
    z2 = CONFIDENCE_Z**2
    centre = (share + z2 / (2 * effective)) / (1 + z2 / effective)
    half = CONFIDENCE_Z / (1 + z2 / effective) * math.sqrt(share * (1 - share) / effective + z2 / (4 * effective**2))
    low = max(count, math.floor((centre - half) * population))
    high = min(population - (sample - count), math.ceil((centre + half) * population))
    return Estimate(round(share * population), low, high)
