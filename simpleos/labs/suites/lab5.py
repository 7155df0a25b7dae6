"""Lab 5 visible tests: measurements.toml is complete, the policy is back as shipped, and the shipped row is right.

The grader measures the workspace's own microkernel row with `compare --json`
(so the policy must be put back before hand-in) and compares the student's
[shipped] row with it. The instructor's hidden tests compare the K = 1 and
no-backoff rows with the answer key.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from ..gradelib import Failed, Suite, expect, expect_equal, one_json_object
from ..tomlfile import read_toml

tests = Suite(5)
FILE = "labs/lab5/measurements.toml"
ROWS = ("shipped", "k1", "no_backoff")
FIELDS = ("crashes", "restarts", "downtime_ms", "recovery_ms", "unexamined")
SHIPPED = {"crashes": 2, "restarts": 2, "downtime_ms": 2000.1, "recovery_ms": 2000.158, "unexamined": 6}
BAD = "channel_files/C-00000291-bad.sys"


def measurements(ctx) -> dict:
    """The student's three rows (Failed if the file is missing or malformed)."""
    doc = read_toml(ctx.workspace_file(FILE), FILE)
    for row in ROWS:
        table = doc.get(row)
        expect(isinstance(table, dict), f"{FILE}: expected a table [{row}]")
        for name in FIELDS:
            value = table.get(name)
            expect(isinstance(value, (int, float)) and not isinstance(value, bool),
                   f"{FILE}: [{row}] {name}: expected a number, got {value!r}")
    return doc


def expect_same_row(got: dict, expected: dict, what: str) -> None:
    """Counts exactly, milliseconds to the table's three decimals."""
    for name in FIELDS:
        a, b = got.get(name), expected[name]
        same = round(float(a), 3) == round(float(b), 3) if isinstance(b, float) else a == b
        if not same:
            raise Failed(f"{what} {name}: expected {b}, got {a}")


def measured_row(ctx) -> dict:
    """The workspace's own microkernel row under CF291, as measurements.toml writes it."""
    doc = one_json_object(ctx.simpleos("compare", BAD, "--json").stdout, "compare --json")
    row = next((m for m in doc.get("models", []) if m.get("model") == "microkernel"), None)
    if row is None:
        raise Failed("compare --json has no microkernel row")
    recovery = row["time_to_recover_ms"]
    return {"crashes": row["sensor_crashes"], "restarts": row["sensor_restarts"], "downtime_ms": row["downtime_ms"],
            "recovery_ms": recovery if recovery is not None else -1.0, "unexamined": row["unexamined_events"]}


@tests.test(5, "measurements.toml has the three rows", part="measurements")
def complete(ctx):
    measurements(ctx)


@tests.test(10, "the policy is as shipped again", part="measurements")
def restored(ctx):
    expect_same_row(measured_row(ctx), SHIPPED, "this workspace's microkernel row")


@tests.test(15, "the shipped row matches the machine", part="measurements", parent=complete)
def shipped_row(ctx):
    mine = measurements(ctx)["shipped"]
    expect_same_row(mine, measured_row(ctx), f"{FILE} [shipped]")
    expect_equal(mine["crashes"] > 0, True, f"{FILE} [shipped] crashes (not measured yet?)")


tests.manual(10, "K = 1", "why one crash quarantines the file, and what K = 1 does to a file that crashed the "
                           "sensor once for an unrelated reason")
tests.manual(10, "no backoff", "what the backoff protects against, and why CF291 does not need that protection")
tests.manual(10, "the beacon", "why the beacon's first C2 pipe opens under the shipped policy")
tests.manual(10, "the trade-off", "availability (downtime, unexamined events) against safety from a sensor that "
                                  "crashes on every start")
