"""Real gdb through the stub: the CF291 backtrace, frames, and stepping by source line.

The symbol file carries .debug_frame (the unwind rules of debug/cfi.py) and
DWARF 4 line programs with a compile unit per image (gdb/dwarf.py). gdb's
`bt` must read the interpreter's call chain with no `??` frame -- in a leaf
routine, before a prologue has run, at ring 0 and at ring 3 -- and `list`,
`info line`, `break FILE:LINE`, `step` and `next` must work by sensor.asm's
lines. Skipped only where gdb is missing; CI installs it.
"""
from __future__ import annotations

import re

import pytest

from sourcegdb import GDB, SENSOR_SOURCE, cf291, gdb, line_of, sensor_image

pytestmark = pytest.mark.skipif(GDB is None, reason="gdb is not installed (CI installs it)")
CHAIN = ["compare_string", "match_instance", "interpret", "sensor_event_loop"]


def frames_of(out: str) -> list[str]:
    """The function of each `#N ...` line of the first gdb backtrace in `out`."""
    lines = out[out.index("\n#0 ") + 1:].splitlines()
    chain = []
    for line in lines:
        match = re.match(r"#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(", line)
        if match is None or int(match.group(1)) != len(chain):     # the next command's output
            break
        chain.append(match.group(2))
    return chain


def test_gdb_bt_at_the_cf291_fault_reads_the_interpreters_chain_with_no_unknown_frame(tmp_path):
    target = cf291(tmp_path)
    out = gdb(target, tmp_path, ["continue", "bt"]).stdout
    assert "SIGSEGV" in out and "??" not in out, out
    assert frames_of(out) == CHAIN, out
    fault_line = line_of("<-- a bad pointer faults here")
    assert re.search(rf"^#0\s+compare_string \(\) at sensor\.asm:{fault_line}$", out, re.M), out
    call_line = line_of("call compare_string")
    assert re.search(rf"^#1\s+0x[0-9a-f]+ in match_instance \(\) at sensor\.asm:{call_line}$", out, re.M), out


def test_gdb_unwinds_before_a_prologue_and_in_a_leaf(tmp_path):
    target = cf291(tmp_path)
    out = gdb(target, tmp_path, ["break match_instance", "break compare_string", "continue", "bt",
                                 "continue", "bt", "up", "info frame"]).stdout
    first, second = out.split("Breakpoint 2, ")
    assert "??" not in out
    assert frames_of(first) == CHAIN[1:]             # at match_instance's first instruction, before its prologue
    assert frames_of(second) == CHAIN                # compare_string: a leaf, no frame pointer
    assert "Saved registers:" in out and re.search(r"rbp at 0x[0-9a-f]+", out)


def test_names_agree_between_the_debuggers_where_two_labels_share_an_address(tmp_path):
    target = cf291(tmp_path)
    entry = sensor_image(target).symbols["_start"]
    assert target.symbolize(entry) == "sensor.sys!sensor_main"
    out = gdb(target, tmp_path, [f"info symbol {entry:#x}", "bt", "break _start", "info breakpoints"]).stdout
    assert "sensor_main in section .text.sensor.sys" in out
    assert re.search(r"^#0\s+sensor_main \(\)", out, re.M), out
    assert "in sensor_main at sensor.asm:" in out             # `break _start` still works: an alias


def test_gdb_lists_source_and_knows_where_each_line_is(tmp_path):
    target = cf291(tmp_path)
    image = sensor_image(target)
    fault_line = line_of("<-- a bad pointer faults here")
    fault_site = image.symbols["compare_string"] + 0xA
    out = gdb(target, tmp_path, ["list compare_string", f"info line *{fault_site:#x}",
                                 f"info line sensor.asm:{fault_line}", f"list sensor.asm:{fault_line},"
                                 f"{fault_line + 1}"]).stdout
    assert "; Preserves rcx, r8, r9. A leaf: it calls nothing, so it keeps no frame." in out   # comments too
    assert re.search(rf'Line {fault_line} of "sensor\.asm" starts at address {fault_site:#x} <compare_string\+10> '
                     rf'and ends at 0x[0-9a-f]+ <compare_string\+14>\.', out), out
    text = SENSOR_SOURCE.read_text().splitlines()[fault_line - 1]
    assert f"{fault_line}\t{text}" in out


def test_gdb_steps_and_nexts_by_source_line(tmp_path):
    target = cf291(tmp_path)
    call_line = line_of("call compare_string")
    first = line_of("compare_string:") + 1                    # push rcx
    out = gdb(target, tmp_path, [f"break sensor.asm:{call_line}", "continue", "next", "info registers rip",
                                 "continue", "step", "step", "bt 1"]).stdout
    assert f"Breakpoint 1, match_instance () at sensor.asm:{call_line}" in out
    # next runs the call to its return: the line after the call
    assert re.search(rf"^{call_line + 1}\t\s+mov ebx, eax", out, re.M), out
    # step goes into the routine, one source line at a time
    assert re.search(rf"^compare_string \(\) at sensor\.asm:{first}\n{first}\t\s+push rcx", out, re.M), out
    assert re.search(rf"^{first + 1}\t\s+mov r10d, eax", out, re.M), out


def test_a_ring3_sensor_unwinds_too(tmp_path):
    target = cf291(tmp_path, model="microkernel")
    out = gdb(target, tmp_path, ["continue", "bt"]).stdout
    assert "SIGSEGV" in out and "??" not in out, out
    assert frames_of(out) == CHAIN, out
