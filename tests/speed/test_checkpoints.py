"""Checkpointed time travel (debug/checkpoints.py): going back lands on exactly the forward state.

A checkpoint holds the machine (RAM, registers) and the kernel's Python state; reverse-stepi
puts back the nearest one and runs forward from there. These tests step forward through
system calls and a ring transition (a child's first slice starts in the ring-0 entry
trampoline and drops to ring 3), record every state, then go back to each one and compare
all registers and the memory around the stack.
"""
from __future__ import annotations

import threading

import pytest
from checkpointing import SPIN_THEN_FAULT, reverse_stepi_through_the_stub, state_of

from simpleos.assembler import assemble
from simpleos.debug import checkpoints
from simpleos.debug.checkpoints import Checkpoint, CheckpointStore
from simpleos.debug.target import DebugTarget
from simpleos.kernel.loader import USER_DEFINES
from simpleos.machine.layout import USER_TEXT_BASE
from simpleos.machine.ramstate import MachineState
from simpleos.system import BootOptions

PARENT = """
; compute past the end of a time slice (where checkpoints are taken), then two system
; calls and a child whose first instructions run at ring 0
_start:
    mov rcx, 600000
spin:
    dec rcx
    jnz spin
before_getpid:
    mov eax, SYS_GETPID
    syscall
    sub rsp, 32
    mov qword ptr [rsp], rax          ; something of ours on the stack
    lea rdi, [rip + child]
    xor esi, esi
    mov eax, SYS_SPAWN
    syscall
    mov rdi, rax
    mov eax, SYS_WAITPID
    syscall                           ; blocks: the child runs
    xor edi, edi
    mov eax, SYS_EXIT
    syscall
.data
child: .asciz "hello"
"""
EVERY = 20_000          # checkpoints this close together keep the test quick


@pytest.fixture
def dense_checkpoints(monkeypatch):
    monkeypatch.setattr(checkpoints, "EVERY", EVERY)


def new_target(tmp_path, name="m", uncopyable: bool = False) -> DebugTarget:
    """The boot machine plus PARENT; with `uncopyable`, every power-on also gives the kernel
    something a checkpoint cannot copy."""
    image = assemble(PARENT, USER_TEXT_BASE, "parent.asm", USER_DEFINES)

    def power_on(kernel):
        kernel.spawn(image, "parent")
        if uncopyable:
            kernel.lock = threading.Lock()
    return DebugTarget(BootOptions(machine=str(tmp_path / name), fresh=True), on_power_on=power_on)


def test_reverse_stepi_from_a_checkpoint_lands_on_exactly_the_forward_state(tmp_path, dense_checkpoints):
    target = new_target(tmp_path)
    target.add_breakpoint(target.lookup("parent!before_getpid"), process="parent")
    assert target.cont().reason == "breakpoint"
    start = target.position
    target.replay_to(start)                          # a replay: checkpoints every EVERY instructions
    store = target.checkpoints
    assert store.nearest(start) is not None and 0 < store.nearest(start).position < start
    target.remove_breakpoint(target.lookup("parent!before_getpid"))

    forward = [state_of(target)]
    rings = set()
    while len(forward) < 3000 and not (rings >= {0, 3} and len(forward) > 400):
        target.stepi()
        forward.append(state_of(target))
        rings.add(forward[-1][1]["cs"] & 3)
    assert rings >= {0, 3}, "the steps cross a ring transition"
    assert forward[-1][0] - start > 40, "and the system calls"

    power_ons, restores = target.replays, store.restored
    for expected in reversed(forward[-6:]):          # reverse-stepi, one instruction at a time
        if target.position != expected[0]:
            assert target.reverse_stepi().reason == "step"
        assert state_of(target) == expected
    for expected in reversed(forward[::97]):         # and jumps back to positions far apart
        target.replay_to(expected[0])
        assert state_of(target) == expected
    assert sum(stack is not None for _, _, stack in forward) > len(forward) // 2
    assert target.replays == power_ons, "never replayed from power-on"
    assert store.restored > restores


def test_a_machine_put_back_from_a_checkpoint_runs_on_exactly_as_the_first_time(tmp_path, dense_checkpoints):
    straight = new_target(tmp_path, "a")
    assert straight.cont().reason == "idle"
    travelled = new_target(tmp_path, "b")
    end = straight.position
    travelled.run_to(end - 1_000)
    travelled.replay_to(end - 2_000)                 # back: a replay from power-on that takes checkpoints
    travelled.replay_to(end - 3_000)                 # back again: from a checkpoint
    assert travelled.checkpoints.restored >= 1
    assert travelled.cont().reason == "idle"
    assert travelled.position == straight.position
    assert travelled.kernel.clock.cycles == straight.kernel.clock.cycles
    assert travelled.kernel.console.lines == straight.kernel.console.lines


