"""Watchpoints in the DebugTarget and in sdb: forwards one past the access, backwards at the accessing instruction.

The oracle is the machine itself: the store that puts the event handle into inputs[20]
(`mov [rip + ipc_event_handle], rax` in build_ipc_inputs, found through the line table) and
the load that reads it (`mov r9, [r14 + rcx*8]` in match_instance). A forward run with a
watchpoint must stop exactly one instruction after them; reverse-continue must land on
them at the position forward execution had, which stepping from there confirms.
"""
from __future__ import annotations

import pytest

from simpleos.debug import sourceview
from simpleos.debug.target import DebugTarget
from simpleos.debug.watch import WatchError
from simpleos.system import BootOptions
from paths import BAD
from sourcegdb import SENSOR_SOURCE, line_of, sdb

HANDLE = 0xFFFF840500000374          # the event handle: what inputs[20] holds


def address_of_line(target, text: str) -> int:
    """The code address of the sensor.asm line containing `text`."""
    found = sourceview.addresses_of(target, str(SENSOR_SOURCE), line_of(text))
    assert len(found) == 1, found
    return found[0]


def slot(target) -> int:
    """&inputs[20]: ipc_context + 20 * 8."""
    return target.lookup("ipc_context") + 20 * 8


def test_a_forward_write_watch_stops_one_past_the_store_with_old_and_new_values(tmp_path):
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True, channels=[BAD]), break_on_fault=True)
    store = address_of_line(target, "mov [rip + ipc_event_handle], rax")
    target.add_watchpoint(slot(target), 8, "write")
    event = target.cont()
    assert event.reason == "watchpoint"
    hit = event.watch
    assert (hit.kind, hit.rip, hit.address, hit.size) == ("write", store, slot(target), 8)
    assert event.position == hit.position + 1
    assert target.registers()["rip"] == store + target.instruction_at(store)[1], "stopped after the store"
    assert int.from_bytes(hit.old, "little") == 0 and int.from_bytes(hit.new, "little") == HANDLE
    assert int.from_bytes(target.read_memory(slot(target), 8), "little") == HANDLE
    target.reverse_stepi()
    assert (target.position, target.registers()["rip"]) == (hit.position, store), "the access is one back"


def test_reverse_continue_at_the_cf291_fault_lands_on_the_store_in_build_ipc_inputs(cf291_fault):
    target = cf291_fault
    fault_position = target.position
    store = address_of_line(target, "mov [rip + ipc_event_handle], rax")
    target.add_watchpoint(slot(target), 8, "write")
    event = target.reverse_cont()
    assert event.reason == "watchpoint" and event.watch.backwards
    assert target.registers()["rip"] == store
    assert target.symbolize(store).startswith("sensor.sys!build_ipc_inputs+")
    assert int.from_bytes(target.read_memory(slot(target), 8), "little") == 0, "before the store"
    landed = target.position
    stepped = target.stepi()
    assert stepped.reason == "watchpoint" and stepped.position == landed + 1
    assert int.from_bytes(target.read_memory(slot(target), 8), "little") == HANDLE
    forward = target.cont()
    assert forward.reason == "fault" and forward.position == fault_position, "forward comes back to the fault"


def test_the_reverse_landing_is_where_a_forward_run_stopped(tmp_path, cf291_fault):
    fresh = DebugTarget(BootOptions(machine=str(tmp_path / "fresh"), fresh=True, channels=[BAD]), break_on_fault=True)
    fresh.add_watchpoint(slot(fresh), 8, "write")
    forward = fresh.cont()
    cf291_fault.add_watchpoint(slot(cf291_fault), 8, "write")
    backward = cf291_fault.reverse_cont()
    assert backward.position == forward.watch.position == forward.position - 1
    assert backward.watch.rip == forward.watch.rip


def test_read_and_access_watchpoints_see_the_load_of_inputs_20(cf291_fault):
    target = cf291_fault
    load = address_of_line(target, "mov r9, [r14 + rcx*8]")
    store = address_of_line(target, "mov [rip + ipc_event_handle], rax")
    target.add_watchpoint(slot(target), 8, "access")
    first = target.reverse_cont()
    assert (first.watch.kind, first.watch.rip, target.registers()["rip"]) == ("read", load, load)
    assert int.from_bytes(first.watch.old, "little") == HANDLE
    second = target.reverse_cont()
    assert (second.watch.kind, second.watch.rip) == ("write", store)
    assert target.reverse_cont().reason == "start", "nothing touched the slot before the store"
    target.remove_watchpoint(target.watchpoints[0])
    target.add_watchpoint(slot(target), 8, "read")
    read = target.cont()
    assert (read.watch.kind, read.watch.rip, read.position) == ("read", load, first.position + 1)


