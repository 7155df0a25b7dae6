"""Lab 7 visible tests: the student's rollout policy on the simulator, and the numbers of answers.toml.

Every rollout is the workspace's own `simpleos fleet --policy
labs/lab7/policy.py --workers 1 --json` (its classes booted in its own
SimpleOS, cached for the rest of the grading run), at fixed seeds. The grade
counts blast radius (machines crashed) and time to halt on bad content, and
first checks that good content goes out -- no false alarm, every stage
released -- because an alarm that also fires on good content tells nothing:
the bad-content tests have that test as their parent. The instructor's hidden
tests run the policy on fleets and content the handout does not show (a bug
on a rare role among them) and check the canary arithmetic; the written
answers are graded by hand.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from ..gradelib import Failed, Suite, expect, one_json_object
from ..tomlfile import read_toml

tests = Suite(7)
ANSWERS = "labs/lab7/answers.toml"
POLICY = "labs/lab7/policy.py"
FLEET = ("--machines", "20000")                      # the default roles, every machine monolithic
MIXED_FLEET = FLEET + ("--pin", "n=0.8,n-1=0.2", "--mix", "monolithic=0.6,microkernel=0.4")
OUT_WITHIN_MINUTES = 720                             # Rapid Response content must be everywhere in 12 hours
HALT_WITHIN_MINUTES = 60
MAX_BLAST = 0.01                                     # of the fleet, for content that crashes every machine it reaches
MEASURED_KEYS = ("fetched", "monolithic_crashed", "monolithic_machine_hours_lost", "microkernel_crashed",
                 "microkernel_sensor_crashed", "p")
PART_POLICY = "your policy"


def rollout(ctx, channel: str, *flags: str, seed: int = 0, policy: str = POLICY) -> dict:
    """The workspace's `simpleos fleet` report for one rollout of channel_files/CHANNEL under `policy`."""
    result = ctx.simpleos("fleet", "--channel", f"channel_files/{channel}", "--policy", policy, "--workers", "1",
                          "--seed", str(seed), "--json", *flags)
    if result.code != 0:
        raise Failed(f"simpleos fleet --channel {channel} --policy {policy}: exit {result.code}: "
                     f"{result.stderr.strip()[-300:]}")
    return one_json_object(result.stdout, "fleet --json")


def scenario(report: dict) -> str:
    """'C-00000291-bad.sys over 20,000 machines (monolithic, seed 0)', for messages."""
    return f"{report['channel']} over {report['machines']:,} machines ({report['model']}, seed {report['seed']})"


def expect_goes_out(report: dict) -> None:
    """Good content: never halted, and every stage released (the policy said DONE)."""
    expect(report["halted_after_minutes"] is None,
           f"{scenario(report)}: harmless content, but your policy halted the rollout after "
           f"{report['halted_after_minutes']} minutes (a false alarm)")
    expect(report["rollout_completed"],
           f"{scenario(report)}: harmless content, but the rollout never completed (stages released: "
           f"{sum(r['released_after_minutes'] is not None for r in report['rings'])} of {len(report['rings'])})")


def last_release(report: dict) -> int:
    """The minute the last stage went out."""
    return max(r["released_after_minutes"] or 0 for r in report["rings"])


def expect_small_blast(report: dict, share: float = MAX_BLAST) -> None:
    """At most `share` of the fleet crashed."""
    expect(report["crashed"] <= share * report["machines"],
           f"{scenario(report)}: {report['crashed']:,} machines crashed ({report['crashed'] / report['machines']:.2%}"
           f" of the fleet); at most {share:.0%} may")


def expect_halted_within(report: dict, minutes: int) -> None:
    """The rollout was halted, at most `minutes` after it began."""
    halted = report["halted_after_minutes"]
    expect(halted is not None, f"{scenario(report)}: the rollout was never halted ({report['crashed']:,} crashed)")
    expect(halted <= minutes, f"{scenario(report)}: halted after {halted} minutes; at most {minutes} may pass")


def answers(ctx) -> dict:
    """The student's numbers, every key present and a number (Failed otherwise)."""
    doc = read_toml(ctx.workspace_file(ANSWERS), ANSWERS)
    canary = doc.get("canary")
    expect(isinstance(canary, list) and len(canary) == 5 and all(_number(c) and c >= 0 for c in canary),
           f"{ANSWERS}: canary: expected five numbers, got {canary!r}")
    measured = doc.get("measured")
    expect(isinstance(measured, dict), f"{ANSWERS}: expected a [measured] table")
    for key in MEASURED_KEYS:
        expect(_number(measured.get(key)) and measured[key] >= 0,
               f"{ANSWERS}: measured.{key}: expected a number, got {measured.get(key)!r}")
    return doc


