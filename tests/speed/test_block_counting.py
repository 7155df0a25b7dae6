"""Exact instruction counts with the per-block counter (machine/_icount.c, icount.py, cpu.py).

The machine counts whole translated blocks as they are entered; a fault in the middle of
a block is corrected from RIP, and a budget or breakpoint inside a block runs just that
block instruction by instruction. Every test here holds the count against two others:
stepping one instruction at a time (run_once(limit=1), where every run is a tail), and an
independent Python per-instruction hook of the test's own on the whole run.
"""
from __future__ import annotations

import ctypes

import pytest
from unicorn import UC_HOOK_CODE

from simpleos.assembler import assemble
from simpleos.isolation import model_named
from simpleos.kernel.kernel import AT_BREAKPOINT, HELD_FAULT, IDLE, Kernel
from simpleos.kernel.loader import USER_DEFINES
from simpleos.machine.exception_state import old_exception_offset
from simpleos.machine.layout import USER_TEXT_BASE
from simpleos.machine.machine import Machine

EXIT = """
    xor edi, edi
    mov eax, SYS_EXIT
    syscall
"""

LOOP = """
_start:
    mov rcx, {n}
top:
    add rax, rcx
    dec rcx
    jnz top
""" + EXIT

FAULT_IN_THE_MIDDLE = """
_start:
    mov rax, 1
    add rax, 2
    xor rbx, rbx
fault:
    mov rbx, [rbx]          ; #PF at address 0, the 4th instruction of the block
    add rax, 3
    jmp _start
"""

FAULT_FIRST_IN_BLOCK = """
_start:
    mov rcx, 5
top:
    dec rcx
    jnz top
fault:
    mov rbx, [rcx]          ; rcx = 0: #PF, the first instruction after the loop's jnz
    jmp _start
"""

SYSCALL_THEN_FAULT = """
_start:
    mov eax, SYS_GETPID
    syscall                 ; ends its block: the count the kernel sees here is exact
    add rax, 1
    xor rbx, rbx
fault:
    mov qword ptr [rbx], rax
    jmp _start
"""

EMULATED_THEN_FAULT = """
_start:
    mov rcx, 3
again:
    rdtsc                   ; #GP at ring 3 (CR4.TSD): the machine completes it mid-block
    add rax, 1
    rdrand rdx              ; #UD (the CPU model has none): completed from the seeded generator
    add rdx, 1
    dec rcx
    jnz again
    xor rbx, rbx
    div rbx                 ; #DE
"""

PORT_IO = """
_start:
    mov rsp, 0x7fffffffe000
    mov rbx, 0x1111
fault:
    out dx, al              ; #GP(0) at ring 3; the rest of this block must not run
    mov qword ptr [rsp - 8], rbx
    mov rbx, 0x2222
    jmp _start
"""

SCENARIOS = {
    "fault in the middle of a block": FAULT_IN_THE_MIDDLE,
    "fault at a block's first instruction": FAULT_FIRST_IN_BLOCK,
    "a syscall then a fault": SYSCALL_THEN_FAULT,
    "emulated rdtsc and rdrand, then #DE": EMULATED_THEN_FAULT,
    "port I/O #GP in the middle of a block": PORT_IO,
}


def new_kernel() -> Kernel:
    """A started kernel (long mode, kernel half) with no init: only what the test spawns runs."""
    kernel = Kernel(Machine(), model=model_named("monolithic"))
    kernel.start()
    kernel.stop_on_fault = True          # hold a trap: the test sees the CPU at the fault
    return kernel


def image(source: str):
    return assemble(source, USER_TEXT_BASE, "prog.asm", USER_DEFINES)


class InstructionOracle:
    """The test's own count: a Python hook before every instruction the CPU starts."""

    def __init__(self, cpu) -> None:
        self.count = 0
        cpu.uc.hook_add(UC_HOOK_CODE, self._on_instruction)

    def _on_instruction(self, uc, address, size, data) -> None:
        self.count += 1


def run(source: str, *, step: bool = False, oracle: bool = False):
    """Run `source` alone until it faults or exits: (position, trap, registers, oracle count)."""
    kernel = new_kernel()
    process = kernel.spawn(image(source), "prog")
    counter = InstructionOracle(kernel.cpu) if oracle else None
    trap = None
    while process.alive:
        result = kernel.run_once(limit=1 if step else None)
        if result == HELD_FAULT:
            trap = kernel.pending_trap[1]
            break
        if result == IDLE:
            break
    registers = kernel.cpu.read_all()
    stack = kernel.cpu.memory.read(process.frames[-2], 0x1000) if process.frames else b""
    kernel.machine.power_off()
    return kernel.instructions_retired, trap, registers, stack, counter.count if counter else None


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_fault_is_counted_exactly_as_stepping_counts_it(name):
    source = SCENARIOS[name]
    whole, trap, registers, stack, oracle = run(source, oracle=True)
    stepped, stepped_trap, stepped_registers, stepped_stack, _ = run(source, step=True)
    assert trap is not None and trap == stepped_trap
    assert whole == stepped == oracle
    assert registers == stepped_registers and stack == stepped_stack
    symbols = image(source).symbols
    if "fault" in symbols:
        assert trap.rip == symbols["fault"]


