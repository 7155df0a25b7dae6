"""DebugTarget, the contract of the debugger and the gdb stub: stepping, breakpoints, faults,
time travel, registers, memory and symbols, on the CF291 machine and on a ring-3 program."""
from __future__ import annotations

import threading
import time

import pytest
from unicorn import UC_HOOK_CODE, Uc

from simpleos.assembler import assemble
from simpleos.debug.stops import SIGINT, SIGSEGV, SIGTRAP
from simpleos.debug.symbols import UnknownSymbol
from simpleos.debug.target import DebugTarget
from simpleos.kernel.loader import USER_DEFINES
from simpleos.machine.layout import USER_TEXT_BASE
from simpleos.resources import channel_files_dir
from simpleos.system import BootOptions

BAD_FILE = str(channel_files_dir() / "C-00000291-bad.sys")
FAULT_POSITION = 2756          # where CF291's read of inputs[20] faults (seed 0, original sensor)

SPIN = """
_start:
    xor eax, eax
spin_loop:
    inc rax
    jmp spin_loop
"""


def cf291(tmp_path, break_on_fault=True, **options) -> DebugTarget:
    """A debug target on a fresh machine that got the bad channel file."""
    return DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True, channels=[BAD_FILE], **options),
                       break_on_fault=break_on_fault)


def with_spinner(tmp_path) -> DebugTarget:
    """A debug target whose power-on also starts a ring-3 program that never ends."""
    image = assemble(SPIN, USER_TEXT_BASE, "spin.asm", USER_DEFINES)
    return DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True),
                       on_power_on=lambda kernel: kernel.spawn(image, "spin"))


@pytest.fixture(scope="module")
def forward_states(tmp_path_factory):
    """Registers after each of the last instructions before the CF291 fault, stepping forward."""
    target = cf291(tmp_path_factory.mktemp("forward"))
    states = {}
    while True:
        event = target.stepi()
        if target.position >= FAULT_POSITION - 12:
            states[target.position] = (event.reason, target.registers(), target.current_process.pid)
        if event.reason != "step":
            break
    return states


def test_position_zero_is_before_the_first_instruction(tmp_path):
    target = cf291(tmp_path)
    assert target.position == 0 and target.state == "running-able"
    assert target.last_stop.reason == "start"
    assert target.reverse_stepi().reason == "start" and target.position == 0


def test_break_on_fault_holds_the_page_fault_before_the_kernel_sees_it(tmp_path):
    target = cf291(tmp_path)
    event = target.cont()
    assert event.reason == "fault" and event.signal == SIGSEGV
    assert event.trap.vector == 14 and event.trap.address == 0xFFFF840500000374
    assert target.symbolize(event.address) == "sensor.sys!compare_string+0xa"
    assert target.position == FAULT_POSITION and target.state == "running-able"
    delivered = target.cont()
    assert delivered.reason == "bugcheck" and delivered.bugcheck.code == 0x50
    assert target.state == "bugcheck" and target.cont().reason == "bugcheck"


def test_without_break_on_fault_continue_ends_in_the_bugcheck(tmp_path):
    event = cf291(tmp_path, break_on_fault=False).cont()
    assert event.reason == "bugcheck" and event.signal == SIGSEGV and event.position == FAULT_POSITION


def test_stepping_into_the_fault_gives_the_same_page_fault_as_running(forward_states):
    reason, registers, pid = forward_states[FAULT_POSITION]
    assert reason == "fault"
    assert registers["rip"] == 0xFFFFFFFF800042D2 and registers["rdi"] == 0xFFFF840500000374


def test_reverse_stepi_gives_exactly_the_state_stepping_forward_had(tmp_path, forward_states):
    target = cf291(tmp_path)
    assert target.cont().reason == "fault"
    for position in range(FAULT_POSITION - 1, FAULT_POSITION - 12, -1):
        event = target.reverse_stepi()
        assert event.reason == "step" and target.position == position
        _, registers, pid = forward_states[position]
        assert target.registers() == registers, f"registers differ at position {position}"
        assert target.current_process.pid == pid


def test_stepping_forward_again_after_going_back_reaches_the_same_fault(tmp_path):
    target = cf291(tmp_path)
    target.cont()
    fault = target.registers()
    for _ in range(3):
        target.reverse_stepi()
    for _ in range(2):
        assert target.stepi().reason == "step"
    event = target.stepi()
    assert event.reason == "fault" and event.trap.vector == 14, "a stepped fault is #PF, never #DF"
    assert target.registers() == fault


def test_breakpoints_stop_before_their_instruction_every_time(tmp_path):
    target = cf291(tmp_path)
    address = target.lookup("compare_string") + 0xA
    target.add_breakpoint(address)
    positions = []
    while (event := target.cont()).reason == "breakpoint":
        assert event.address == address == target.registers()["rip"] and event.signal == SIGTRAP
        positions.append(event.position)
    assert event.reason == "fault"
    assert len(positions) == 45 and positions[:3] == [410, 417, 424] and positions[-1] == FAULT_POSITION - 1


