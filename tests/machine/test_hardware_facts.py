"""Hardware facts, seen through `simpleos run`: a ring-3 program that breaks a rule of the CPU
is stopped by the CPU itself (the MMU, the privilege checks), the kernel kills just that
process with one report line, and the machine carries on.

Every fact is checked twice: through the command line (`simpleos run PROG --machine DIR
--json`, the public contract of docs/cli.md) and through simpleos.system.run_program, whose
Session lets us look at the console and at the other processes afterwards. The faulting
instruction of each program carries the label `fault`, so the expected RIP is read from the
image's symbol table, not hard-coded.
"""
from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from simpleos.cli import main
from simpleos.kernel.bugcheck import PAGE_FAULT_IN_NONPAGED_AREA, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, Bugcheck
from simpleos.kernel.loader import assemble_user_program
from simpleos.kernel.proc import BLOCKED, EXITED, KILLED, ZOMBIE, Process
from simpleos.kernel.traps import on_fault
from simpleos.kernel.vm import guard_page_address
from simpleos.machine.layout import (DIRECT_MAP_BASE, PAGE_SIZE, USER_STACK_PAGES, USER_STACK_TOP,
                                     USER_TEXT_BASE, phys_to_virt)
from simpleos.machine.paging import PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE
from simpleos.machine.trap import Trap

KERNEL_ADDRESS = DIRECT_MAP_BASE + 0x1000          # 0xffff800000001000: present, supervisor only
STACK_BOTTOM = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE
SERVICE_PIPES = ["\\\\.\\pipe\\spoolss", "\\\\.\\pipe\\eventlog", "\\\\.\\pipe\\wkssvc", "\\\\.\\pipe\\lsarpc"]

# A well-behaved program, run after the faulting one to show that the machine still works.
SECOND_PROGRAM = """
; second.asm -- print one line and exit with code 7.
_start:
    lea rdi, [rip + message]
    call print
    mov rdi, 7
    call exit
.include "lib.asm"
.data
message: .asciz "second program: still running fine\\n"
"""


# --- helpers ---------------------------------------------------------------------------------

@pytest.fixture
def run_fact(tmp_path, capsys, run_machine_program):
    """run_fact(NAME, SOURCE): run `source` as NAME.asm through the CLI (JSON) and through
    run_program (a Session, closed when the test ends).

    Returns a namespace: code (CLI exit code), json (CLI JSON), result (RunResult),
    session, symbols (label -> address), process (the program's Process), console (the transcript)."""
    def run_fact(name: str, source: str):
        program = tmp_path / f"{name}.asm"
        program.write_text(source)
        machine = tmp_path / "machine"
        code = main(["run", str(program), "--machine", str(machine), "--json"])
        out, err = capsys.readouterr()
        assert err == ""
        assert out.count("\n") == 1, "--json prints one JSON object and nothing else"
        document = json.loads(out)
        session, result = run_machine_program(str(program), machine)
        assert result.to_json() == document, "the CLI and run_program must report the same (deterministic) run"
        processes = [p for p in session.kernel.processes.values() if p.name == name]
        assert len(processes) == 1
        return SimpleNamespace(code=code, json=document, result=result, session=session,
                               symbols=assemble_user_program(program).symbols, process=processes[0],
                               console=session.machine.console.transcript())
    return run_fact


def kill_line(run) -> str:
    """The kernel's one-line report about our program ('pid N name: trap ... -- killed')."""
    prefix = f"pid {run.process.pid} {run.process.name}: "
    lines = [line for line in run.console.splitlines() if prefix in line]
    assert len(lines) == 1, run.console
    return lines[0]


def assert_killed_by(run, vector: int, name: str, rip: int, address: int | None):
    """The exact trap of docs/cli.md, fate killed, kernel up, exit 0."""
    assert run.code == 0
    assert run.json["fate"] == "killed"
    assert run.json["exit_code"] is None
    assert run.json["kernel"] == "up"
    assert run.json["trap"] == {"vector": vector, "name": name, "rip": rip, "address": address}
    assert run.process.state == ZOMBIE and run.process.fate == KILLED
    assert run.process.trap.cpl == 3, "the fault happened in ring 3"


