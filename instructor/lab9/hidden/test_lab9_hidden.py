"""Lab 9 hidden tests: other fuzzing seeds, and harmless files at the edges of what the sensor supplies.

- Three more campaigns (fuzzer seeds 2, 3 and 4, from the IPC, PROCESS and edge
  files together) must find no crash the validator accepts. With seed 1 the
  first crash is a string test on field 3; these seeds reach string tests on
  other integer inputs first (max_instances, open_mode, creator_tree_depth),
  so a rule for one field lets one through. A crash the validator refuses
  and one it accepts are two crashes of the report (the verdicts are part of
  a crash's identity), so a rule for one template type is caught too.
- Harmless content must stay valid: the shipped edge file (an `int` test of
  the last input the sensor supplies) and four files built here by the grader
  (integer tests of integer inputs, string tests of the last string inputs,
  deny rules with real criteria; no deny-all rule, so Lab 4's rule may stay).
  tests/labs checks that each is valid in the project and boots a monolithic
  machine that comes up.
"""
from simpleos.labs.gradelib import Suite, expect_equal
from simpleos.labs.suites.lab9 import IPC_SEED, PROCESS_SEED, campaign, expect_finds_crashes, expect_no_hole

tests = Suite(9)
PART = "hidden: fuzzing harder, edges that must pass"
EDGE = "channel_files/C-00000291-edge.sys"
MORE_SEEDS = (2, 3, 4)
HARMLESS = {
    "C-00000291-lastinputs.sys": """channel = 291
template_type = "IPC"
content_version = 60
[[instance]]
id = 291601
action = "notify"
criterion = [{ field = "session_id", kind = "int", value = 1 },
             { field = "owner_sid", kind = "equals", value = "S-1-5-18" },
             { field = "creator_signer", kind = "prefix", value = "Microsoft" },
             { field = "creator_tree_depth", kind = "int", value = 3 }]
""",
    "C-00000291-integers.sys": """channel = 291
template_type = "IPC"
content_version = 61
[[instance]]
id = 291602
action = "notify"
criterion = [{ field = "open_mode", kind = "int", value = 3 }, { field = "pipe_mode", kind = "int", value = 0 },
             { field = "max_instances", kind = "int", value = 255 }, { field = "default_timeout", kind = "int", value = 0 },
             { field = "remote_client_flag", kind = "int", value = 0 }]
[[instance]]
id = 291603
action = "deny"
criterion = [{ field = "pipe_name", kind = "equals", value = '\\\\.\\pipe\\evil' },
             { field = "creator_pid", kind = "int", value = 4242 }]
""",
    "C-00000292-lastinputs.sys": """channel = 292
template_type = "PROCESS"
content_version = 62
[[instance]]
id = 292601
action = "notify"
criterion = [{ field = "pid", kind = "int", value = 1 }, { field = "integrity_level", kind = "int", value = 4 },
             { field = "signer", kind = "equals", value = "SimpleOS" }]
""",
    "C-00000292-denytmp.sys": """channel = 292
template_type = "PROCESS"
content_version = 63
[[instance]]
id = 292602
action = "deny"
criterion = [{ field = "image_path", kind = "prefix", value = "/tmp/evil" },
             { field = "user", kind = "equals", value = "nobody" },
             { field = "image_hash_prefix", kind = "prefix", value = "deadbeef" }]
""",
}


@tests.test(15, "fuzzing with other seeds: every crash is rejected", part=PART,
            parent="lab9 the shipped content is still valid")
def more_seeds(ctx):
    seeds = [IPC_SEED, PROCESS_SEED, EDGE]
    for seed in MORE_SEEDS:
        report = campaign(ctx, seeds, seed)
        expect_finds_crashes(report, seeds)
        expect_no_hole(report, seeds)


@tests.test(15, "harmless edge files stay valid", part=PART)
def harmless(ctx):
    paths = [EDGE] + [ctx.channel_file(name, source) for name, source in HARMLESS.items()]
    for path in paths:
        result = ctx.simpleos("channel", "validate", "--abi", path)
        expect_equal((result.code, result.stderr), (0, ""),
                     f"channel validate --abi of a harmless file ({ctx.clean(str(path))}): exit status, stderr")
