"""Hostile ring-3 programs and their defined fates: each is killed by the right trap, or
gets the right error, and the machine stays up -- never a host exception, hang or leak.

Every program is run by `simpleos run` semantics (simpleos.system.run_program). The
faulting instruction carries the label `fault`, so the expected RIP comes from the
image's symbol table. The table covers the classes of the hardening pass: instructions
unicorn does not police (port I/O, sysenter, int n, icebp), what must be deterministic
(rdtsc, rdrand), file descriptors, pipes, and the console.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

from simpleos.kernel.loader import assemble_user_program
from simpleos.kernel.proc import Process
from simpleos.kernel.syscalls import wait_status
from simpleos.machine.trap import Trap
from paths import REPO


@dataclass(frozen=True)
class Fate:
    """What must become of a program: killed by (vector, name, error code) at `fault`
    (or `after_fault`, for traps that report the next instruction), or an exit code."""
    vector: int | None = None
    name: str = ""
    error_code: int | None = None
    at: str = "fault"
    exit_code: int | None = None


def program(body: str, data: str = "") -> str:
    """A program: `body` (which labels its faulting instruction `fault:`), then exit(0)."""
    return f"_start:\n{body}\n    xor rdi, rdi\n    call exit\n.include \"lib.asm\"\n" + (f".data\n{data}\n" if data else "")


GP0 = Fate(13, "#GP", 0)

CASES = {
    # port I/O at CPL 3 with IOPL 0: #GP(0), as on real hardware (unicorn would perform them)
    "in_imm": (program("fault:\n    in al, 0x60"), GP0),
    "in_dx": (program("    mov dx, 0x3f8\nfault:\n    in eax, dx"), GP0),
    "out_dx": (program("    mov dx, 0x3f8\n    mov al, 0x41\nfault:\n    out dx, al"), GP0),
    "insb": (program("    lea rdi, [rip + buffer]\n    mov dx, 0x3f8\nfault:\n    insb", "buffer: .space 16"), GP0),
    "rep_outsb": (program("    lea rsi, [rip + buffer]\n    mov dx, 0x3f8\n    mov rcx, 4\nfault:\n    rep outsb",
                          "buffer: .ascii \"abcd\""), GP0),
    # sysenter with no SYSENTER MSRs: #GP(0) (unicorn: a silent no-op)
    "sysenter": (program("fault:\n    sysenter"), GP0),
    # int n through a DPL-0 gate: #GP(n*8+2) at the int, never "vector n"
    "int_0": (program("fault:\n    int 0"), Fate(13, "#GP", 0 * 8 + 2)),
    "int_8": (program("fault:\n    int 8"), Fate(13, "#GP", 8 * 8 + 2)),
    "int_13": (program("fault:\n    int 13"), Fate(13, "#GP", 13 * 8 + 2)),
    "int_14": (program("fault:\n    int 14"), Fate(13, "#GP", 14 * 8 + 2)),
    "int_18": (program("fault:\n    int 18"), Fate(13, "#GP", 18 * 8 + 2)),
    "int_0x80": (program("fault:\n    int 0x80"), Fate(13, "#GP", 0x80 * 8 + 2)),
    "int_255": (program("fault:\n    int 255"), Fate(13, "#GP", 255 * 8 + 2)),
    # the gates a program may use (DPL 3): #BP and #OF, reported after the instruction (traps)
    "int3": (program("fault:\n    int3\nafter_fault:"), Fate(3, "#BP", None, "after_fault")),
    "int_3": (program("fault:\n    int 3\nafter_fault:"), Fate(3, "#BP", None, "after_fault")),
    "int_4": (program("fault:\n    int 4\nafter_fault:"), Fate(4, "#OF", None, "after_fault")),
    # into does not exist in 64-bit mode; icebp (int1) raises #DB
    "into": (program("fault:\n    .byte 0xce"), Fate(6, "#UD")),
    "icebp": (program("fault:\n    .byte 0xf1\nafter_fault:"), Fate(1, "#DB", None, "after_fault")),
    # rdtsc, rdtscp, rdrand, rdseed complete (the machine supplies them) and the program exits
    "rdtsc": (program("    rdtsc\n    rdtscp\n    rdrand rax\n    rdrand ax\n    rdseed ebx"), Fate(exit_code=0)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_program_meets_its_defined_fate(name, tmp_path, run_machine_program):
    source, fate = CASES[name]
    path = tmp_path / f"{name}.asm"
    path.write_text(source)
    symbols = assemble_user_program(path).symbols
    session, result = run_machine_program(str(path), tmp_path / "machine", fresh=True)
    assert result.kernel == "up"
    if fate.exit_code is not None:
        assert (result.fate, result.exit_code, result.trap) == ("exited", fate.exit_code, None)
        return
    trap = result.trap
    assert result.fate == "killed"
    assert (trap.vector, trap.name, trap.error_code, trap.cpl) == (fate.vector, fate.name, fate.error_code, 3)
    assert trap.rip == symbols[fate.at]
    assert f"trap {fate.vector} {fate.name}" in "\n".join(session.transcript)
    if fate.name == "#GP":
        # the trapping instruction did nothing visible: rip is back at it in the saved state
        assert trap.address is None


def test_a_software_interrupt_is_described_by_its_idt_entry(tmp_path, run_machine_program):
    path = tmp_path / "int14.asm"
    path.write_text(CASES["int_14"][0])
    session, _ = run_machine_program(str(path), tmp_path / "machine", fresh=True)
    line = next(line for line in session.transcript if "int14:" in line)
    assert "trap 13 #GP (general protection)" in line and "err 0x72 [IDT entry 14]" in line
    assert "#PF" not in line, "int 14 is not a page fault"


# --- determinism: what the host would leak comes from the virtual clock and the seed ----------

ENTROPY = """
; entropy.asm -- print rdtsc, rdtscp and two rdrand/rdseed values in hex, then exit.
_start:
    rdtsc
    shl rdx, 32
    or rax, rdx
    call show
    rdtscp
    shl rdx, 32
    or rax, rdx
    call show
    rdrand rax
    call show
    rdseed rax
    call show
    xor rdi, rdi
    call exit