def assert_machine_still_works(run, tmp_path):
    """The boot's processes are still there (init and the services blocked on their pipes,
    nobody but our program killed); a second program runs fine in the same kernel."""
    kernel = run.session.kernel
    services = [p for p in kernel.processes.values() if p.name == "service"]
    assert len(services) == len(SERVICE_PIPES)
    assert all(p.state == BLOCKED and p.fate is None for p in services)
    inits = [p for p in kernel.processes.values() if p.name == "init"]
    assert len(inits) == 1 and inits[0].state == BLOCKED and inits[0].fate is None
    killed = [p for p in kernel.processes.values() if p.fate == KILLED and p is not run.process]
    assert killed == [], "only the misbehaving program may die"
    for pipe in SERVICE_PIPES:
        assert kernel.pipes.lookup(pipe) is not None
        assert f"service: listening on {pipe}" in run.console
    assert "boot complete" in run.console
    # A second program, in the same (still running) kernel.
    second_path = tmp_path / "second.asm"
    second_path.write_text(SECOND_PROGRAM)
    second = kernel.spawn(assemble_user_program(second_path), "second")
    kernel.run()
    assert (second.fate, second.exit_code, second.trap) == (EXITED, 7, None)
    assert "second program: still running fine" in run.session.machine.console.transcript()


# --- the page-table facts ----------------------------------------------------------------------

KERNEL_READ = f"""
; A ring-3 read of the kernel half: the direct map is present but supervisor-only.
_start:
    mov rbx, {KERNEL_ADDRESS:#x}   ; absolute address in a register (keystone makes [imm] RIP-relative)
fault:
    mov rax, [rbx]                 ; read it: #PF, protection violation
    xor rdi, rdi
    call exit
.include "lib.asm"
"""


def test_user_read_of_the_kernel_half_is_a_protection_page_fault(run_fact, tmp_path):
    run = run_fact("kread", KERNEL_READ)
    assert_killed_by(run, 14, "#PF", run.symbols["fault"], KERNEL_ADDRESS)
    assert run.process.trap.error_code == PF_USER | PF_PRESENT == 0x5
    line = kill_line(run)
    assert f"trap 14 #PF (page fault) rip {run.symbols['fault']:#x}" in line
    assert f"addr {KERNEL_ADDRESS:#x}" in line
    assert "err 0x5 [user read, protection violation]" in line
    assert line.endswith("-- killed")
    assert_machine_still_works(run, tmp_path)


TEXT_WRITE = """
; A write to the program's own text: text is mapped read-only (+ executable).
_start:
    lea rax, [rip + _start]        ; rax = our first instruction
fault:
    mov byte ptr [rax], 0x90       ; patch it: #PF, write, protection violation
    xor rdi, rdi
    call exit
.include "lib.asm"
"""


def test_write_to_own_text_is_a_write_protection_page_fault(run_fact, tmp_path):
    run = run_fact("textwrite", TEXT_WRITE)
    assert_killed_by(run, 14, "#PF", run.symbols["fault"], run.symbols["_start"])
    assert run.symbols["_start"] == USER_TEXT_BASE
    assert run.process.trap.error_code == PF_USER | PF_WRITE | PF_PRESENT == 0x7
    assert "err 0x7 [user write, protection violation]" in kill_line(run)
    assert_machine_still_works(run, tmp_path)


EXEC_STACK_ADDRESS = USER_STACK_TOP - 0x800        # inside the mapped stack pages

EXEC_STACK_JMP = f"""
; Execute on the stack: the stack is RW but NX.
_start:
    mov rsp, {EXEC_STACK_ADDRESS:#x}  ; a known place on our stack
    mov byte ptr [rsp], 0xc3          ; write a `ret` there (allowed: the stack is writable)
fault:
    jmp rsp                           ; and run it: #PF, instruction fetch, at rip = rsp
"""

EXEC_STACK_CALL = """
; The same with `call rsp`, wherever the stack pointer happens to be.
_start:
    sub rsp, 64
    mov byte ptr [rsp], 0xc3          ; a `ret` on the stack
fault:
    call rsp                          ; #PF on the fetch of that byte
"""


def test_jump_to_the_stack_is_an_instruction_fetch_page_fault(run_fact, tmp_path):
    run = run_fact("execstack", EXEC_STACK_JMP)
    assert_killed_by(run, 14, "#PF", EXEC_STACK_ADDRESS, EXEC_STACK_ADDRESS)
    error = run.process.trap.error_code
    assert error & PF_FETCH, "NX: the failed access is the instruction fetch"
    assert error == PF_USER | PF_FETCH | PF_PRESENT == 0x15
    assert "err 0x15 [user instruction fetch, protection violation]" in kill_line(run)
    assert_machine_still_works(run, tmp_path)


