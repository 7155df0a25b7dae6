"""Lab 10 hidden tests: view 3 holds beyond the demo boot.

The visible tests boot a workstation under monolithic with the original build,
where the beacon is the sixth and last address space. These try the other
ring-0 model (verified) and the fixed build (other code offsets, other paths),
other roles (a server has seven address spaces, a kiosk five: a loop over a
constant count fails one of them), and make sure nothing but the beacon is ever
reported -- by either view, under either rootkit, with other content.
"""
from simpleos.labs.gradelib import Suite, expect, expect_equal, expect_fields, log_lines

tests = Suite(10)
PART = "hidden: beyond the demo boot"
PARENT = "lab10 the sensor with the scan boots with the deep rootkit"
REPORT = "sensor: cross-view: pid "


def found(ctx, *argv, machine=None):
    """(hidden_found, cross-view lines) of a boot of the workspace (a fresh machine unless `machine`)."""
    where = ["--machine", machine] if machine else ["--machine", ctx.machine(), "--fresh"]
    doc = ctx.simpleos("boot", *where, "--json", *argv)
    from simpleos.labs.gradelib import one_json_object
    result = one_json_object(doc.stdout, f"boot {' '.join(argv)} --json")
    expect_fields(result, f"boot {' '.join(argv)} --json", verdict="up")
    log = ctx.simpleos("boot", *where, *argv).stdout
    return result["sensor"]["hidden_found"], [line for line in log_lines(log) if line.startswith(REPORT)]


@tests.test(10, "the other ring-0 model and the fixed build find it too", part=PART, parent=PARENT)
def other_ring_0(ctx):
    for argv in (["--model", "verified"], ["--sensor-build", "fixed"], ["--model", "verified", "--sensor-build", "fixed"]):
        names, lines = found(ctx, "--rootkit", "deep", *argv)
        expect_equal(names, ["beacon"], f"--rootkit deep {' '.join(argv)}: hidden_found")
        expect(any("beacon is in the address-space roots" in line for line in lines),
               f"--rootkit deep {' '.join(argv)}: expected the roots to give the beacon away, got {lines}")


@tests.test(10, "other roles: more and fewer address spaces", part=PART, parent=PARENT)
def other_roles(ctx):
    for role, pid in (("server", 9), ("kiosk", 7)):
        machine = ctx.machine()
        ctx.simpleos("boot", "--machine", machine, "--fresh", "--json")
        ctx.simpleos("disk", "put", str(ctx.write(f"role-{role}", role + "\n")), "/etc/role", "--machine", machine)
        names, lines = found(ctx, "--rootkit", "deep", machine=machine)
        expect_equal(names, ["beacon"], f"role {role}, --rootkit deep: hidden_found")
        expect(any(line.startswith(f"{REPORT}{pid} beacon is in the address-space roots") for line in lines),
               f"role {role}: expected pid {pid} beacon found in the address-space roots, got {lines}")


@tests.test(10, "nothing but the beacon, ever", part=PART, parent=PARENT)
def no_false_positives(ctx):
    for argv in (["--rootkit", "unlink"], ["--rootkit", "deep"],
                 ["--rootkit", "deep", "--channel", "channel_files/C-00000292-process.sys"],
                 ["--rootkit", "unlink", "--sensor-build", "fixed", "--seed", "3"]):
        names, lines = found(ctx, *argv)
        expect_equal(names, ["beacon"], f"{' '.join(argv)}: hidden_found")
        expect_equal(len(lines), 1, f"{' '.join(argv)}: cross-view lines (one per hidden process)")
