"""Lab 4 hidden tests: the rule is about *any* deny rule with only wildcards, and nothing else.

They catch a rule that rejects only the handout's instance id or only IPC
files (other deny-all rules must be rejected), and one that rejects more than
it should (notify rules and deny rules with a real criterion stay valid). The
files are built by the grader (ctx.channel_file), not by the workspace.
"""
from simpleos.labs.gradelib import Suite, expect_equal, expect_line

tests = Suite(4)
PART = "hidden: any deny-all rule, only those"
PARENT = "lab4 the deny-all file builds"
IPC_PAIR = """channel = 291
template_type = "IPC"
content_version = 40
[[instance]]
id = 291500
action = "deny"
criterion = [{ field = "pipe_name", kind = "prefix", value = '\\\\.\\pipe\\evil-' }]
[[instance]]
id = 291777
action = "deny"
"""
PROCESS_DENYALL = """channel = 292
template_type = "PROCESS"
content_version = 41
[[instance]]
id = 292444
action = "deny"
"""
NOTIFY_ALL = """channel = 291
template_type = "IPC"
content_version = 42
[[instance]]
id = 291600
action = "notify"
"""


def problems(ctx, path):
    result = ctx.simpleos("channel", "validate", "--abi", path)
    return result.code, result.stderr


@tests.test(10, "another deny-all rule, next to a normal one", part=PART, parent=PARENT)
def other_id(ctx):
    path = ctx.channel_file("C-00000291-pair.sys", IPC_PAIR)
    expect_equal(problems(ctx, path), (1, f"simpleos: {path}: instance 291777: denies every event (all criteria "
                                          f"are wildcards)\n"), "channel validate --abi (exit status, stderr)")


@tests.test(10, "a deny-all PROCESS rule", part=PART, parent=PARENT)
def process(ctx):
    path = ctx.channel_file("C-00000292-denyall.sys", PROCESS_DENYALL)
    expect_equal(problems(ctx, path), (1, f"simpleos: {path}: instance 292444: denies every event (all criteria "
                                          f"are wildcards)\n"), "channel validate --abi (exit status, stderr)")


@tests.test(5, "a notify rule with only wildcards stays valid", part=PART, parent=PARENT)
def notify(ctx):
    path = ctx.channel_file("C-00000291-notifyall.sys", NOTIFY_ALL)
    expect_equal(problems(ctx, path), (0, ""), "channel validate --abi (exit status, stderr)")


@tests.test(5, "a deny rule with a real criterion stays valid", part=PART, parent=PARENT)
def real_criterion(ctx):
    source = IPC_PAIR.split("[[instance]]\nid = 291777")[0]
    path = ctx.channel_file("C-00000291-one.sys", source)
    expect_equal(problems(ctx, path), (0, ""), "channel validate --abi (exit status, stderr)")


@tests.test(10, "verified keeps a PROCESS deny-all out; every program starts", part=PART, parent=PARENT)
def verified_process(ctx):
    path = ctx.channel_file("C-00000292-denyall.sys", PROCESS_DENYALL)
    log = ctx.boot_log("--model", "verified", "--channel", path).stdout
    expect_line(log, "verifier: rejected C-00000292-denyall.sys: instance 292444: denies every event (all criteria "
                     "are wildcards); previous content stays", "the verified boot log")
    expect_line(log, "beacon: could not open its C2 pipe (blocked)", "the verified boot log")
    expect_line(log, "verdict: up", "the verified boot log")
