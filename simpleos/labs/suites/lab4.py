"""Lab 4 visible tests: the new ABI rule rejects the handout's deny-all file, with the exact message.

`channel validate --abi` must refuse it with one line, the shipped files must
stay valid, and the `verified` model must keep it out of the sensor while the
machine comes up with every service listening. The file is the handout's,
suites/programs/C-00000291-denyall.toml. The instructor's hidden tests try
other deny-all rules (other ids, PROCESS, next to normal rules) and rules
that must stay valid.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from ..gradelib import Suite, expect_equal, expect_line

tests = Suite(4)
MESSAGE = "instance 291099: denies every event (all criteria are wildcards)"


def denyall(ctx):
    """C-00000291-denyall.sys, built by the workspace's `channel build` from the handout's source."""
    output = ctx.scratch / "C-00000291-denyall.sys"
    result = ctx.simpleos("channel", "build", ctx.program("C-00000291-denyall.toml"), "-o", output)
    expect_equal(result.code, 0, "exit status of channel build")
    return output


@tests.test(0, "the deny-all file builds", part="validator rule")
def builds(ctx):
    output = ctx.scratch / "C-00000291-denyall.sys"
    result = ctx.simpleos("channel", "build", ctx.program("C-00000291-denyall.toml"), "-o", output)
    expect_equal(result.stdout, f"built {output}: channel 291, content version 33, 1 instances, 132 bytes\n",
                 "channel build's output")


@tests.test(15, "validate --abi rejects it in one line", part="validator rule", parent=builds)
def rejects(ctx):
    path = denyall(ctx)
    result = ctx.simpleos("channel", "validate", "--abi", path)
    expect_equal(result.code, 1, "exit status of channel validate --abi")
    expect_equal(result.stderr, f"simpleos: {path}: {MESSAGE}\n", "stderr of channel validate --abi")


@tests.test(10, "the shipped files stay valid", part="validator rule", parent=builds)
def shipped_valid(ctx):
    for name in ("C-00000291-good.sys", "C-00000292-process.sys"):
        result = ctx.simpleos("channel", "validate", "--abi", f"channel_files/{name}")
        expect_equal((result.code, result.stdout), (0, "valid (template + ABI)\n"), f"channel validate --abi {name}")


@tests.test(15, "verified keeps it out and the machine comes up", part="validator rule", parent=builds)
def verified(ctx):
    result = ctx.boot_log("--model", "verified", "--channel", denyall(ctx))
    expect_line(result.stdout, f"verifier: rejected C-00000291-denyall.sys: {MESSAGE}; previous content stays",
                "the verified boot log")
    expect_line(result.stdout, "service: listening on \\\\.\\pipe\\spoolss", "the verified boot log")
    expect_line(result.stdout, "verdict: up", "the verified boot log")


tests.manual(5, "question (a)", "template rule or ABI rule, and why")
tests.manual(10, "question (b)", "another pattern that passes both validators and hurts the machine")
tests.manual(5, "question (c)", "rejecting what cannot be proved safe versus what is known unsafe")
