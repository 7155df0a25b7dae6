"""Lab 7 hidden tests: the policy on fleets and content the handout does not show, and the canary arithmetic.

- No false alarms on three fleets the student has not seen (a rare role, pinning,
  a model mix), with the good file and the harmless edge file: every stage out,
  nothing halted (how fast is the visible suite's business). This is the parent of the next two, as in the visible suite:
  an alarm that fires on good content earns nothing on bad content.
- The rare-role bug: C-00000291-kiosk-bad.sys when kiosks are 0.1% (and 0.05%)
  of the fleet, the p ~ 0.001 bug that a small canary misses (the built-in
  canary's first 101 hosts hold no kiosk; a whole-stage alarm sees 0.1% of its
  stage go silent, under any sensible threshold, and lets it through every
  stage). Graded on time to halt and on blast radius within the role.
- 1 - (1 - p)^n for the five pairs, to 0.001.
Every run is seeded; the fleets are modest so a grading run stays fast (the
simulator's work grows with its cohorts, not its machines).
"""
from simpleos.labs.gradelib import Suite, expect
from simpleos.labs.suites.lab7 import ANSWERS, answers, expect_goes_out, expect_halted_within, rollout, scenario

tests = Suite(7)
PART = "hidden: fleets you have not seen"
RARE_KIOSKS = ("--machines", "100000", "--roles", "workstation=0.799,server=0.2,kiosk=0.001")
RARER_PINNED = ("--machines", "50000", "--roles", "workstation=0.7,server=0.2995,kiosk=0.0005", "--pin", "n=0.7,n-1=0.3")
MIXED = ("--machines", "30000", "--mix", "monolithic=0.5,hybrid=0.2,microkernel=0.3", "--pin", "n=0.9,n-2=0.1")
HARMLESS = [("C-00000291-good.sys", RARE_KIOSKS, 1), ("C-00000291-edge.sys", RARER_PINNED, 2),
            ("C-00000291-good.sys", MIXED, 3)]
RARE_BUG = [("C-00000291-kiosk-bad.sys", RARE_KIOSKS, 0), ("C-00000291-kiosk-bad.sys", RARE_KIOSKS, 1),
            ("C-00000291-kiosk-bad.sys", RARER_PINNED, 0)]
RARE_BUG_HALT_WITHIN = 360           # minutes
RARE_BUG_MAX_SHARE = 0.1             # of the machines of the role it crashes
PAIRS = [(1, 1), (0.01, 10), (0.01, 100), (0.001, 100), (0.001, 1000)]


@tests.test(10, "no false alarms on fleets you have not seen", part=PART, parent="lab7 your policy runs")
def no_false_alarms(ctx):
    for channel, fleet, seed in HARMLESS:
        expect_goes_out(rollout(ctx, channel, *fleet, seed=seed))


@tests.test(10, "the rare-role bug is halted within 6 hours", part=PART, parent=no_false_alarms)
def rare_bug_halted(ctx):
    for channel, fleet, seed in RARE_BUG:
        expect_halted_within(rollout(ctx, channel, *fleet, seed=seed), RARE_BUG_HALT_WITHIN)


@tests.test(5, "the rare-role bug crashes at most a tenth of its role", part=PART, parent=no_false_alarms)
def rare_bug_blast(ctx):
    for channel, fleet, seed in RARE_BUG:
        report = rollout(ctx, channel, *fleet, seed=seed)
        kiosks = report["by_role"]["kiosk"]
        expect(report["crashed"] <= RARE_BUG_MAX_SHARE * kiosks["machines"],
               f"{scenario(report)}: {report['crashed']} machines crashed ({kiosks['crashed']} of the fleet's "
               f"{kiosks['machines']} kiosks); at most a tenth of the kiosks may")


@tests.test(5, "the canary probabilities", part="hidden: the arithmetic", parent="lab7 answers.toml is complete")
def canary(ctx):
    got = answers(ctx)["canary"]
    for (p, n), value in zip(PAIRS, got):
        expected = 1 - (1 - p) ** n
        expect(abs(value - expected) <= 0.001, f"{ANSWERS} canary for p = {p}, n = {n}: expected {expected:.4f}, "
                                               f"got {value}")
