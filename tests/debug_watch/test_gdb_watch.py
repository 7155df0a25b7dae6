"""Watchpoints through the gdb stub: the Z2/Z3/Z4 packets, and real gdb's watch + reverse-continue at CF291.

The packet tests talk to the protocol layer directly; the real-gdb tests run /usr/bin/gdb in
batch mode against the stub (skipped only where gdb is missing; CI installs it). The lab
question is the last test: at the fault, `watch *((long *)&ipc_context + 20)` and
`reverse-continue` must stop in build_ipc_inputs, on the store.
"""
from __future__ import annotations

import re

import pytest

from simpleos.debug.gdb.packets import Packets
from sourcegdb import GDB, gdb, line_of
from test_watch_target import address_of_line

SLOT = 0xFFFFFFFF800052D0            # &inputs[20] (ipc_event_handle)
needs_gdb = pytest.mark.skipif(GDB is None, reason="gdb is not installed (CI installs it)")


def test_z2_sets_a_write_watchpoint_and_the_stop_reply_names_it(cf291_fault):
    packets = Packets(cf291_fault)
    assert packets.dispatch(b"Z2,%x,8" % SLOT) == b"OK"
    assert [(w.address, w.length, w.kind) for w in cf291_fault.watchpoints] == [(SLOT, 8, "write")]
    reply = packets.dispatch(b"bc")
    assert reply.startswith(b"T05") and reply.endswith(b"watch:%x;" % SLOT)
    assert packets.dispatch(b"z2,%x,8" % SLOT) == b"OK" and cf291_fault.watchpoints == []
    assert cf291_fault.memory_hooks == 0


@pytest.mark.parametrize("kind, word", [(3, b"rwatch"), (4, b"awatch")])
def test_z3_and_z4_are_read_and_access_watchpoints(cf291_fault, kind, word):
    packets = Packets(cf291_fault)
    assert packets.dispatch(b"Z%d,%x,8" % (kind, SLOT)) == b"OK"
    reply = packets.dispatch(b"bc")
    assert reply.endswith(word + b":%x;" % SLOT), reply


def test_unmapped_or_malformed_watchpoints_are_errors_not_crashes(cf291_fault):
    packets = Packets(cf291_fault)
    assert packets.dispatch(b"Z2,1000,8") == b"E14"
    assert packets.dispatch(b"Z2,%x,0" % SLOT) == b"E14"
    assert packets.dispatch(b"Z2,zz,8") == b"E01"
    assert packets.dispatch(b"z2,%x,8" % SLOT) == b"OK", "removing what is not there is fine"
    assert packets.dispatch(b"Z5,%x,8" % SLOT) == b"", "an unknown type: not supported"
    assert cf291_fault.watchpoints == [] and not packets.errors


@needs_gdb
def test_real_gdb_watch_and_reverse_continue_stop_on_the_store_in_build_ipc_inputs(cf291_fault, tmp_path):
    result = gdb(cf291_fault, tmp_path, ["watch *((long *)&ipc_context + 20)", "reverse-continue",
                                         "info registers rip", "continue", "info registers rip"])
    out = result.stdout
    assert "Hardware watchpoint 1: *((long *)&ipc_context + 20)" in out
    back, forward = out.split("Hardware watchpoint 1: *((long *)&ipc_context + 20)")[2:4]
    assert "Old value = -136317967006860\nNew value = 0\nbuild_ipc_inputs () at sensor.asm:" in back
    store_line = line_of("mov [rip + ipc_event_handle], rax")
    assert f"\n{store_line}\t" in back
    rip = re.search(r"^rip\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+ <build_ipc_inputs\+\d+>", back, re.M)
    assert rip and int(rip.group(1), 16) == address_of_line(cf291_fault, "mov [rip + ipc_event_handle], rax")
    assert "Old value = 0\nNew value = -136317967006860\n" in forward
    assert f"\n{store_line + 1}\t    pop rbp" in forward, "forwards: one past the store"


@needs_gdb
def test_real_gdb_rwatch_forward_stops_after_the_load_of_inputs_20(tmp_path):
    from watchfixtures import held_at_fault
    target = held_at_fault(tmp_path / "machine")
    target.replay_to(0)
    result = gdb(target, tmp_path, ["rwatch *((long *)&ipc_context + 20)", "continue", "x/i $pc - 4"])
    out = result.stdout
    assert "Hardware read watchpoint 1: *((long *)&ipc_context + 20)\n\nValue = -136317967006860\n" in out
    assert "match_instance () at sensor.asm:" in out
    assert "mov    (%r14,%rcx,8),%r9" in out