def test_port_io_fault_leaves_the_rest_of_its_block_undone():
    _, trap, registers, stack, _ = run(PORT_IO)
    assert trap.vector == 13 and registers["rbx"] == 0x1111 and registers["rip"] == image(PORT_IO).symbols["fault"]
    assert (0x1111).to_bytes(8, "little") not in stack     # the store after the out never happened


def test_a_loop_of_known_length_counts_every_instruction():
    counts = {}
    for n in (10, 1000, 100_000):
        whole, trap, registers, _, oracle = run(LOOP.format(n=n), oracle=True)
        assert trap is None and whole == oracle
        counts[n] = whole
    assert counts[1000] - counts[10] == 3 * 990
    assert counts[100_000] - counts[10] == 3 * 99_990
    stepped, *_ = run(LOOP.format(n=10), step=True)
    assert stepped == counts[10]


@pytest.mark.parametrize("fast_tails", [True, False], ids=["moved-hook-range", "added-hook"])
def test_the_budget_stops_jmp_dollar_at_exactly_the_budget(fast_tails):
    kernel = new_kernel()
    if not fast_tails:
        kernel.cpu.counter._tail_range = None        # the fallback: a hook added and removed per tail
    kernel.spawn(image("_start:\n    jmp _start\n"), "spin")
    kernel.run_once(limit=0)
    position = kernel.instructions_retired
    for limit in (1, 2, 7, 1000, 12_345, 1, 3):
        kernel.run_once(limit=limit)
        position += limit
        assert kernel.instructions_retired == position
        assert kernel.cpu.read("rip") == USER_TEXT_BASE
    end = kernel.cpu.resume(777)
    assert (end.reason, end.retired) == ("budget", 777)


@pytest.mark.parametrize("fast_tails", [True, False], ids=["moved-hook-range", "added-hook"])
def test_a_budget_can_end_at_any_instruction_of_a_block(fast_tails):
    sled = "_start:\n" + "    nop\n" * 40 + "    jmp _start\n"          # one block of 41 instructions
    kernel = new_kernel()
    if not fast_tails:
        kernel.cpu.counter._tail_range = None
    kernel.spawn(image(sled), "sled")
    kernel.run_once(limit=0)
    while kernel.cpu.read("rip") != USER_TEXT_BASE:     # through the ring-0 entry trampoline
        kernel.run_once(limit=1)
    for offset in list(range(1, 41)) * 2:               # twice: the second time, hooked translations exist
        start = kernel.instructions_retired
        kernel.run_once(limit=offset)
        assert kernel.instructions_retired - start == offset
        assert kernel.cpu.read("rip") == USER_TEXT_BASE + offset     # each nop is one byte
        kernel.run_once(limit=41 - offset)                           # to the jmp's target again
        assert kernel.cpu.read("rip") == USER_TEXT_BASE


def test_a_breakpoint_in_the_middle_of_a_block_stops_at_its_exact_position():
    sled = "_start:\n" + "    nop\n" * 20 + EXIT
    kernel = new_kernel()
    kernel.spawn(image(sled), "sled")
    kernel.run_once(limit=0)
    while kernel.cpu.read("rip") != USER_TEXT_BASE:
        kernel.run_once(limit=1)
    at_start = kernel.instructions_retired
    kernel.cpu.add_breakpoint(USER_TEXT_BASE + 7)
    assert kernel.run_once() == AT_BREAKPOINT
    assert kernel.cpu.read("rip") == USER_TEXT_BASE + 7
    assert kernel.instructions_retired == at_start + 7
    kernel.cpu.remove_breakpoint(USER_TEXT_BASE + 7)
    kernel.cpu.add_breakpoint(USER_TEXT_BASE + 19)
    assert kernel.run_once() == AT_BREAKPOINT and kernel.instructions_retired == at_start + 19


def test_rewritten_code_is_counted_anew():
    """Same address, same block size, other instructions: the block cache must forget."""
    ten_nops = "_start:\n" + "    nop\n" * 10 + "    jmp _start\n"
    five_xchg = "_start:\n" + "    xchg ax, ax\n" * 5 + "    jmp _start\n"    # 66 90: also 10 bytes
    assert len(image(ten_nops).code) == len(image(five_xchg).code)
    kernel = new_kernel()
    process = kernel.spawn(image(ten_nops), "patched")
    oracle = InstructionOracle(kernel.cpu)
    kernel.run_once(limit=5_000)
    kernel.cpu.memory.write_code(process.frames[0], image(five_xchg).text)
    kernel.run_once(limit=None)
    assert kernel.instructions_retired == oracle.count


def test_a_run_leaves_no_stale_exception_state_behind():
    """With no exit address, nothing raises a #PF inside QEMU at the end of a run (see
    cpu.py): a later real #PF is not turned into a #DF."""
    kernel = new_kernel()
    kernel.spawn(image(LOOP.format(n=100)), "loop")
    kernel.run_once(limit=50)
    context = kernel.cpu.save_context()
    raw = ctypes.string_at(context.context.value + old_exception_offset(), 4)
    assert int.from_bytes(raw, "little", signed=True) == -1
