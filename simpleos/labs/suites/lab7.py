"""Lab 7 visible tests: answers.toml is complete and its measured part matches the machine.

The grader boots ten fresh machines with Channel File 291 (seeds 0-9, one boot
each) in the workspace and compares their outcomes and p with the student's.
The instructor's hidden tests check the computed numbers; the one-page
argument is graded by hand.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from ..gradelib import Suite, expect, expect_equal
from ..tomlfile import read_toml

tests = Suite(7)
FILE = "labs/lab7/answers.toml"
BAD = "channel_files/C-00000291-bad.sys"


def answers(ctx) -> dict:
    """The student's answers, every key present with the right type (Failed otherwise)."""
    doc = read_toml(ctx.workspace_file(FILE), FILE)
    outcomes = doc.get("outcomes")
    expect(isinstance(outcomes, list) and len(outcomes) == 10 and all(o in ("up", "bugcheck") for o in outcomes),
           f"{FILE}: outcomes: expected ten of \"up\" or \"bugcheck\", got {outcomes!r}")
    canary = doc.get("canary")
    expect(isinstance(canary, list) and len(canary) == 5 and all(isinstance(c, (int, float)) for c in canary),
           f"{FILE}: canary: expected five numbers, got {canary!r}")
    for key in ("p", "crashed_with_rings", "first_ring_crashes_p001"):
        value = doc.get(key)
        expect(isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0,
               f"{FILE}: {key}: expected a number, got {value!r}")
    return doc


@tests.test(5, "answers.toml is complete", part="numbers")
def complete(ctx):
    answers(ctx)


@tests.test(10, "the ten boots, as the machine gives them", part="numbers", parent=complete)
def ten_boots(ctx):
    measured = []
    for seed in range(10):
        doc = ctx.boot_json("--seed", str(seed), "--max-boots", "1", "--channel", BAD)
        measured.append(doc["boots"][0]["outcome"])
    expect_equal(answers(ctx)["outcomes"], measured, f"{FILE} outcomes (seeds 0-9)")


@tests.test(5, "p is the fraction that bugchecked", part="numbers", parent=complete)
def p_from_outcomes(ctx):
    doc = answers(ctx)
    expected = doc["outcomes"].count("bugcheck") / 10
    expect(abs(doc["p"] - expected) < 1e-9, f"{FILE} p: expected {expected} from your outcomes, got {doc['p']}")


tests.manual(10, "question 3: the alarm", "is about 85 crashes in the first ring enough to trip an alarm against "
                                          "a baseline of normal reboots")
tests.manual(20, "question 4: the models", "which model makes a canary unnecessary for this bug, which makes it "
                                           "insufficient, argued with compare rows")
tests.manual(20, "the one-page argument", "the distinction between crash probability (p) and crash cost (the model)")
