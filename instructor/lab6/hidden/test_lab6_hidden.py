"""Lab 6 hidden tests: the own model is a model of its own; sandboxed holds up on other content.

A "new" model that is a copy of microkernel (or of any other) gives the same
compare row as its original under every content update: it must differ from
every other model under CF291 or under a second crashing file (a PROCESS
rule on input 9 of 8, built by the grader). Sandboxed must never restart,
must run the sensor at ring 3, and must honour --fail-closed.
"""
from simpleos.labs.gradelib import Suite, expect, expect_fields, expect_line, one_json_object
from simpleos.labs.suites.lab6 import BAD, KNOWN

tests = Suite(6)
PART = "hidden: models of their own"
PROCESS_CRASH = """channel = 292
template_type = "PROCESS"
content_version = 90
field_count = 9
[[instance]]
id = 292901
action = "deny"
criterion = [{ field = "image_path", kind = "prefix", value = "/bin/" }, { field = 8, kind = "equals", value = "x" }]
"""


def crash_file(ctx):
    return ctx.channel_file("C-00000292-nine.sys", PROCESS_CRASH)


def rows(ctx, path):
    """model -> its compare --json row without the name."""
    doc = one_json_object(ctx.simpleos("compare", path, "--json").stdout, "compare --json")
    return {row["model"]: {k: v for k, v in row.items() if k != "model"} for row in doc["models"]}


@tests.test(15, "your model is a model of its own", part=PART, parent="lab6 your own model has a row and boots good content")
def not_a_copy(ctx):
    first, second = rows(ctx, BAD), rows(ctx, crash_file(ctx))
    for mine in [m for m in first if m not in KNOWN]:
        for other in first:
            if other != mine:
                expect(first[mine] != first[other] or second.get(mine) != second.get(other),
                       f"{mine} behaves exactly like {other} under CF291 and under a second crashing file: "
                       f"expected a model of its own")


@tests.test(10, "sandboxed never restarts, whatever crashes it", part=PART, parent="lab6 sandboxed is a --model choice")
def other_crash(ctx):
    doc = ctx.boot_json("--model", "sandboxed", "--channel", crash_file(ctx))
    expect_fields(doc, "boot --model sandboxed with a PROCESS crash", verdict="up")
    expect_fields(doc["sensor"], "its sensor counters", crashes=1, restarts=0, quarantined=[])
    log = ctx.boot_log("--model", "sandboxed").stdout
    expect_line(log, "driver: sensor.sys (original build) started as pid 1 (ring 3, own address space)", "boot log")


@tests.test(5, "sandboxed honours --fail-closed", part=PART, parent="lab6 sandboxed is a --model choice")
def fail_closed(ctx):
    log = ctx.boot_log("--model", "sandboxed", "--fail-closed", "--channel", BAD).stdout
    expect_line(log, "sandboxed: the sensor is down; events are denied (fail-closed)", "boot --fail-closed log")
    expect(not any(line.startswith("beacon: C2 channel open") for line in log.splitlines()),
           "--fail-closed: expected no beacon C2 pipe to open")
