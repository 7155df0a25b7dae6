"""The power-on checkpoint (debug/checkpoints.py, target._power_on): replays from the start put it back.

A DebugTarget keeps the machine as power-on leaves it, before the first time slice, as a
checkpoint of its own; every replay from position 0 restores it instead of booting again.
These tests compare what such replays reach -- all registers and the memory around the
stack, the console, the clock, the positions of later events -- with a target that has no
checkpoints at all (every replay boots), and check that the forward checkpoints, the
backward searches, the gdb stub and `debug PROG` still work with it.
"""
from __future__ import annotations

import pytest
from checkpointing import SPIN_THEN_FAULT, reverse_stepi_through_the_stub, state_of

from simpleos.assembler import assemble
from simpleos.debug import checkpoints, timetravel
from simpleos.debug.checkpoints import Checkpoint
from simpleos.debug.program import run_to_program_start
from simpleos.debug.statecopy import StateNotCopyable
from simpleos.debug.target import DebugTarget
from simpleos.kernel.loader import USER_DEFINES
from simpleos.machine.layout import USER_TEXT_BASE
from simpleos.machine.ramstate import MachineState
from simpleos.system import BootOptions

WORKER = """
; a few system calls and stack traffic, a child, then a spin past several time slices
_start:
    mov eax, SYS_GETPID
    syscall
    sub rsp, 64
    mov qword ptr [rsp], rax          ; something of ours on the stack
    mov qword ptr [rsp + 8], rsp
    lea rdi, [rip + child]
    xor esi, esi
    mov eax, SYS_SPAWN
    syscall
    mov rdi, rax
    mov eax, SYS_WAITPID
    syscall                           ; blocks: the child runs
    mov rcx, 600000
spin:
    mov qword ptr [rsp + 16], rcx
    dec rcx
    jnz spin
after_spin:
    xor edi, edi
    mov eax, SYS_EXIT
    syscall
.data
child: .asciz "hello"
"""
EVERY = 20_000                 # dense forward checkpoints keep the searches quick
POSITIONS = (0, 1, 2, 7, 40, 333, 5_000, 60_000, 250_000, 900_000)


@pytest.fixture
def dense_checkpoints(monkeypatch):
    monkeypatch.setattr(checkpoints, "EVERY", EVERY)


def _not_copyable(*_args, **_kwargs):
    raise StateNotCopyable("this test's reference target keeps no checkpoints")


def new_target(tmp_path, name: str, *, keep_checkpoints: bool = True, echo=None, **options) -> DebugTarget:
    """The boot machine plus WORKER; without `keep_checkpoints` the state is never copied (no
    power-on checkpoint, no forward ones: every replay boots, as time travel first did)."""
    image = assemble(WORKER, USER_TEXT_BASE, "worker.asm", USER_DEFINES)
    boot = BootOptions(machine=str(tmp_path / name), fresh=True, echo=echo)
    if keep_checkpoints:
        return DebugTarget(boot, on_power_on=lambda kernel: kernel.spawn(image, "worker"), **options)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checkpoints, "freeze", _not_copyable)
        target = DebugTarget(boot, on_power_on=lambda kernel: kernel.spawn(image, "worker"), **options)
    assert target.checkpoints.power_on is None and target.checkpoints.unavailable
    return target


def forward_states(target: DebugTarget, positions) -> list:
    """The state at each of `positions` (ascending), running forward only."""
    states = []
    for position in positions:
        target.run_to(position)
        assert target.position == position
        states.append(state_of(target))
    return states


def test_a_session_starts_with_a_checkpoint_at_power_on(tmp_path):
    target = new_target(tmp_path, "m")
    store = target.checkpoints
    origin = store.power_on
    assert origin is not None and origin.position == 0 and store.unavailable is None
    assert store.checkpoints == [], "kept apart from the ones running takes"
    assert store.nearest(0) is None and store.before(1) == []
    assert store.bytes >= len(origin.state) + len(origin.machine.registers)
    assert (target.boots, target.replays, store.taken, store.restored) == (1, 0, 1, 0)
    assert target.position == 0 and target.kernel.slice is not None, "position 0 shows the first process"


def test_replays_from_power_on_reach_exactly_the_states_of_a_target_without_checkpoints(tmp_path):
    lines = []
    reference = new_target(tmp_path, "reference", keep_checkpoints=False)
    expected = forward_states(reference, POSITIONS)
    target = new_target(tmp_path, "travel", echo=lines.append)
    target.run_to(POSITIONS[-1] + 1)
    echoed = list(lines)
    for state in reversed(expected):             # every one of them a replay from position 0
        target.replay_to(state[0])
        assert state_of(target) == state
    assert target.checkpoints.checkpoints == [], "below EVERY: no forward checkpoint"
    assert target.boots == 1 and target.replays == len(POSITIONS)
    assert target.checkpoints.restored == len(POSITIONS)
    assert lines == echoed, "the boot's console lines are shown once, not again on replays"
    for machine in (reference, target):          # and on to the end: every later event where it was
        assert machine.cont().reason == "idle"
    assert target.position == reference.position
    assert target.kernel.clock.cycles == reference.kernel.clock.cycles
    assert target.kernel.console.lines == reference.kernel.console.lines
    assert state_of(target) == state_of(reference)


