"""Lab 3 hidden tests: the bounds check holds for other template types and other field counts.

CF291 is IPC, 20 inputs supplied, a criterion on index 20. A check against the
constant 20 passes it; so does one that refuses only index 20. These files do
not: PROCESS rules (8 inputs) on indexes 8 and 10, and an IPC rule on index
22. Each must behave, under the fixed build, exactly like good content (the
rule skipped, nothing crashed, nothing extra denied). A last one makes sure
the check refuses nothing in bounds (the last PROCESS input, index 7).
The files are built by the grader (ctx.channel_file), not by the workspace.
"""
from simpleos.labs.gradelib import Suite, count_lines, expect, expect_equal, expect_fields, expect_line

tests = Suite(3)
PART = "hidden: other types and field counts"
PARENT = "lab3 the fixed build assembles and boots"
BOUNDS_LINE = "sensor: bounds check: a rule reads an input the sensor does not supply; rule skipped"

PROCESS_9 = """channel = 292
template_type = "PROCESS"
content_version = 90
field_count = 9
[[instance]]
id = 292901
action = "deny"
criterion = [{ field = "image_path", kind = "prefix", value = "/bin/" }, { field = 8, kind = "equals", value = "x" }]
"""
PROCESS_12 = """channel = 292
template_type = "PROCESS"
content_version = 91
field_count = 12
[[instance]]
id = 292911
action = "deny"
criterion = [{ field = 10, kind = "int", value = 0 }]
"""
IPC_24 = """channel = 291
template_type = "IPC"
content_version = 92
field_count = 24
[[instance]]
id = 291921
action = "notify"
criterion = [{ field = "pipe_name", kind = "prefix", value = '\\\\.\\pipe\\' }, { field = 22, kind = "equals", value = "x" }]
"""
IN_BOUNDS = """channel = 292
template_type = "PROCESS"
content_version = 93
[[instance]]
id = 292931
action = "deny"
criterion = [{ field = "image_path", kind = "equals", value = "/bin/service" }, { field = "command_line", kind = "equals", value = 'service \\\\.\\pipe\\lsarpc' }, { field = 7, kind = "equals", value = "SimpleOS" }]
"""


def behaves_like_good_content(ctx, name, source, model="monolithic"):
    """Under the fixed build, `source` changes nothing but the bounds-check lines."""
    good = ctx.boot_json("--sensor-build", "fixed", "--model", model)
    path = ctx.channel_file(name, source)
    doc = ctx.boot_json("--sensor-build", "fixed", "--model", model, "--channel", path, "--max-boots", "1")
    expect_fields(doc, f"fixed build, {model}, with {name}", verdict="up")
    expect_equal(doc["sensor"], good["sensor"], f"sensor counters with {name} (vs good content)")
    log = ctx.boot_log("--sensor-build", "fixed", "--model", model, "--channel", path, "--max-boots", "1").stdout
    expect(count_lines(log, BOUNDS_LINE) >= 1, f"{name}: expected the bounds-check line, none logged")


@tests.test(10, "a PROCESS rule on input 9 of 8", part=PART, parent=PARENT)
def process_9(ctx):
    behaves_like_good_content(ctx, "C-00000292-nine.sys", PROCESS_9)


@tests.test(10, "a PROCESS integer rule on input 11 of 8", part=PART, parent=PARENT)
def process_12(ctx):
    behaves_like_good_content(ctx, "C-00000292-twelve.sys", PROCESS_12)


@tests.test(5, "an IPC rule on input 23 of 20", part=PART, parent=PARENT)
def ipc_24(ctx):
    behaves_like_good_content(ctx, "C-00000291-twentyfour.sys", IPC_24)


@tests.test(5, "the same at ring 3", part=PART, parent=PARENT)
def ring3(ctx):
    behaves_like_good_content(ctx, "C-00000292-nine.sys", PROCESS_9, model="microkernel")


@tests.test(5, "a rule on the last input supplied still works", part=PART, parent=PARENT)
def in_bounds(ctx):
    good = ctx.boot_json("--sensor-build", "fixed")
    path = ctx.channel_file("C-00000292-lsarpc.sys", IN_BOUNDS)
    doc = ctx.boot_json("--sensor-build", "fixed", "--channel", path)
    expect_fields(doc, "fixed build with a deny rule for the lsarpc service", verdict="up")
    expect_equal(doc["sensor"]["denials"], good["sensor"]["denials"] + 1, "denials (the lsarpc service is denied too)")
    log = ctx.boot_log("--sensor-build", "fixed", "--channel", path).stdout
    expect_line(log, "sensor: DENY PROCESS /bin/service (rule 292931)", "the boot log")
