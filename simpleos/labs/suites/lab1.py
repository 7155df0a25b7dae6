"""Lab 1 visible tests: each of the eight programs ends the way the handout says.

For each fault program, `simpleos run labs/lab1/P.asm --json` must report the
program killed by the trap of the handout's table, with the kernel up and exit
status 0; efault.asm must exit with 14 (EFAULT). The instructor's hidden tests
look closer: error-code bits, addresses, the faulting instruction itself.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from ..gradelib import Suite, expect, expect_equal, expect_fields

tests = Suite(1)
FOLDER = "labs/lab1"

# program -> (vector, name) of the trap that must kill it
FAULTS = {
    "kread": (14, "#PF"),
    "wtext": (14, "#PF"),
    "xdata": (14, "#PF"),
    "cli": (13, "#GP"),
    "guard": (14, "#PF"),
    "div0": (0, "#DE"),
    "ud": (6, "#UD"),
}


@tests.test(0, "boot", part="faults")
def boot(ctx):
    """The workspace's kernel boots (every other test needs it)."""
    doc = ctx.boot_json()
    expect_fields(doc, "boot --json", verdict="up")


def program(ctx, name: str) -> str:
    """The student's program, as a path relative to the workspace (Failed if missing)."""
    ctx.workspace_file(f"{FOLDER}/{name}.asm")
    return f"{FOLDER}/{name}.asm"


def killed_by(name: str, vector: int, trap_name: str):
    """A test: `name`.asm is killed by the CPU with this trap, and the kernel stays up."""
    @tests.test(5, name, part="faults", parent=boot)
    def check(ctx):
        doc = ctx.run_json(program(ctx, name))
        expect_equal(ctx.last.code, 0, "exit status of simpleos run")
        expect_fields(doc, f"run {name}.asm", fate="killed", kernel="up")
        expect(doc["trap"] is not None, f"{name}: expected a CPU trap to kill it, got "
                                        "trap null (killed by the kernel, e.g. for CPU time)")
        expect_fields(doc["trap"], f"{name} trap", vector=vector, name=trap_name)
    return check


for _name, (_vector, _trap) in FAULTS.items():
    killed_by(_name, _vector, _trap)


@tests.test(5, "efault", part="faults", parent=boot)
def efault(ctx):
    """efault.asm survives: write() refuses the kernel pointer with EFAULT and it exits with 14."""
    doc = ctx.run_json(program(ctx, "efault"))
    expect_equal(ctx.last.code, 0, "exit status of simpleos run")
    expect_fields(doc, "run efault.asm", fate="exited", exit_code=14, trap=None, kernel="up")


tests.manual(5, "question (a)", "decode each error code bit by bit (P, W, U, I/D)")
tests.manual(5, "question (b)", "why guard is 'page not present' but kread 'protection violation'")
tests.manual(5, "question (c)", "why cli has no address")
tests.manual(5, "question (d)", "why efault survives when kread does not, although both name the same address")