def test_without_a_copyable_state_time_travel_replays_from_power_on(tmp_path, dense_checkpoints):
    target = new_target(tmp_path, uncopyable=True)
    target.run_to(1_100_000)
    target.replay_to(1_090_000)
    assert target.checkpoints.checkpoints == [] and target.checkpoints.unavailable
    before = state_of(target)
    target.stepi()
    assert target.reverse_stepi().reason == "step" and state_of(target) == before
    assert target.replays >= 1


def _fake(position: int, pages: tuple[bytes, ...] = (b"",)) -> Checkpoint:
    return Checkpoint(position, b"state", MachineState(pages, 0, (), b"regs"), 0.0)


def test_memory_stays_bounded_newest_kept_older_log_spaced(monkeypatch):
    store = CheckpointStore()
    every = checkpoints.EVERY
    for k in range(1, 201):
        store.add(_fake(k * every))
    positions = [c.position // every for c in store.checkpoints]
    assert positions[-checkpoints.NEWEST:] == list(range(193, 201))
    older = positions[:-checkpoints.NEWEST]
    distances = [193 - p for p in older]
    assert len(older) <= 8 and distances == sorted(distances, reverse=True)
    assert all(a >= 2 * b for a, b in zip(distances, distances[1:])), distances
    monkeypatch.setattr(checkpoints, "MEMORY_BUDGET", 10 * 4096)
    big = CheckpointStore()
    for k in range(1, 30):
        big.add(_fake(k * every, (bytes([k]) * 4096,)))
    assert big.bytes <= 10 * 4096 and big.checkpoints[-1].position == 29 * every


def test_the_gdb_stub_goes_back_through_the_same_checkpoints(tmp_path, dense_checkpoints):
    target = new_target(tmp_path)
    target.run_to(1_100_000)
    target.replay_to(1_090_000)                       # checkpoints now exist
    target.run_to(1_100_000)
    expected = state_of(target)
    target.stepi()
    restores, power_ons = target.checkpoints.restored, target.replays
    assert reverse_stepi_through_the_stub(target).startswith(b"T05")
    assert target.checkpoints.restored > restores and target.replays == power_ons
    assert state_of(target) == expected


def test_the_memory_count_is_each_page_once(monkeypatch):
    """bytes is kept up to date as checkpoints come and go; pages they share count once."""
    import random
    chooser = random.Random(7)
    pool = [bytes([n]) * 4096 for n in range(12)]
    store = CheckpointStore()
    every = checkpoints.EVERY
    for step in range(300):
        if step % 37 == 36:
            store.forget_after(chooser.randrange(0, step + 1) * every)
        else:
            store.add(_fake(chooser.randrange(1, 400) * every, tuple(chooser.sample(pool, 4))))
        pages = {id(p): len(p) for c in store.checkpoints for p in c.machine.pages}
        expected = sum(len(c.state) + len(c.machine.registers) for c in store.checkpoints) + sum(pages.values())
        assert store.bytes == expected


def test_a_checkpoint_taken_while_debugging_a_program_brings_the_program_back_too(tmp_path, dense_checkpoints):
    from simpleos.debug.program import run_to_program_start

    def new(name):
        image = assemble(SPIN_THEN_FAULT.format(spins=1_200_000), USER_TEXT_BASE, "spinfault.asm", USER_DEFINES)
        return DebugTarget(BootOptions(machine=str(tmp_path / name), fresh=True), program=image,
                           break_on_fault=True)
    target = new("a")
    start = run_to_program_start(target).position
    fault = target.cont()
    assert fault.reason == "fault" and fault.trap.address == 0xffff800000001000
    at_fault = state_of(target)
    assert at_fault[1]["cr2"] == 0xffff800000001000
    target.replay_to(fault.position - 1_000)          # a replay from power-on: checkpoints on the way
    assert any(start < c.position < fault.position for c in target.checkpoints.checkpoints)
    power_ons = target.replays
    target.replay_to(fault.position - 500)            # from a checkpoint taken while the program ran
    assert target.replays == power_ons and target.checkpoints.restored >= 1
    process = target.program.process
    assert process is not None and target.kernel.processes[process.pid] is process, \
        "the program's process is the one of the kernel put back"
    again = target.cont()
    assert (again.reason, again.position) == ("fault", fault.position) and state_of(target) == at_fault
    while target.cont().reason != "idle":             # the kernel kills it; the machine goes idle
        pass
    straight = new("b")
    run_to_program_start(straight)
    while straight.cont().reason != "idle":
        pass
    assert target.kernel.console.lines == straight.kernel.console.lines
    assert target.position == straight.position and target.program.process.fate == "killed"


def test_a_machine_state_keeps_cr2(tmp_path):
    from simpleos.machine import ramstate
    from simpleos.machine.cpu import CPU
    cpu = CPU()
    cpu.page_fault_address = 0xffff800000001000
    saved = ramstate.capture(cpu)
    cpu.page_fault_address = 0x1234
    ramstate.restore(cpu, saved)
    assert cpu.cr2 == 0xffff800000001000