def test_reverse_stepi_to_position_0_and_forward_again(tmp_path):
    target = new_target(tmp_path, "m")
    forward = [state_of(target)]
    for _ in range(60):
        assert target.stepi().reason == "step"
        forward.append(state_of(target))
    for expected in reversed(forward[:-1]):
        assert target.reverse_stepi().reason == "step"
        assert state_of(target) == expected
    assert target.position == 0
    assert target.reverse_stepi().reason == "start" and state_of(target) == forward[0]
    for expected in forward[1:]:
        target.stepi()
        assert state_of(target) == expected
    assert target.boots == 1 and target.replays >= 60


def test_an_edit_made_at_position_0_is_made_again_after_the_checkpoint_is_put_back(tmp_path):
    target = new_target(tmp_path, "m")
    target.write_register("r12", 0x1234_5678)
    edited = state_of(target)
    target.run_to(5_000)
    target.replay_to(0)
    assert state_of(target) == edited and target.boots == 1


def test_forward_checkpoints_share_the_power_on_pages_and_the_searches_cover_each_stretch_once(
        tmp_path, dense_checkpoints, monkeypatch):
    target = new_target(tmp_path, "m")
    origin = target.checkpoints.power_on
    target.run_to(1_100_000)
    target.replay_to(1_090_000)                  # a replay from power-on: checkpoints at slice ends
    store = target.checkpoints
    first = store.checkpoints[0]
    assert 0 < first.position and store.power_on is origin
    shared = {id(page) for page in origin.machine.pages}
    assert sum(id(page) in shared for page in first.machine.pages) > len(first.machine.pages) // 2, \
        "the first forward checkpoint is incremental from the power-on one"
    stretches = []
    replay_stops = timetravel.TimeTravel._replay_stops

    def recorded(self, start, before, stop_at=None):
        stretches.append((start.position if start is not None else 0, before))
        return replay_stops(self, start, before, stop_at)
    monkeypatch.setattr(timetravel.TimeTravel, "_replay_stops", recorded)
    here = target.position
    event = target.reverse_cont()
    assert (event.reason, event.position) == ("start", 0)
    assert event.description == "no breakpoint before this point: back at position 0"
    assert len(stretches) >= 2 and len(stretches) == len(set(stretches)) and stretches[-1][0] == 0 and stretches[0][1] == here
    assert all(newer[0] == older[1] for older, newer in zip(stretches[1:], stretches)), stretches
    assert store.power_on is origin and target.boots == 1


def test_the_power_on_checkpoint_is_never_thinned_out_or_forgotten(tmp_path, monkeypatch):
    target = new_target(tmp_path, "m")
    store = target.checkpoints
    origin = store.power_on
    held = store.bytes
    monkeypatch.setattr(checkpoints, "MEMORY_BUDGET", held + 3 * 4096)
    for k in range(1, 40):
        page = bytes([k]) * 4096
        store.add(Checkpoint(k * checkpoints.EVERY, b"state", MachineState((page,), 0, (), b"regs"), 0.0))
    assert store.power_on is origin and len(store.checkpoints) >= 1
    assert store.bytes <= held + 3 * 4096
    store.forget_after(0)
    assert store.checkpoints == [] and store.power_on is origin and store.bytes == held


def test_without_a_copyable_state_replays_from_the_start_boot_again(tmp_path):
    target = new_target(tmp_path, "m", keep_checkpoints=False)
    target.run_to(3_000)
    before = state_of(target)
    target.replay_to(1_000)
    target.run_to(3_000)
    assert state_of(target) == before and target.boots == 2 and target.replays == 1


def test_the_gdb_stub_steps_back_through_the_power_on_checkpoint(tmp_path):
    target = new_target(tmp_path, "m")
    target.run_to(2_000)
    expected = state_of(target)
    target.stepi()
    restores = target.checkpoints.restored
    assert reverse_stepi_through_the_stub(target).startswith(b"T05")
    assert target.checkpoints.restored == restores + 1 and target.boots == 1
    assert state_of(target) == expected


def test_debug_prog_starts_its_program_again_after_a_replay_from_power_on(tmp_path):
    image = assemble(SPIN_THEN_FAULT.format(spins=3_000), USER_TEXT_BASE, "spinfault.asm", USER_DEFINES)
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True), program=image, break_on_fault=True)
    assert target.checkpoints.power_on is not None
    started = run_to_program_start(target)
    at_start = state_of(target)
    fault = target.cont()
    assert fault.reason == "fault"
    at_fault = state_of(target)
    target.replay_to(0)
    assert target.position == 0 and target.program.process is None, "not started yet at power-on"
    again = run_to_program_start(target)
    assert (again.reason, again.position, again.description) == (started.reason, started.position,
                                                                  started.description)
    assert state_of(target) == at_start
    process = target.program.process
    assert process is not None and target.kernel.processes[process.pid] is process
    fault_again = target.cont()
    assert (fault_again.reason, fault_again.position) == ("fault", fault.position)
    assert state_of(target) == at_fault and target.boots == 1
