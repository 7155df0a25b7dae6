"""Lab 5 hidden tests: the K = 1 and no-backoff rows against the answer key.

The key was measured on the reference tree with each policy applied (and
tests/labs checks it again the same way), so a row copied from the shipped
one, or guessed, loses the points.
"""
from simpleos.labs.gradelib import Suite
from simpleos.labs.suites.lab5 import expect_same_row, measurements

tests = Suite(5)
PART = "hidden: the other two policies"
ANSWER_KEY = {
    "k1": {"crashes": 1, "restarts": 1, "downtime_ms": 0.05, "recovery_ms": 0.05, "unexamined": 1},
    "no_backoff": {"crashes": 2, "restarts": 2, "downtime_ms": 0.1, "recovery_ms": 0.158, "unexamined": 2},
}


@tests.test(15, "the K = 1 row", part=PART, parent="lab5 measurements.toml has the three rows")
def k1(ctx):
    expect_same_row(measurements(ctx)["k1"], ANSWER_KEY["k1"], "[k1]")


@tests.test(15, "the no-backoff row", part=PART, parent="lab5 measurements.toml has the three rows")
def no_backoff(ctx):
    expect_same_row(measurements(ctx)["no_backoff"], ANSWER_KEY["no_backoff"], "[no_backoff]")