; show -- print rax as 16 hex digits and a newline.
show:
    lea rdi, [rip + digits + 15]
    mov rcx, 16
.Ldigit:
    mov rdx, rax
    and rdx, 15
    lea rsi, [rip + hex]
    mov dl, [rsi + rdx]
    mov [rdi], dl
    dec rdi
    shr rax, 4
    dec rcx
    jnz .Ldigit
    lea rdi, [rip + digits]
    call print
    ret
.include "lib.asm"
.data
hex:    .ascii "0123456789abcdef"
digits: .asciz "................\\n"
"""


def entropy_lines(tmp_path, run_machine_program, seed: int, machine: str) -> list[str]:
    path = tmp_path / "entropy.asm"
    path.write_text(ENTROPY)
    session, result = run_machine_program(str(path), tmp_path / machine, fresh=True, seed=seed)
    assert (result.fate, result.exit_code) == ("exited", 0)
    return [line for line in session.transcript if len(line) == 16 and all(c in "0123456789abcdef" for c in line)]


def test_rdtsc_and_rdrand_are_the_same_in_two_runs_with_one_seed(tmp_path, run_machine_program):
    first = entropy_lines(tmp_path, run_machine_program, 7, "a")
    second = entropy_lines(tmp_path, run_machine_program, 7, "b")
    other = entropy_lines(tmp_path, run_machine_program, 8, "c")
    assert len(first) == 4 and first == second
    tsc, tscp, random_a, random_b = (int(value, 16) for value in first)
    assert 10 * 10**9 < tsc < tscp < 11 * 10**9, "the time stamp is the virtual clock (the program runs at ~10 s)"
    assert random_a != random_b
    assert other[2:] != first[2:], "another seed, other random words"


def test_reverse_stepping_across_rdtsc_lands_on_the_same_state(tmp_path):
    from simpleos.debug.target import DebugTarget
    from simpleos.system import BootOptions
    path = tmp_path / "entropy.asm"
    path.write_text(ENTROPY)
    image = assemble_user_program(path)
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True),
                         on_power_on=lambda kernel: kernel.spawn(image, "entropy"))
    target.add_breakpoint(image.symbols["show"], process="entropy")
    assert target.cont().reason == "breakpoint"          # after rdtsc: rax holds the time stamp
    forward = target.registers()
    target.stepi()
    target.reverse_stepi()
    assert target.registers() == forward


# --- file descriptors ----------------------------------------------------------------------------

OPEN_UNTIL_REFUSED = program("""
    xor r12, r12                    ; r12 = files opened