def test_call_to_the_stack_is_an_instruction_fetch_page_fault(run_fact):
    run = run_fact("callstack", EXEC_STACK_CALL)
    trap = run.json["trap"]
    assert (trap["vector"], trap["name"]) == (14, "#PF")
    assert trap["rip"] == trap["address"], "fetch fault: CR2 is the instruction's own address"
    assert STACK_BOTTOM <= trap["rip"] < USER_STACK_TOP, "the fetch was from the stack"
    assert run.process.trap.error_code == PF_USER | PF_FETCH | PF_PRESENT
    assert (run.json["fate"], run.json["kernel"], run.code) == ("killed", "up", 0)


STACK_OVERFLOW = """
; Infinite recursion: each call pushes 8 bytes until the push hits the guard page.
_start:
f:
    call f
"""


def test_stack_overflow_faults_on_the_guard_page(run_fact, tmp_path):
    run = run_fact("recurse", STACK_OVERFLOW)
    guard = guard_page_address()
    assert guard == STACK_BOTTOM - PAGE_SIZE
    # The stack pointer walks down in steps of 8 to the stack's lowest byte; the next push
    # writes the 8 bytes just below it, i.e. the top of the guard page.
    expected = STACK_BOTTOM - 8
    assert guard <= expected < guard + PAGE_SIZE
    assert_killed_by(run, 14, "#PF", run.symbols["f"], expected)
    assert run.process.trap.error_code == PF_USER | PF_WRITE == 0x6
    assert "err 0x6 [user write, page not present]" in kill_line(run)
    assert_machine_still_works(run, tmp_path)


# --- privilege and instruction facts ------------------------------------------------------------

PRIVILEGED = {
    "cli": """
_start:
fault:
    cli                     ; IOPL is 0: ring 3 may not disable interrupts
""",
    "hlt": """
_start:
fault:
    hlt                     ; privileged: ring 0 only
""",
    "movcr3": """
_start:
    xor rax, rax
fault:
    mov cr3, rax            ; switching address spaces is ring 0's business
""",
    "wrmsr": """
_start:
    mov ecx, 0xc0000080     ; EFER
    xor eax, eax
    xor edx, edx
fault:
    wrmsr                   ; privileged
""",
    "lgdt": """
_start:
    sub rsp, 16
fault:
    lgdt [rsp]              ; privileged
""",
}


@pytest.mark.parametrize("name", sorted(PRIVILEGED))
def test_privileged_instruction_at_ring_3_is_a_general_protection_fault(run_fact, tmp_path, name):
    run = run_fact(name, PRIVILEGED[name])
    assert_killed_by(run, 13, "#GP", run.symbols["fault"], None)
    line = kill_line(run)
    assert f"trap 13 #GP (general protection) rip {run.symbols['fault']:#x}" in line
    assert " err " not in line and " addr " not in line
    assert_machine_still_works(run, tmp_path)


UD2 = """
_start:
    nop
fault:
    ud2                     ; the architecturally undefined instruction: #UD
"""

DIVIDE_BY_ZERO = """
_start:
    mov rax, 7
    xor rdx, rdx
    xor rcx, rcx            ; divisor 0
fault:
    div rcx                 ; #DE
"""


def test_ud2_is_an_invalid_opcode_fault(run_fact, tmp_path):
    run = run_fact("undefined", UD2)
    assert_killed_by(run, 6, "#UD", run.symbols["fault"], None)
    assert "trap 6 #UD (invalid opcode)" in kill_line(run)
    assert_machine_still_works(run, tmp_path)


def test_divide_by_zero_is_a_divide_error(run_fact, tmp_path):
    run = run_fact("divzero", DIVIDE_BY_ZERO)
    assert_killed_by(run, 0, "#DE", run.symbols["fault"], None)
    assert "trap 0 #DE (divide error)" in kill_line(run)
    assert_machine_still_works(run, tmp_path)


# --- time, and the kernel's own protection -------------------------------------------------------

SPIN = """
_start:
fault:
    jmp fault               ; jmp $: never gives the CPU back by itself
"""


def test_endless_loop_is_killed_by_the_cpu_time_limit(run_fact, tmp_path):
    started = time.monotonic()
    run = run_fact("spin", SPIN)
    elapsed = time.monotonic() - started
    assert run.code == 0
    assert run.json == {"program": "spin", "fate": "killed", "exit_code": None, "trap": None,
                        "kernel": "up"}
    assert "CPU time limit exceeded" in kill_line(run)
    assert kill_line(run).endswith("-- killed")
    assert elapsed < 10, f"two runs of jmp $ took {elapsed:.1f} s of host time"
    assert_machine_still_works(run, tmp_path)