def test_continue_installs_no_hook_per_breakpoint_and_no_per_instruction_python_hook(tmp_path, monkeypatch):
    """Breakpoints live in the native counter's array (machine/icount.py): no unicorn hook per
    breakpoint, no Python code hook at all; the only code hook is the counter's own tail hook,
    which only ever covers one block."""
    from simpleos.machine import icount
    python_hooks, native_hooks = [], []
    original_python, original_native = Uc.hook_add, icount._add_native_hook

    def recording(self, htype, callback, user_data=None, begin=1, end=0, *rest):
        python_hooks.append(htype)
        return original_python(self, htype, callback, user_data, begin, end, *rest)

    def recording_native(uc, kind, function, counter, begin, end):
        native_hooks.append((kind, begin, end))
        return original_native(uc, kind, function, counter, begin, end)

    monkeypatch.setattr(Uc, "hook_add", recording)
    monkeypatch.setattr(icount, "_add_native_hook", recording_native)
    target = cf291(tmp_path)
    target.add_breakpoint(target.lookup("match_instance"))
    target.cont()
    target.cont()
    target.reverse_cont()
    target.nexti()
    assert target.position > 0 and python_hooks
    assert not [kind for kind in python_hooks if kind & UC_HOOK_CODE], "no Python code hook"
    tails = [(begin, end) for kind, begin, end in native_hooks if kind & UC_HOOK_CODE]
    assert tails and all(0 <= end - begin < 0x1100 for begin, end in tails), tails


def test_reverse_continue_goes_to_the_previous_breakpoint_hit(tmp_path):
    target = cf291(tmp_path)
    target.add_breakpoint(target.lookup("match_instance"))
    hits = []
    while (event := target.cont()).reason == "breakpoint":
        hits.append(event.position)
    assert target.position == FAULT_POSITION
    for expected in reversed(hits):
        event = target.reverse_cont()
        assert event.reason == "breakpoint" and event.position == expected
        assert target.registers()["rip"] == target.lookup("match_instance")
    assert target.reverse_cont().reason == "start" and target.position == 0


def test_nexti_steps_over_a_call_and_finish_returns_to_the_caller(tmp_path):
    target = cf291(tmp_path, break_on_fault=True)
    target.add_breakpoint(target.lookup("match_instance") + 0x4c)   # call compare_string
    assert target.cont().reason == "breakpoint"
    rsp = target.registers()["rsp"]
    event = target.nexti()
    assert event.reason == "step" and target.registers()["rsp"] == rsp
    assert target.symbolize(event.address) == "sensor.sys!match_instance+0x51"
    target.remove_breakpoint(target.lookup("match_instance") + 0x4c)
    target.add_breakpoint(target.lookup("compare_string"))
    assert target.cont().reason == "breakpoint"
    assert target.finish().address == target.lookup("match_instance") + 0x51


def test_registers_cover_the_gdb_set_and_memory_reads_go_through_the_page_tables(tmp_path):
    target = cf291(tmp_path)
    target.cont()
    registers = target.registers()
    for name in ("rax", "r15", "rip", "eflags", "rflags", "cs", "ss", "fs_base", "gs_base", "cr0", "cr3", "cr4"):
        assert name in registers
    assert registers["eflags"] == registers["rflags"]
    inputs = target.read_memory(target.lookup("ipc_context"), 21 * 8)
    assert int.from_bytes(inputs[160:], "little") == 0xFFFF840500000374
    with pytest.raises(MemoryError):
        target.read_memory(0xFFFF840500000374, 1)


def test_edits_survive_time_travel_until_you_go_back_before_them(tmp_path):
    target = cf291(tmp_path)
    target.add_breakpoint(target.lookup("compare_string"))
    target.cont()
    start = target.position
    target.write_register("r11", 0x1234)
    target.write_memory(target.lookup("verdict_rule"), b"\x99" * 8)
    target.stepi()
    target.stepi()
    target.reverse_stepi()
    assert target.registers()["r11"] == 0x1234
    assert target.read_memory(target.lookup("verdict_rule"), 8) == b"\x99" * 8
    target.replay_to(start - 1)
    assert target.read_memory(target.lookup("verdict_rule"), 8) != b"\x99" * 8
    assert target.edits == []


def test_symbols_name_kernel_modules_and_the_current_process(tmp_path):
    target = with_spinner(tmp_path)
    assert target.lookup("sensor.sys!compare_string") == target.lookup("compare_string")
    target.add_breakpoint(target.lookup("spin!spin_loop"))
    event = target.cont()
    assert event.reason == "breakpoint" and target.current_process.name == "spin"
    assert target.symbolize(event.address) == "spin!spin_loop"
    assert target.symbolize(event.address + 3) == "spin!spin_loop+0x3"
    assert target.lookup("_start") == USER_TEXT_BASE
    assert target.symbolize(0x1234) == "0x1234"
    with pytest.raises(UnknownSymbol):
        target.lookup("no_such_function")


def test_interrupt_stops_a_running_continue_from_another_thread(tmp_path):
    target = with_spinner(tmp_path)
    timer = threading.Timer(0.2, target.interrupt)
    timer.start()
    started = time.perf_counter()
    event = target.cont()
    timer.join()
    assert event.reason == "interrupted" and event.signal == SIGINT
    assert time.perf_counter() - started < 5
    assert target.stepi().reason == "step", "the machine can go on after an interrupt"


def test_a_machine_that_goes_idle_reports_it_as_exited(tmp_path):
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True))
    event = target.cont()
    assert event.reason == "idle" and event.exited and event.signal == 0
    assert target.state == "idle"


def test_the_users_disk_is_not_touched(tmp_path):
    target = cf291(tmp_path, break_on_fault=False)
    image = tmp_path / "m" / "disk.img"
    before = image.read_bytes()
    target.cont()
    target.reverse_stepi()
    assert image.read_bytes() == before
