"""Lab 9 visible tests: the fuzzer finds no crash that the workspace's validator lets through.

Each campaign is the workspace's own `simpleos fuzz SEEDS --execs N --seed S
--json` against the original sensor build: a fixed number of executions,
never a time budget, so the same tree always gets the same crashes. Every
crash the report lists must fail the workspace's ABI validation (the
`abi_valid` verdict, from its own simpleos/channel/validate.py: template
rules and ABI rules together), the shipped good content must stay valid,
and the `verified` model must survive every crash file. A validator that
refuses the good content earns nothing for refusing crashes: the fuzzing
tests have the shipped-content test as their parent. A campaign must also
find the crash of 19 July (template-valid, ABI-invalid), which shows the
sensor is still the original and the fuzzer still works: fixing the sensor
instead of the validator is Lab 3, not this lab. The instructor's hidden
tests fuzz with other seeds and check harmless edge files.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from pathlib import Path

from ..gradelib import Failed, Suite, expect, expect_equal, expect_fields, one_json_object

tests = Suite(9)
EXECS = 3000                        # executions per campaign: seconds, not minutes, and deterministic
IPC_SEED = "channel_files/C-00000291-good.sys"
PROCESS_SEED = "channel_files/C-00000292-process.sys"
SHIPPED = ("channel_files/C-00000291-good.sys", "channel_files/C-00000292-process.sys")
PART = "fuzz your validator"


def campaign(ctx, seeds: list[str], seed: int) -> dict:
    """The workspace's `simpleos fuzz --json` report for one deterministic campaign (crash files in scratch)."""
    out = ctx.scratch / f"crashes-{seed}"
    result = ctx.simpleos("fuzz", *seeds, "--execs", str(EXECS), "--seed", str(seed), "--out", out, "--json")
    expect(result.code in (0, 3), f"simpleos fuzz: exit {result.code}: {result.stderr.strip()[-300:]}")
    return one_json_object(result.stdout, "fuzz --json")


def expect_no_hole(report: dict, seeds: list[str]) -> None:
    """Every crash of the campaign fails the workspace's ABI validation; else say how to see it."""
    for crash in report["crashes"]:
        if crash["abi_valid"]:
            fault = crash["fault"]
            rule = crash["explanation"][-1] if crash["explanation"] else ""
            raise Failed(f"the fuzzer found {crash['name']} after {crash['execs']} executions: it crashes the sensor "
                         f"({fault['name']} at {fault['symbol']}) and your validator accepts it; {rule}; see it "
                         f"with: simpleos fuzz {' '.join(seeds)} --execs {EXECS} --seed {report['seed']}")


def expect_finds_crashes(report: dict, seeds: list[str], july_2024: bool = False) -> None:
    """The campaign found crashes (and, if asked, the template-valid one of 19 July): the sensor still crashes."""
    found = [c for c in report["crashes"] if c["july_2024_gap"]] if july_2024 else report["crashes"]
    what = "the July 2024 crash (passes template validation, fails ABI validation)" if july_2024 else "a crash"
    expect(found, f"simpleos fuzz {' '.join(seeds)} --execs {EXECS} --seed {report['seed']} found no {what}: "
                  f"grade the validator, with the original sensor build, as shipped")


@tests.test(5, "the shipped content is still valid", part=PART)
def shipped_valid(ctx):
    for path in SHIPPED:
        result = ctx.simpleos("channel", "validate", "--abi", path)
        expect_equal((result.code, result.stdout, result.stderr), (0, "valid (template + ABI)\n", ""),
                     f"channel validate --abi {Path(path).name} (exit status, stdout, stderr)")


@tests.test(15, "fuzzing from the IPC content: every crash is rejected", part=PART, parent=shipped_valid)
def ipc_campaign(ctx):
    report = campaign(ctx, [IPC_SEED], 1)
    expect_finds_crashes(report, [IPC_SEED], july_2024=True)
    expect_no_hole(report, [IPC_SEED])


@tests.test(10, "fuzzing from the PROCESS content: every crash is rejected", part=PART, parent=shipped_valid)
def process_campaign(ctx):
    report = campaign(ctx, [PROCESS_SEED], 1)
    expect_finds_crashes(report, [PROCESS_SEED])
    expect_no_hole(report, [PROCESS_SEED])


@tests.test(10, "verified keeps every crash out", part=PART, parent=ipc_campaign)
def verified(ctx):
    files = [crash["file"] for crash in campaign(ctx, [IPC_SEED, PROCESS_SEED], 1)["crashes"]]
    channels = [arg for path in files for arg in ("--channel", path)]
    doc = ctx.boot_json("--model", "verified", "--max-boots", "1", *channels)
    expect_fields(doc, f"boot --model verified with the {len(files)} crash files", verdict="up")
    expect_fields(doc["sensor"], "its sensor counters", crashes=0)


tests.manual(10, "question (a)", "what the fuzzer found that the starter's validator let through, why the "
                                 "sensor crashes on it, and why your rule is general")
tests.manual(10, "question (b)", "why no crash in N executions is not a proof, and what would be one")
tests.manual(10, "question (c)", "the crashes that parsing or template validation refuse: why the sensor "
                                 "still must not crash on them")
