"""Seeded random draws for the fleet: how many machines of a group do what, and when.

Outcomes never come from here: whether a machine crashes is decided by
booting its class in SimpleOS (classes.py). These draws decide only timing
and placement -- which ring a machine is in, when it comes online, at which
minute of its check-in cycle it fetches, how many healthy machines happen to
be rebooting when the rollout looks (the baseline noise). Every draw comes
from a `random.Random` seeded with the fleet seed and a purpose, so adding a
draw of one purpose never shifts another's. Pure Python: no numpy.
"""
from __future__ import annotations

import math
import random


def stream(seed: int, purpose: str) -> random.Random:
    """A generator for one purpose ("placement", "timing", "noise") of one seeded run."""
    return random.Random(f"simpleos-fleet:{seed}:{purpose}")


def split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Share `total` machines out in proportion to `weights`, as whole machines.

    Systematic sampling: each share is the floor or the ceiling of its
    expected value, the shares add up to `total` exactly, and which shares
    get the extra machine is a seeded draw (so a group expected to have 0.1
    machines in a ring has one with probability 0.1)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    weight_sum = float(sum(weights))
    if weight_sum <= 0:
        raise ValueError("split needs a positive weight")
    offset = rng.random()
    shares, cumulative, taken = [], 0.0, 0
    for weight in weights:
        cumulative += weight
        upto = min(total, math.floor(cumulative / weight_sum * total + offset))
        shares.append(upto - taken)
        taken = upto
    shares[-1] += total - taken           # float rounding never loses a machine
    return shares


def binomial(n: int, p: float, rng: random.Random) -> int:
    """How many of n machines, each with probability p, do the thing (a binomial draw).

    Exact for small n*p (inversion); a rounded normal approximation for
    large n*p, where the difference is far below the noise it models."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(n, 1.0 - p, rng)
    mean = n * p
    if mean < 30:
        return _binomial_by_inversion(n, p, rng)
    draw = round(rng.gauss(mean, math.sqrt(mean * (1.0 - p))))
    return max(0, min(n, draw))


def _binomial_by_inversion(n: int, p: float, rng: random.Random) -> int:
    """Walk the binomial distribution's cumulative probabilities until they pass a uniform draw."""
    u = rng.random()
    q = 1.0 - p
    probability = q ** n
    cumulative = probability
    k = 0
    while cumulative < u and k < n:
        probability *= (n - k) / (k + 1) * p / q
        k += 1
        cumulative += probability
    return k
