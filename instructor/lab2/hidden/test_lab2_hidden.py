"""Lab 2 hidden tests: gethostname reads the disk, returns the length, and checks every pointer.

They catch a gethostname that returns a constant (the disk's /etc/hostname is
changed with `simpleos disk put`), one that returns more than the first line,
and one that checks pointers by value instead of asking the page tables (a
read-only page, a buffer running off the mapped pages: EFAULT with nothing
written, as copy_to_user guarantees).
"""
from simpleos.labs.gradelib import Suite, expect_equal, expect_fields, expect_line

tests = Suite(2)
PART = "hidden: gethostname"
PARENT = "lab2 hostname.asm assembles (SYS_GETHOSTNAME is defined)"

# Call gethostname(SETUP) and exit with its result: the length, or errno if negative. PRINT prints the name.
CALL = """
_start:
{setup}
    mov rax, SYS_GETHOSTNAME
    syscall
    test rax, rax
    js .Lerror
    mov r12, rax
{print}
    mov rdi, r12
    call exit
.Lerror:
    neg rax
    mov r12, rax
{after_error}
    mov rdi, r12
    call exit
.include "lib.asm"
.data
newline: .asciz "\\n"
{data}
"""
BUFFER = "name: .space 64"
PRINT = "    lea rdi, [rip + name]\n    call print\n    lea rdi, [rip + newline]\n    call print"


def program(ctx, file, setup, print_name=False, data=BUFFER, after_error=""):
    return ctx.write(file, CALL.format(setup=setup, print=PRINT if print_name else "", data=data,
                                       after_error=after_error))


def with_hostname(ctx, text):
    """A fresh machine whose /etc/hostname is `text`."""
    machine = ctx.machine()
    ctx.simpleos("boot", "--machine", machine, "--fresh", "--json")
    expect_equal(ctx.simpleos("disk", "put", ctx.write("hostname", text), "/etc/hostname", "--machine",
                              machine).code, 0, "disk put exit status")
    return machine


def printed_name(ctx, hostname, file):
    """Run a program printing gethostname's name on a machine whose /etc/hostname is `hostname`."""
    machine = with_hostname(ctx, hostname)
    source = program(ctx, file, "    lea rdi, [rip + name]\n    mov rsi, 64", print_name=True)
    return ctx.simpleos("run", source, "--machine", machine).stdout


@tests.test(10, "the name comes from the disk", part=PART, parent=PARENT)
def from_disk(ctx):
    out = printed_name(ctx, "lab2-grader-7f3c\n", "name.asm")
    expect_line(out, "lab2-grader-7f3c", "the name after `disk put` of /etc/hostname")


@tests.test(5, "only the first line", part=PART, parent=PARENT)
def first_line(ctx):
    out = printed_name(ctx, "alpha\nbeta\n", "first.asm")
    expect_line(out, "alpha", "the name of a two-line /etc/hostname")
    expect_line(out, "first exited with code 5; kernel up", "the returned length (exit code)")


@tests.test(5, "it returns the length", part=PART, parent=PARENT)
def length(ctx):
    source = program(ctx, "length.asm", "    lea rdi, [rip + name]\n    mov rsi, 64")
    expect_fields(ctx.run_json(source), "gethostname's result as the exit code", fate="exited", exit_code=8)


@tests.test(5, "EINVAL without room for the NUL, and room is enough", part=PART, parent=PARENT)
def einval(ctx):
    tight = program(ctx, "tight.asm", "    lea rdi, [rip + name]\n    mov rsi, 8")      # "simpleos" is 8 bytes
    expect_fields(ctx.run_json(tight), "size 8 for an 8-byte name", fate="exited", exit_code=22)
    exact = program(ctx, "exact.asm", "    lea rdi, [rip + name]\n    mov rsi, 9")
    expect_fields(ctx.run_json(exact), "size 9 for an 8-byte name", fate="exited", exit_code=8)


@tests.test(5, "a read-only buffer is EFAULT", part=PART, parent=PARENT)
def read_only(ctx):
    source = program(ctx, "text.asm", "    lea rdi, [rip + _start]\n    mov rsi, 64")    # the program's own code
    expect_fields(ctx.run_json(source), "gethostname into the text page", fate="exited", exit_code=14, trap=None)


@tests.test(10, "a buffer running off the mapped pages is EFAULT, nothing written", part=PART, parent=PARENT)
def straddle(ctx):
    """The last 4 bytes of the (one) data page hold ZZZZ; the next page is not mapped. EFAULT, and the
    4 bytes are still ZZZZ: exit 14. Changed bytes: exit 99."""
    data = "name: .space 64\n.space 4096 - 64 - 2 - 4\ntail: .ascii \"ZZZZ\""
    check = ("    cmp dword ptr [rip + tail], 0x5a5a5a5a\n    je .Lintact\n    mov r12, 99\n.Lintact:")
    source = program(ctx, "straddle.asm", "    lea rdi, [rip + tail]\n    mov rsi, 64", data=data,
                     after_error=check)
    expect_fields(ctx.run_json(source), "gethostname into a buffer that runs off the data page", fate="exited",
                  exit_code=14, trap=None)
