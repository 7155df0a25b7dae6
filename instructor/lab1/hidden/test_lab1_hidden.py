"""Lab 1 hidden tests: each program faults *the right way*, not just with the right vector.

The visible tests check fate, vector and name. These check what the handout's
table asks for: the error-code bits and the address of each #PF, and the
faulting instruction itself (assembled and decoded by the grader). They catch
`int3` for `ud2`, `hlt` for `cli`, a read of the program's own stack for
kread, and an efault that just exits with 14 without calling write.
"""
import re

from simpleos.labs.gradelib import Failed, Suite, expect, expect_equal, log_lines
from simpleos.labs.listing import assembled, data_range, instruction_at, text_range

tests = Suite(1)
KERNEL_HALF = 0xFFFF800000000000
GUARD_PAGE = range(0x7FFFFFFEE000, 0x7FFFFFFEF000)
KERNEL_ADDRESS = re.compile(r"0x0*ffff800000001000\b", re.IGNORECASE)
USER_STACK_ADDRESS = "0x7fffffffe000"      # mapped, readable: write() succeeds from there


def fault(ctx, name):
    """(trap JSON, error code or None) of labs/lab1/NAME.asm."""
    result = ctx.simpleos("run", f"labs/lab1/{name}.asm", "--machine", ctx.machine(), "--fresh")
    error = None
    for line in log_lines(result.stdout):
        match = re.search(rf" {re.escape(name)}: trap \d+ .* err (0x[0-9a-f]+) ", line)
        if match:
            error = int(match.group(1), 16)
    doc = ctx.run_json(f"labs/lab1/{name}.asm")
    if doc.get("trap") is None:
        raise Failed(f"{name}: expected a trap, got {doc}")
    return doc["trap"], error


@tests.test(5, "kread reads the kernel half (err 0x5)", part="hidden: the right fault", parent="lab1 kread")
def kread(ctx):
    trap, error = fault(ctx, "kread")
    expect(trap["address"] >= KERNEL_HALF, f"expected a read of the kernel half, got address {trap['address']:#x}")
    expect_equal(error, 0x5, "error code (user read, protection violation)")


@tests.test(5, "wtext writes its own text (err 0x7)", part="hidden: the right fault", parent="lab1 wtext")
def wtext(ctx):
    trap, error = fault(ctx, "wtext")
    image = assembled(ctx.workspace, "labs/lab1/wtext.asm")
    expect(trap["address"] in text_range(image), f"expected a write into the program's text, got address "
                                                 f"{trap['address']:#x}")
    expect_equal(error, 0x7, "error code (user write, protection violation)")


@tests.test(5, "xdata executes its data (err 0x15)", part="hidden: the right fault", parent="lab1 xdata")
def xdata(ctx):
    trap, error = fault(ctx, "xdata")
    image = assembled(ctx.workspace, "labs/lab1/xdata.asm")
    expect_equal(trap["address"], trap["rip"], "fault address (an instruction fetch faults at rip)")
    expect(trap["rip"] in data_range(image), f"expected rip in the program's data, got {trap['rip']:#x}")
    expect_equal(error, 0x15, "error code (user instruction fetch, protection violation)")


@tests.test(5, "guard runs into the guard page (err 0x6)", part="hidden: the right fault", parent="lab1 guard")
def guard(ctx):
    trap, error = fault(ctx, "guard")
    expect(trap["address"] in GUARD_PAGE, f"expected the guard page 0x7ffffffee000-0x7ffffffeefff, got "
                                          f"{trap['address']:#x}")
    expect_equal(error, 0x6, "error code (user write, page not present)")


def faulting_instruction(ctx, name, expected):
    """The instruction at the reported rip must be one of `expected`."""
    doc = ctx.run_json(f"labs/lab1/{name}.asm")
    trap = doc.get("trap") or {}
    image = assembled(ctx.workspace, f"labs/lab1/{name}.asm")
    got = instruction_at(image, trap.get("rip", -1))
    expect(got in expected, f"{name}: expected the fault at {' or '.join(expected)}, got {got!r} at rip "
                            f"{trap.get('rip', 0):#x}")


@tests.test(5, "cli faults at cli", part="hidden: the right fault", parent="lab1 cli")
def cli(ctx):
    faulting_instruction(ctx, "cli", ("cli",))


@tests.test(5, "div0 faults at a division", part="hidden: the right fault", parent="lab1 div0")
def div0(ctx):
    faulting_instruction(ctx, "div0", ("div", "idiv"))


@tests.test(5, "ud faults at ud2", part="hidden: the right fault", parent="lab1 ud")
def ud(ctx):
    faulting_instruction(ctx, "ud", ("ud2",))


@tests.test(5, "efault really hands the address to write", part="hidden: the right fault", parent="lab1 efault")
def efault(ctx):
    """With a readable user address in place of the kernel one, write() succeeds: a program that
    only pretends (exit 14 without calling write) still exits with 14."""
    source = ctx.workspace_file("labs/lab1/efault.asm").read_text(encoding="utf-8")
    expect(KERNEL_ADDRESS.search(source) is not None, "efault.asm: expected the kernel address "
                                                      "0xffff800000001000 in the source (the handout's)")
    mutated = ctx.write("efault_user.asm", KERNEL_ADDRESS.sub(USER_STACK_ADDRESS, source))
    doc = ctx.run_json(mutated)
    expect(doc.get("fate") == "exited" and doc.get("exit_code") != 14,
           f"with the address {USER_STACK_ADDRESS} instead, expected write() to succeed and the exit code "
           f"to change from 14, got {doc}")