EFAULT_WRITE = f"""
; write(1, kernel address, 16): the kernel must refuse (EFAULT), not copy kernel memory out,
; and the program goes on.
_start:
    mov rdi, 1                    ; fd 1, the console
    mov rsi, {KERNEL_ADDRESS:#x}  ; a kernel-half pointer
    mov rdx, 16
    mov rax, SYS_WRITE
    syscall
    cmp rax, -14                  ; -EFAULT?
    jne .Lwrong
    mov rdi, 42                   ; yes: exit 42
    call exit
.Lwrong:
    mov rdi, 1
    call exit
.include "lib.asm"
"""


def test_write_from_a_kernel_pointer_returns_efault_and_the_program_goes_on(run_fact, tmp_path):
    run = run_fact("confused", EFAULT_WRITE)
    assert run.code == 0
    assert run.json == {"program": "confused", "fate": "exited", "exit_code": 42, "trap": None,
                        "kernel": "up"}
    assert_machine_still_works(run, tmp_path)


# --- which access faulted: the #PF error code must describe the access that failed -------------
# unicorn gives no error code; the machine rebuilds it (machine/cpu.py, machine/decode.py).
# An instruction that both reads memory and writes the stack must report the access that
# actually faulted: here the READ of a kernel address, not the push.
# (Fails as of writing: machine/decode.py access_writes_memory() answers "write" for every
# push/call/movs by mnemonic, whatever access faulted; the write bit should be set only when
# CR2 lies in the instruction's written range: [rsp-8, rsp) for push/call, [rdi, ...) for movs.)

READ_THEN_PUSH = {
    "pushmem": f"""
_start:
    mov rbx, {KERNEL_ADDRESS:#x}
fault:
    push qword ptr [rbx]        ; reads [rbx] (faults), would then write the stack
""",
    "callmem": f"""
_start:
    mov rbx, {KERNEL_ADDRESS:#x}
fault:
    call qword ptr [rbx]        ; reads the target from [rbx] (faults), would then push
""",
    "movsb": f"""
_start:
    mov rsi, {KERNEL_ADDRESS:#x} ; source: the kernel half
    lea rdi, [rsp - 64]          ; destination: our own stack (writable)
fault:
    movsb                        ; the read of [rsi] faults
""",
}


@pytest.mark.parametrize("name", sorted(READ_THEN_PUSH))
def test_a_faulting_read_is_reported_as_a_read(run_fact, name):
    run = run_fact(name, READ_THEN_PUSH[name])
    assert_killed_by(run, 14, "#PF", run.symbols["fault"], KERNEL_ADDRESS)
    assert "err 0x5 [user read, protection violation]" in kill_line(run)
    assert run.process.trap.error_code == PF_USER | PF_PRESENT


# The emulator translates code in blocks; a block that runs up to the end of the text page
# must not fault on the (unmapped) next page before its own instructions have run.
# (Fails as of writing: unicorn 2.1.4 (QEMU 5) translates the zero padding after the code,
# `00 00` = add [rax], al, up to an instruction straddling the page end and raises the fetch
# fault at translation time, with RIP = the block's first instruction and CR2 = the next page.
# Padding executable pages with int3 (0xCC) instead of zeros makes the block stop in time.)
NEAR_PAGE_END = f"""
_start:
    mov rbx, {KERNEL_ADDRESS:#x}
    .fill 4000, 1, 0x90          ; 4000 nops: the faulting read sits near the end of the page
fault:
    mov rax, [rbx]               ; #PF here, reading the kernel half
"""


def test_a_fault_near_the_end_of_the_text_page_is_reported_at_its_instruction(run_fact):
    run = run_fact("pageend", NEAR_PAGE_END)
    assert run.symbols["fault"] + 3 <= USER_TEXT_BASE + PAGE_SIZE
    assert_killed_by(run, 14, "#PF", run.symbols["fault"], KERNEL_ADDRESS)
    assert run.process.trap.error_code == PF_USER | PF_PRESENT
    assert run.process.instructions >= 1 + 4000 + 1, "every instruction before the fault ran"


PORT_IO = """
; IN/OUT at ring 3 with IOPL 0 (RFLAGS 0x202) and no I/O bitmap must #GP.
_start:
    mov dx, 0x3f8
    mov al, 0x41
fault:
    out dx, al
    xor rdi, rdi
    call exit
.include "lib.asm"
"""