.Lopen:
    lea rdi, [rip + path]
    xor rsi, rsi
    mov rax, SYS_OPEN
    syscall
    test rax, rax
    js .Lrefused
    inc r12
    cmp r12, 100000
    jb .Lopen
.Lrefused:
    cmp rax, -24                    ; EMFILE?
    jne .Lwrong
    mov rdi, r12                    ; exit code: how many opened
    call exit
.Lwrong:
    mov rdi, 255
    call exit""", 'path: .asciz "/etc/hostname"')

LOWEST_FREE = program("""
    lea rdi, [rip + path]
    xor rsi, rsi
    mov rax, SYS_OPEN
    syscall                         ; fd 3
    mov r12, rax
    lea rdi, [rip + path]
    mov rax, SYS_OPEN
    syscall                         ; fd 4
    mov rdi, r12
    mov rax, SYS_CLOSE
    syscall                         ; 3 is free again
    lea rdi, [rip + path]
    mov rax, SYS_OPEN
    syscall                         ; the lowest free: 3
    mov rdi, rax
    call exit""", 'path: .asciz "/etc/hostname"')


def run_source(tmp_path, run_machine_program, name: str, source: str):
    path = tmp_path / f"{name}.asm"
    path.write_text(source)
    return run_machine_program(str(path), tmp_path / "machine", fresh=True)


def test_open_in_a_loop_stops_at_the_file_limit_with_emfile(tmp_path, run_machine_program):
    _, result = run_source(tmp_path, run_machine_program, "openloop", OPEN_UNTIL_REFUSED)
    assert (result.fate, result.exit_code, result.kernel) == ("exited", 64, "up")


def test_a_closed_descriptor_is_the_next_one_given(tmp_path, run_machine_program):
    _, result = run_source(tmp_path, run_machine_program, "lowest", LOWEST_FREE)
    assert (result.fate, result.exit_code) == ("exited", 3)


def test_the_lowest_free_descriptor_is_found_without_a_scan():
    process = Process(pid=1, name="p", space=None, image=None)
    fds = [process.add_file(object()) for _ in range(64)]
    assert fds == list(range(3, 67)) and not process.can_open_file
    process.remove_file(40)
    process.remove_file(7)
    assert process.can_open_file and process.add_file("x") == 7 and process.add_file("y") == 40
    assert process.remove_file(99) is None


# --- pipes ---------------------------------------------------------------------------------------

PIPE_BAD_BUFFER = program("""
    lea rdi, [rip + name]
    mov rax, SYS_PIPE_CREATE
    syscall                         ; the server end
    mov r12, rax
    lea rdi, [rip + name]
    xor rsi, rsi
    mov rax, SYS_OPEN
    syscall                         ; a client end
    mov rdi, rax
    lea rsi, [rip + message]
    mov rdx, 2
    mov rax, SYS_WRITE
    syscall                         ; "hi" into the pipe
    mov rdi, r12
    mov rsi, 0xffff800000000000     ; a kernel address: EFAULT ...
    mov rdx, 2
    mov rax, SYS_READ
    syscall
    cmp rax, -14
    jne .Lwrong
    mov rdi, r12                    ; ... and the bytes are still there
    lea rsi, [rip + buffer]
    mov rdx, 2
    mov rax, SYS_READ
    syscall
    cmp rax, 2
    jne .Lwrong
    cmp word ptr [rip + buffer], 0x6968
    jne .Lwrong
    xor rdi, rdi
    call exit
