"""Lab 2 visible tests: gethostname exists as SYS_GETHOSTNAME, prints the name, refuses a kernel pointer.

The grader runs its own test program, suites/programs/hostname.asm (the one the
handout runs), and the handout's hostname_bad variant of it. The instructor's hidden
tests change the disk's /etc/hostname and try the edges: the first line only,
the returned length, EINVAL, and pointers the MMU would refuse.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from ..gradelib import Suite, expect, expect_equal, expect_fields, expect_line

tests = Suite(2)


@tests.test(10, "hostname.asm assembles (SYS_GETHOSTNAME is defined)", part="gethostname")
def defined(ctx):
    """Before the change: `cannot find a symbol: mov rax, SYS_GETHOSTNAME`, exit 1."""
    result = ctx.simpleos("run", ctx.program("hostname.asm"), "--machine", ctx.machine(), "--fresh")
    expect("cannot find a symbol" not in result.stderr, f"SYS_GETHOSTNAME is not defined: {result.stderr.strip()}")
    expect_equal(result.code, 0, "exit status of simpleos run")


@tests.test(15, "hostname prints the machine's name", part="gethostname", parent=defined)
def prints_name(ctx):
    result = ctx.simpleos("run", ctx.program("hostname.asm"), "--machine", ctx.machine(), "--fresh")
    expect_line(result.stdout, "simpleos", "hostname's output")
    expect_line(result.stdout, "hostname exited with code 0; kernel up", "the last line")


@tests.test(15, "a kernel pointer is EFAULT", part="gethostname", parent=defined)
def kernel_pointer(ctx):
    """The handout's hostname_bad.asm: hostname.asm with a kernel address for buf."""
    source = ctx.program("hostname.asm").read_text(encoding="utf-8")
    bad = source.replace("    lea rdi, [rip + name]           ; rdi = buf",
                         "    mov rdi, 0xffff800000001000     ; rdi = a kernel address", 1)
    doc = ctx.run_json(ctx.write("hostname_bad.asm", bad))
    expect_fields(doc, "run hostname_bad.asm --json", program="hostname_bad", fate="exited", exit_code=14,
                  trap=None, kernel="up")


tests.manual(5, "question (a)", "where copy_to_user refuses the kernel pointer, and why before writing anything")
tests.manual(5, "question (b)", "why 504 is not Linux's number for this call")
tests.manual(10, "question (c)", "how many virtual cycles one call costs the caller, and where that is decided")
