"""Lab 7 hidden tests: the computed numbers.

1 - (1 - p)^n for the five pairs (to 0.001, the precision the handout's
numbers are given to), the machines that crash with rings for p = 1 (1 % of
8.5 million) and the first ring's crashes for p = 0.001 (about 85).
"""
from simpleos.labs.gradelib import Suite, expect, expect_equal
from simpleos.labs.suites.lab7 import FILE, answers

tests = Suite(7)
PART = "hidden: the arithmetic"
PAIRS = [(1, 1), (0.01, 10), (0.01, 100), (0.001, 100), (0.001, 1000)]
FLEET = 8_500_000


@tests.test(15, "the canary probabilities", part=PART, parent="lab7 answers.toml is complete")
def canary(ctx):
    got = answers(ctx)["canary"]
    for (p, n), value in zip(PAIRS, got):
        expected = 1 - (1 - p) ** n
        expect(abs(value - expected) <= 0.001, f"{FILE} canary for p = {p}, n = {n}: expected {expected:.4f}, "
                                               f"got {value}")


@tests.test(10, "the first ring", part=PART, parent="lab7 answers.toml is complete")
def first_ring(ctx):
    expect_equal(answers(ctx)["crashed_with_rings"], FLEET // 100, f"{FILE} crashed_with_rings")


@tests.test(5, "the first ring for p = 0.001", part=PART, parent="lab7 answers.toml is complete")
def first_ring_small_p(ctx):
    value = answers(ctx)["first_ring_crashes_p001"]
    expect(80 <= value <= 90, f"{FILE} first_ring_crashes_p001: expected about {FLEET // 100 // 1000}, got {value}")
