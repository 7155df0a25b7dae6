"""CR2 is the address of the last page fault everywhere: sdb, real gdb, the crash dump, the stop line.

unicorn's own CR2 register is overwritten after the fault hook (it read
0xffffffffffffefff at the CF291 fault), so the CPU keeps the address the
fault path saw, as hardware keeps CR2 until the next #PF. Going back in
time before the fault gives the CR2 the machine had then.
"""
from __future__ import annotations

import json
import re

import pytest

from simpleos.assembler import assemble
from simpleos.kernel.vm import TEXT, KernelSpace
from simpleos.machine.cpu import CPU
from simpleos.machine.layout import PAGE_SIZE
from simpleos.machine.snapshot import Snapshot

from paths import BAD
from sourcegdb import CR2_AT_CF291, GDB, cf291, gdb, sdb


def test_sdb_cr2_at_the_held_fault_is_the_faulting_address_and_the_stop_line_says_the_same(tmp_path):
    target = cf291(tmp_path)
    out = sdb(target, ["continue", "info registers cr2"])
    assert f"addr {CR2_AT_CF291:#x}" in out                       # the fault line
    assert re.search(rf"^cr2\s+{CR2_AT_CF291:#018x}$", out, re.M), out
    assert target.registers()["cr2"] == target.last_stop.trap.address == CR2_AT_CF291


def test_the_crash_dump_has_the_same_cr2(tmp_path, boot_machine):
    session = boot_machine(tmp_path / "crashed", fresh=True, channels=[BAD], max_boots=1)
    dump = json.loads(sorted((tmp_path / "crashed" / "dumps").glob("CRASH-*.dmp"))[0].read_text())
    assert dump["registers"]["cr2"] == session.boots[-1].bugcheck.trap.address == CR2_AT_CF291


def test_cr2_before_the_first_fault_is_the_reset_value_and_comes_back_when_going_back(tmp_path):
    target = cf291(tmp_path)
    assert target.registers()["cr2"] == 0                         # CR2 after reset
    fault = target.cont()
    assert fault.reason == "fault" and target.registers()["cr2"] == CR2_AT_CF291
    # --break-on-fault holds every #PF, so this is the boot's first one: before it, CR2 was 0
    target.reverse_stepi()
    assert target.registers()["cr2"] == 0
    target.stepi()
    assert target.registers()["cr2"] == CR2_AT_CF291              # the same fault again
    target.cont()                                                 # delivered: the bugcheck keeps it
    assert target.state == "bugcheck" and target.registers()["cr2"] == CR2_AT_CF291


def test_set_cr2_changes_what_the_debugger_shows_and_time_travel_replays_it(tmp_path):
    target = cf291(tmp_path)
    target.write_register("cr2", 0x1234)
    assert target.registers()["cr2"] == 0x1234
    target.stepi()
    target.reverse_stepi()
    assert target.registers()["cr2"] == 0x1234                    # the edit was made at position 0


FAULTING = """
    mov rax, qword ptr [rbx]        ; rbx = an unmapped address: #PF, CR2 = rbx
"""


def test_the_cpu_keeps_cr2_until_the_next_fault_and_a_snapshot_restores_it():
    cpu = CPU()
    kernel = KernelSpace(cpu.memory)
    cpu.enable_long_mode(kernel.space)
    image = assemble(FAULTING, kernel.reserve(PAGE_SIZE), "fault.asm")
    kernel.map_new(image.base, PAGE_SIZE, TEXT, image.code)
    snapshot = Snapshot(cpu, kernel.space, [])
    for address in (0xFFFF_8405_0000_0374, 0xFFFF_8405_0000_1000):
        snapshot.restore()
        assert cpu.cr2 == 0
        cpu.write("rip", image.entry)
        cpu.write("rbx", address)
        end = cpu.resume(10)
        assert end.trap is not None and end.trap.vector == 14 and end.trap.address == address
        assert cpu.cr2 == address                       # kept by the fault path, not read from unicorn
    snapshot.restore()
    assert cpu.cr2 == 0


@pytest.mark.skipif(GDB is None, reason="gdb is not installed (CI installs it)")
def test_real_gdb_reads_the_same_cr2_at_the_fault_and_the_old_one_after_reverse_stepi(tmp_path):
    target = cf291(tmp_path)
    result = gdb(target, tmp_path, ["p/x $cr2", "continue", "p/x $cr2", "info registers cr2", "reverse-stepi",
                                    "p/x $cr2"])
    values = [int(v, 16) for v in re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", result.stdout, re.M)]
    assert values == [0, CR2_AT_CF291, 0], result.stdout
    assert re.search(rf"^cr2\s+{CR2_AT_CF291:#x}", result.stdout, re.M), result.stdout
    assert "SIGSEGV" in result.stdout