def _number(value) -> bool:
    """An int or a float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@tests.test(0, "answers.toml is complete", part="numbers")
def complete(ctx):
    answers(ctx)


@tests.test(5, "the measured numbers, as the simulator gives them", part="numbers", parent=complete)
def measured(ctx):
    got = answers(ctx)["measured"]
    mono = rollout(ctx, "C-00000291-server-bad.sys", *FLEET, "--model", "monolithic", policy="all-at-once")
    micro = rollout(ctx, "C-00000291-server-bad.sys", *FLEET, "--model", "microkernel", policy="all-at-once")
    expected = {"fetched": mono["fetched"], "monolithic_crashed": mono["crashed"],
                "monolithic_machine_hours_lost": mono["machine_hours_lost"], "microkernel_crashed": micro["crashed"],
                "microkernel_sensor_crashed": micro["sensor_crashed"]}
    for key, value in expected.items():
        expect(abs(got[key] - value) <= 0.1, f"{ANSWERS} measured.{key}: the simulator gives {value}, not {got[key]}")
    p = got["monolithic_crashed"] / got["fetched"] if got["fetched"] else 0.0
    expect(abs(got["p"] - p) <= 0.001, f"{ANSWERS} measured.p: expected {p:.4f} from your own numbers, got {got['p']}")


@tests.test(0, "your policy runs", part=PART_POLICY)
def runs(ctx):
    rollout(ctx, "C-00000291-good.sys", *FLEET)


@tests.test(10, "good content goes out: no false alarm, every stage released", part=PART_POLICY, parent=runs)
def no_false_alarm(ctx):
    expect_goes_out(rollout(ctx, "C-00000291-good.sys", *FLEET))


@tests.test(5, "good content: out everywhere within 12 hours", part=PART_POLICY, parent=runs)
def fast_enough(ctx):
    report = rollout(ctx, "C-00000291-good.sys", *FLEET)
    expect_goes_out(report)
    expect(last_release(report) <= OUT_WITHIN_MINUTES,
           f"{scenario(report)}: the last stage went out after {last_release(report)} minutes; Rapid Response "
           f"content must reach every stage within {OUT_WITHIN_MINUTES} minutes")


@tests.test(5, "19 July: at most 1% of the fleet crashes", part=PART_POLICY, parent=no_false_alarm)
def july_blast(ctx):
    expect_small_blast(rollout(ctx, "C-00000291-bad.sys", *FLEET))


@tests.test(5, "19 July: halted within an hour", part=PART_POLICY, parent=no_false_alarm)
def july_halt(ctx):
    expect_halted_within(rollout(ctx, "C-00000291-bad.sys", *FLEET), HALT_WITHIN_MINUTES)


@tests.test(5, "the server-only bug: at most 1% crash, halted within an hour", part=PART_POLICY,
            parent=no_false_alarm)
def server_bug(ctx):
    report = rollout(ctx, "C-00000291-server-bad.sys", *FLEET)
    expect_small_blast(report)
    expect_halted_within(report, HALT_WITHIN_MINUTES)


@tests.test(5, "19 July on a fleet with pinning and microkernels: stopped as early", part=PART_POLICY,
            parent=no_false_alarm)
def mixed_fleet(ctx):
    report = rollout(ctx, "C-00000291-bad.sys", *MIXED_FLEET, seed=1)
    expect_small_blast(report)
    expect_halted_within(report, HALT_WITHIN_MINUTES)


tests.manual(10, "question 1: the canary that cannot see", "1 - (1 - p)^n for a rare role: what a small canary "
                                                           "buys against a p = 0.001 bug, and what your policy "
                                                           "does instead")
tests.manual(10, "question 2: probability versus cost", "the measured numbers: the same p under both models, "
                                                        "a different cost; which one the model decides")
tests.manual(10, "question 3: your policy's trade-offs", "false alarms against blast radius against speed, "
                                                         "with your policy's numbers; what a microkernel fleet "
                                                         "would need the rollout to watch")