def test_a_breakpoint_between_the_access_and_now_wins_going_back(cf291_fault):
    target = cf291_fault
    target.add_watchpoint(slot(target), 8, "write")
    target.add_breakpoint(target.lookup("match_instance"))
    events = [target.reverse_cont()]
    while events[-1].reason == "breakpoint" and len(events) < 20:
        events.append(target.reverse_cont())
    positions = [event.position for event in events]
    assert events[0].reason == "breakpoint" and events[0].address == target.lookup("match_instance")
    assert positions == sorted(positions, reverse=True) and len(set(positions)) == len(positions)
    assert events[-1].reason == "watchpoint" and events[-1].position == 1808, "the store, once the calls after it"


def test_no_memory_hook_exists_without_watchpoints(tmp_path):
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True, channels=[BAD]), break_on_fault=True)
    hooks = len(target.cpu.uc._callbacks)
    assert target.memory_hooks == 0
    watchpoint = target.add_watchpoint(slot(target), 8, "access")
    assert target.memory_hooks == 2 and len(target.cpu.uc._callbacks) == hooks + 2
    target.remove_watchpoint(watchpoint)
    assert target.memory_hooks == 0 and len(target.cpu.uc._callbacks) == hooks
    target.cont()
    target.reverse_stepi()                 # a new machine (a replay): still nothing installed
    assert target.memory_hooks == 0 and len(target.cpu.uc._callbacks) == hooks


def test_watchpoints_survive_time_travel_and_their_hooks_follow_the_new_machine(cf291_fault):
    target = cf291_fault
    target.add_watchpoint(slot(target), 8, "write")
    target.reverse_stepi()
    assert target.memory_hooks == 1
    assert target.reverse_cont().reason == "watchpoint"


@pytest.mark.parametrize("address, length, message", [
    (0x1234, 8, "not mapped"), (1 << 63, 8, "not a canonical address"), (0, 0, "1 to 4096 bytes")])
def test_unwatchable_ranges_are_refused_in_one_line(cf291_fault, address, length, message):
    with pytest.raises(WatchError, match=message):
        cf291_fault.add_watchpoint(address or slot(cf291_fault), length, "write")


def test_sdb_reports_watch_stops_like_breakpoints(cf291_fault):
    out = sdb(cf291_fault, ["watch *((long *)&ipc_context + 20)", "info breakpoints", "reverse-continue",
                            "continue"])
    lines = out.splitlines()
    assert lines[0] == ("watchpoint 1: *((long *)&ipc_context + 20) (8 bytes at 0xffffffff800052d0 "
                        "<sensor.sys!ipc_event_handle>)")
    assert lines[1].startswith("  1  watchpoint ")
    back = lines.index(next(line for line in lines if "going back" in line))
    assert lines[back].startswith("[position 1808] watchpoint 1: *((long *)&ipc_context + 20), going back: the write")
    assert lines[back + 1:back + 3] == ["  old value = 0x0000000000000000", "  new value = 0xffff840500000374"]
    assert "<sensor.sys!build_ipc_inputs+" in lines[back + 3] and lines[back + 4].startswith("   sensor.asm:")
    forward = lines.index(next(line for line in lines if line.startswith("[position 1809]")))
    assert lines[forward] == ("[position 1809] watchpoint 1: *((long *)&ipc_context + 20): write of 8 bytes at "
                              "0xffffffff800052d0 <sensor.sys!ipc_event_handle>")
    assert "build_ipc_inputs+" in lines[forward + 1] and "(sensor.asm:" in lines[forward + 1]


def test_sdb_deletes_watchpoints_by_number_and_lists_them_with_breakpoints(cf291_fault):
    out = sdb(cf291_fault, ["break match_instance", "rwatch ipc_context+160", "awatch ipc_event_handle 4",
                            "info breakpoints", "delete 2", "info watchpoints", "delete", "info breakpoints",
                            "help"])
    assert "  2  read watchpoint    ipc_context+160  (8 bytes at 0xffffffff800052d0" in out
    assert "  3  access watchpoint  ipc_event_handle 4  (4 bytes at" in out
    after_delete = out.split("deleted all breakpoints")[0].rsplit("\n  2  read", 1)[1]
    assert "  3  access watchpoint" in after_delete and "read watchpoint" not in after_delete.split("\n", 1)[1]
    assert out.split("deleted all breakpoints")[1].startswith("\nno breakpoints\nno watchpoints\n")
    for command in ("watch EXPR [LEN]", "rwatch ... | awatch ...", "info watchpoints", "why "):
        assert f"  {command}" in out
    assert cf291_fault.watchpoints == []