def test_port_io_at_ring_3_is_a_general_protection_fault(run_fact):
    """unicorn performs in/out at CPL 3; the machine raises #GP(0) as real hardware does
    (machine/emulate.py, docs/unicorn-notes.md)."""
    run = run_fact("portio", PORT_IO)
    assert_killed_by(run, 13, "#GP", run.symbols["fault"], None)


# --- a fault at ring 0 stops the machine: a bugcheck, never a Python exception of another kind ----

def test_on_fault_at_ring_0_raises_a_page_fault_bugcheck(tmp_path, boot_machine):
    session = boot_machine(tmp_path / "machine")
    kernel = session.kernel
    victim = next(p for p in kernel.processes.values() if p.name == "service")
    rip = kernel.modules[0].image.base          # the first byte of the kernel's entry code
    for error_code, access in ((0x0, 0x0), (PF_WRITE, 0x2), (PF_PRESENT, 0x0),
                               (PF_PRESENT | PF_WRITE, 0x2)):
        trap = Trap(vector=14, cpl=0, rip=rip, address=0xffff900000000000, error_code=error_code)
        with pytest.raises(Bugcheck) as stop:
            on_fault(kernel, victim, trap)
        assert stop.value.code == PAGE_FAULT_IN_NONPAGED_AREA == 0x50
        assert stop.value.name == "PAGE_FAULT_IN_NONPAGED_AREA"
        assert stop.value.parameters == (0xffff900000000000, access, rip, 2)
        assert stop.value.rip == rip
        assert (stop.value.module, stop.value.offset) == ("kernel", 0)
    # A ring-0 fault is the kernel's own fault: the process it interrupted is not blamed.
    assert victim.state == BLOCKED and victim.fate is None


def start_ring0_thread(kernel, name: str, image) -> Process:
    """Run `image` (loaded into the kernel half) as a kernel thread at CPL 0, from `_start`."""
    if hasattr(kernel, "start_kernel_thread"):
        return kernel.start_kernel_thread(image, name)
    # Older kernels had no public API for it: build the thread from kernel internals.
    stack = kernel.machine.memory.alloc_frame()
    context = kernel.cpu.derive_context(kernel.ring0_context, {
        "rip": image.entry, "rsp": phys_to_virt(stack) + PAGE_SIZE - 8})
    pid = max(kernel.processes) + 1
    thread = Process(pid=pid, name=name, space=kernel.kernel_space.space, image=image, ring=0,
                     context=context, frames=[stack])
    kernel.processes[pid] = thread
    kernel.scheduler.add(thread)
    return thread


RING0_DRIVERS = {
    "read": ("""
_start:
    mov rbx, 0xffff900000000000   ; nothing is mapped there
fault:
    mov rax, [rbx]
    ret
""", 0x0),
    "write": ("""
_start:
    mov rbx, 0xffff900000000000
fault:
    mov qword ptr [rbx], 1
    ret
""", 0x2),
}


@pytest.mark.parametrize("kind", sorted(RING0_DRIVERS))
def test_a_real_page_fault_in_a_ring_0_thread_is_a_bugcheck(tmp_path, boot_machine, kind):
    source, access = RING0_DRIVERS[kind]
    session = boot_machine(tmp_path / "machine")
    kernel = session.kernel
    image = kernel.load_kernel_module(f"crashy_{kind}.asm", source, "crashy.sys")
    start_ring0_thread(kernel, "crashy", image)
    with pytest.raises(Bugcheck) as stop:
        kernel.run()
    fault = image.symbols["fault"]
    assert stop.value.code == 0x50
    assert stop.value.parameters == (0xffff900000000000, access, fault, 2)
    assert stop.value.module == "crashy.sys"
    assert stop.value.offset == fault - image.base
    assert stop.value.trap.cpl == 0
    assert stop.value.where() == f"crashy.sys+{fault - image.base:#x}"


def test_an_invalid_opcode_in_a_ring_0_thread_is_a_bugcheck(tmp_path, boot_machine):
    session = boot_machine(tmp_path / "machine")
    kernel = session.kernel
    image = kernel.load_kernel_module("ud.asm", "_start:\nfault:\n    ud2\n", "ud.sys")
    start_ring0_thread(kernel, "ud", image)
    with pytest.raises(Bugcheck) as stop:
        kernel.run()
    fault = image.symbols["fault"]
    assert stop.value.code == SYSTEM_THREAD_EXCEPTION_NOT_HANDLED == 0x7E
    assert stop.value.parameters == (0xC000001D, fault, 0, 0)   # STATUS_ILLEGAL_INSTRUCTION
    assert (stop.value.module, stop.value.offset) == ("ud.sys", 0)
