"""Lab 6 visible tests: the sandboxed model, one new file, reaches --model, boot and compare.

A model is one file in simpleos/isolation/; the registry finds it (nothing
else to edit). The grader reads the workspace's `boot --help`, boot JSON and
log, and `compare` table: the sandboxed row must be the handout's, the four
shipped rows must not change, and the student's own model must have a row of
its own. The instructor's hidden tests check that the own model is not a
copy of a shipped one and that sandboxed holds up on other content.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

import re

from ..gradelib import Failed, Suite, count_lines, expect, expect_equal, expect_fields, expect_line

tests = Suite(6)
BAD = "channel_files/C-00000291-bad.sys"
SHIPPED_ROWS = {
    "monolithic": ["NO (bootloop)", "2", "3", "0", "until fixed", "by hand", "0", "1"],
    "hybrid": ["yes", "0", "4", "4", "0.200", "0.320", "4", "0"],
    "microkernel": ["yes", "0", "2", "2", "2,000.100", "2,000.158", "6", "0"],
    "verified": ["yes", "0", "0", "0", "0.000", "0.000", "0", "0"],
}
SANDBOXED_ROW = ["yes", "0", "1", "0", "10,001.157", "by hand", "9", "0"]
KNOWN = set(SHIPPED_ROWS) | {"sandboxed", "exokernel", "nanokernel"}   # the shipped models, and the handout's
# The kill line names the source line too; which line that is depends on the tree's sensor.asm
# (each lab's edition strips different answers), so the check reads it as sensor.asm:N.
KILL_LINE = ("pid 1 sensor: trap 14 #PF (page fault) rip 0x4002d2 <compare_string+0xa> (sensor.asm:N) "
             "addr 0xffff840500000374 err 0x4 [user read, page not present] -- killed")
SOURCE_LINE = re.compile(r"\(sensor\.asm:\d+\)")


def model_choices(ctx) -> list[str]:
    """The --model choices `simpleos boot --help` lists."""
    text = " ".join(ctx.simpleos("boot", "--help").stdout.split())
    match = re.search(r"--model \{([^}]*)\}", text)
    if match is None:
        raise Failed("boot --help: expected --model {...}, found no choices")
    return [name.strip() for name in match.group(1).split(",")]


def compare_table(ctx, path: str = BAD) -> dict[str, list[str]]:
    """model -> the cells of its row in the workspace's `simpleos compare` table."""
    lines = ctx.simpleos("compare", path).stdout.splitlines()
    rows = {}
    for line in lines[3:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 9:
            rows[cells[0]] = cells[1:]
    return rows


def own_models(rows) -> list[str]:
    """The student's own models: every model that is not shipped and not sandboxed."""
    return [name for name in rows if name not in KNOWN]


@tests.test(5, "sandboxed is a --model choice", part="models")
def choice(ctx):
    choices = model_choices(ctx)
    expect("sandboxed" in choices, f"boot --help --model choices: expected sandboxed among {choices}")


@tests.test(15, "sandboxed under Channel File 291", part="models", parent=choice)
def sandboxed(ctx):
    doc = ctx.boot_json("--model", "sandboxed", "--channel", BAD)
    expect_fields(doc, "boot --model sandboxed --json", model="sandboxed", verdict="up")
    expect_fields(doc["sensor"], "its sensor counters", crashes=1, restarts=0, quarantined=[], unexamined=9)
    log = ctx.boot_log("--model", "sandboxed", "--channel", BAD).stdout
    expect_line(SOURCE_LINE.sub("(sensor.asm:N)", log), KILL_LINE, "the boot log")
    expect_line(log, "sandboxed: the sensor is down; events pass unexamined (fail-open)", "the boot log")
    expect_equal(len([line for line in log.splitlines() if line.startswith("beacon: C2 channel open on ")]), 3,
                 "beacon C2 pipes opened")


@tests.test(10, "compare gains the sandboxed row; the shipped rows stay", part="models", parent=choice)
def compare_rows(ctx):
    rows = compare_table(ctx)
    expect_equal(rows.get("sandboxed"), SANDBOXED_ROW, "the sandboxed row of compare")
    for model, cells in SHIPPED_ROWS.items():
        expect_equal(rows.get(model), cells, f"the {model} row of compare")


@tests.test(10, "your own model has a row and boots good content", part="models", parent=choice)
def own_model(ctx):
    rows = compare_table(ctx)
    mine = own_models(rows)
    expect(bool(mine), f"compare: expected a row for a model of your own besides {sorted(KNOWN)}, got {list(rows)}")
    for model in mine:
        doc = ctx.boot_json("--model", model)
        expect_fields(doc, f"boot --model {model} --json (good content)", verdict="up")
        expect_fields(doc["sensor"], f"--model {model} sensor", crashes=0)
        log = ctx.boot_log("--model", model).stdout
        expect_equal(count_lines(log, "beacon: could not open its C2 pipe (blocked)"), 3, f"--model {model}: "
                     "beacon pipes blocked")


tests.manual(10, "your model's row, column by column", "one sentence per column of your model's compare row "
                                                        "explaining its value")
tests.manual(10, "question (a)", "manual steps 0 but recovery by hand: which is right, and how to change compare.py")
tests.manual(10, "question (b)", "make a model fail-closed by default, and what that costs under CF291")