.Lwrong:
    mov rdi, 1
    call exit""", 'name: .asciz "\\\\\\\\.\\\\pipe\\\\hostile"\nmessage: .ascii "hi"\nbuffer: .space 8')


def test_a_pipe_read_into_a_bad_buffer_leaves_the_bytes_in_the_pipe(tmp_path, run_machine_program):
    _, result = run_source(tmp_path, run_machine_program, "pipebad", PIPE_BAD_BUFFER)
    assert (result.fate, result.exit_code) == ("exited", 0)


# --- wait status ---------------------------------------------------------------------------------

@pytest.mark.parametrize("vector", range(256))
def test_the_wait_status_of_a_killed_child_fits_a_byte(vector):
    child = Process(pid=2, name="c", space=None, image=None)
    child.trap = Trap(vector=vector, cpl=3, rip=0)
    assert 128 <= wait_status(child) <= 255


def test_the_wait_status_of_an_exit_is_its_code():
    child = Process(pid=2, name="c", space=None, image=None)
    child.exit_code = 300
    assert wait_status(child) == 300 & 0xFF


# --- the console ---------------------------------------------------------------------------------

FLOOD = program("""
    lea rdi, [rip + buffer]
    mov rcx, 65536
    mov al, {byte}
    rep stosb
.Lflood:
    mov rdi, 1
    lea rsi, [rip + buffer]
    mov rdx, 65536
    mov rax, SYS_WRITE
    syscall
    jmp .Lflood""", "buffer: .space 65536")

# The peak resident size of this process's own address space (VmHWM). (ru_maxrss would also
# count the pages of the parent this process was forked from: the test runner's.)
PEAK_MEMORY = """
import json, sys
from simpleos.cli import main
code = main(sys.argv[1:])
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
print(json.dumps({"code": code, "peak_kib": int(status["VmHWM"].split()[0])}), file=sys.stderr)
"""


@pytest.mark.parametrize("byte", [10, 65], ids=["newlines", "one-long-line"])
def test_a_console_flood_ends_within_its_cpu_budget_and_the_host_stays_small(tmp_path, byte):
    path = tmp_path / "flood.asm"
    path.write_text(FLOOD.replace("{byte}", str(byte)))
    completed = subprocess.run([sys.executable, "-c", PEAK_MEMORY, "run", str(path), "--machine",
                                str(tmp_path / "m"), "--fresh", "--json"], cwd=REPO, capture_output=True,
                               text=True, timeout=300)
    report = json.loads(completed.stderr.strip().splitlines()[-1])
    result = json.loads(completed.stdout)
    assert report["code"] == 0 and result["kernel"] == "up"
    assert result["fate"] == "killed" and result["trap"] is None, "killed by its CPU time limit"
    assert report["peak_kib"] < 200 * 1024, f"host peak {report['peak_kib'] // 1024} MiB"


def test_the_console_keeps_the_tail_of_a_long_line_and_counts_the_rest():
    from simpleos.machine.console import MAX_LINE_CHARS, MAX_LINES, Console
    console = Console()
    for _ in range(100):
        console.write(b"x" * 10_000, stream=1)
    console.write(b"END\n", stream=1)
    line = console.lines[-1]
    assert line.endswith("END") and len(line) < MAX_LINE_CHARS + 60
    assert line.startswith(f"[... {100 * 10_000 + 3 - MAX_LINE_CHARS} characters not kept ...]")
    console.write(b"\n" * (3 * MAX_LINES))
    assert len(console.lines) <= 2 * MAX_LINES and console.dropped_lines > 0
    assert console.transcript().startswith(f"[... {console.dropped_lines} earlier lines not kept ...]")


def test_console_output_costs_time_only_when_it_outruns_the_device():
    from simpleos.machine.console import DRAIN_BYTES_PER_CYCLE, FIFO_BYTES, Console
    console = Console()
    assert console.accept(100, now=0) == 0                 # a boot's lines fit the FIFO: free
    wait = console.accept(FIFO_BYTES + 1000, now=0)
    assert wait == pytest.approx((100 + 1000) / DRAIN_BYTES_PER_CYCLE, rel=1e-3)
    assert console.accept(10, now=10**12) == 0             # much later: drained
