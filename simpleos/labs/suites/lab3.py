"""Lab 3 visible tests: the student's bounds check, as the fixed build, against Channel File 291.

The check goes in an `.if BOUNDS_CHECK` block of drivers/sensor/sensor.asm, so
`--sensor-build original` still reproduces 19 July 2024 (and the workspace's
own tests of the crash stay green) while `--sensor-build fixed` is the
student's fix. These tests boot the workspace's own sensor. The instructor's
hidden tests use other template types and field counts, so a check against
the constant 20 instead of the number of inputs supplied (r15) fails.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from ..gradelib import Suite, count_lines, expect, expect_equal, expect_fields, expect_no_line

tests = Suite(3)
BAD = "channel_files/C-00000291-bad.sys"
BOUNDS_LINE = "sensor: bounds check: a rule reads an input the sensor does not supply; rule skipped"
UP_WITH_CF291 = {"crashes": 0, "restarts": 0, "quarantined": [], "rejected": [], "detections": 1, "denials": 3,
                 "events": 12, "notifications": 1, "unexamined": 0}
ONE_GOOD_BOOT = [{"index": 1, "mode": "normal", "outcome": "up", "bugcheck": None, "dump": None}]


@tests.test(0, "the fixed build assembles and boots", part="bounds check")
def builds(ctx):
    doc = ctx.boot_json("--sensor-build", "fixed")
    expect_fields(doc, "boot --sensor-build fixed --json", verdict="up")


@tests.test(10, "the original build still reproduces 19 July", part="bounds check", parent=builds)
def original_crashes(ctx):
    """Your check is in the .if BOUNDS_CHECK block: the shipped build still faults at compare_string+0xa."""
    doc = ctx.boot_json("--channel", BAD, "--max-boots", "1")
    expect_fields(doc, "original build with CF291", verdict="bootloop")
    bugcheck = doc["boots"][0]["bugcheck"] or {}
    expect_fields(bugcheck, "its bugcheck", code=0x50, module="sensor.sys", offset=0x2d2)


@tests.test(15, "the fixed build survives Channel File 291", part="bounds check", parent=builds)
def fixed_survives(ctx):
    doc = ctx.boot_json("--channel", BAD, "--sensor-build", "fixed")
    expect_fields(doc, "boot --sensor-build fixed --channel C-00000291-bad.sys --json", model="monolithic",
                  verdict="up", boots=ONE_GOOD_BOOT)
    expect_fields(doc["sensor"], "its sensor counters", **UP_WITH_CF291)


@tests.test(5, "the fixed build survives it at ring 3 too", part="bounds check", parent=builds)
def ring3(ctx):
    for model in ("hybrid", "microkernel"):
        doc = ctx.boot_json("--channel", BAD, "--sensor-build", "fixed", "--model", model)
        expect_fields(doc, f"--model {model}", verdict="up")
        expect_fields(doc["sensor"], f"--model {model} sensor", crashes=0, restarts=0, quarantined=[])


@tests.test(5, "the fixed build logs the bounds check once per named pipe", part="bounds check", parent=builds)
def logs(ctx):
    result = ctx.boot_log("--channel", BAD, "--sensor-build", "fixed")
    expect_equal(count_lines(result.stdout, BOUNDS_LINE), 4, f"lines {BOUNDS_LINE!r} (one per service pipe)")


@tests.test(10, "the fixed build changes nothing for good content", part="bounds check", parent=builds)
def good_content(ctx):
    original = ctx.boot_json()
    fixed = ctx.boot_json("--sensor-build", "fixed")
    expect_equal(fixed["sensor"], original["sensor"], "sensor counters, fixed build vs original, good content")
    expect(fixed["verdict"] == "up", f"fixed build with good content: expected verdict up, got {fixed['verdict']}")
    expect_no_line(ctx.boot_log("--sensor-build", "fixed").stdout, "bounds check", "fixed build, good content")


tests.manual(5, "question (a)", "why jb/jae and not jl/jge")
tests.manual(10, "question (b)", "skipping the rule versus skipping only the criterion, and what that does to "
                                 "rule 291003's meaning")
tests.manual(5, "question (c)", "where a compile-time check of the input count would go (IPC_INPUTS, "
                                "simpleos/channel/templates.py)")
