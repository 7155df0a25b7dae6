"""sdb at the source level: list, disassemble, info line, frame/up/down/info frame, step/next, the
source pane of the context view, and the two small fixes (stepi -1, reverse-stepi off a held fault).
"""
from __future__ import annotations

import re

import pytest

from simpleos.debug.backtrace import backtrace
from simpleos.debug.commands import Debugger
from simpleos.debug.output import Output

from sourcegdb import SENSOR_SOURCE, cf291, line_of, sdb, sensor_image

SOURCE = SENSOR_SOURCE.read_text().splitlines()
FAULT_LINE = line_of("<-- a bad pointer faults here")


@pytest.fixture(scope="module")
def at_fault(tmp_path_factory):
    """A target held at the CF291 fault, and a Debugger on it."""
    target = cf291(tmp_path_factory.mktemp("fault"))
    debugger = Debugger(target, Output(colour=False))
    sdb(target, ["continue"], debugger)
    assert target.last_stop.reason == "fault"
    return target, debugger


def test_the_stop_names_file_and_line_and_shows_the_line_with_its_comment(tmp_path):
    out = sdb(cf291(tmp_path), ["continue"])
    assert f"   sensor.asm:{FAULT_LINE}\t{SOURCE[FAULT_LINE - 1].strip()}" in out


def test_bt_names_each_frames_line(at_fault):
    target, debugger = at_fault
    out = sdb(target, ["bt"], debugger)
    lines = [line_of("call compare_string"), line_of("call match_instance"), line_of("call interpret")]
    assert f"in sensor.sys!compare_string+0xa at sensor.asm:{FAULT_LINE}" in out
    for number, line in enumerate(lines, 1):
        assert re.search(rf"^#{number} .* at sensor\.asm:{line}  \(return address at 0x[0-9a-f]+\)$", out, re.M), out
    assert "scanning" not in out


def test_list_around_the_stop_then_the_next_lines_then_a_function_and_a_file_line(at_fault):
    target, debugger = at_fault
    out = sdb(target, ["list"], debugger).splitlines()
    assert len(out) == 10 and out[5] == f"=>{FAULT_LINE:>5}\t{SOURCE[FAULT_LINE - 1]}".rstrip()
    following = sdb(target, ["list"], debugger).splitlines()
    assert following[0].split()[0] == str(FAULT_LINE + 5)
    function = sdb(target, ["list match_instance"], debugger)
    assert "match_instance:" in function and "; Not System V: r14 and r15 are interpret's" in function
    at = sdb(target, ["list sensor.asm:100"], debugger).splitlines()
    assert at[0].split()[0] == "95" and at[-1].split()[0] == "104"
    assert sdb(target, ["list nowhere.asm:3"], debugger).startswith("error: no source file 'nowhere.asm'")


def test_disassemble_shows_the_routine_with_the_arrow_at_rip(at_fault):
    target, debugger = at_fault
    out = sdb(target, ["disassemble"], debugger).splitlines()
    start = line_of("compare_string:") + 1
    assert out[0].startswith(f"dump of assembler code for sensor.sys!compare_string (sensor.asm:{start}-")
    assert out[1].endswith("<+0>:\tpush rcx") and out[-1] == "end of assembler dump."
    assert [line for line in out if line.startswith("=> ")] == \
        [f"=> {target.registers()['rip']:#x} <+10>:\tmovzx eax, byte ptr [rdi + rcx]"]
    other = sdb(target, ["disassemble build_ipc_inputs"], debugger).splitlines()
    assert other[1].endswith("<+0>:\tpush rbp") and other[-2].endswith("ret")
    assert not any(line.startswith("=> ") for line in other)


def test_info_line_says_where_a_lines_code_starts_and_ends(at_fault):
    target, debugger = at_fault
    rip = target.registers()["rip"]
    out = sdb(target, ["info line", f"info line sensor.asm:{FAULT_LINE + 1}", "info line sensor.asm:1"], debugger)
    assert f'line {FAULT_LINE} of "sensor.asm" starts at address {rip:#x} <sensor.sys!compare_string+0xa> and ' \
           f'ends at {rip + 4:#x} <sensor.sys!compare_string+0xe>.' in out
    assert f'line {FAULT_LINE + 1} of "sensor.asm" starts at address {rip + 4:#x}' in out
    assert 'line 1 of "sensor.asm" has no code' in out


def test_frame_up_down_and_info_frame_walk_the_chain(at_fault):
    target, debugger = at_fault
    image = sensor_image(target)
    out = sdb(target, ["frame 1"], debugger)
    assert out.startswith("#1  ") and f"at sensor.asm:{line_of('call compare_string')}" in out
    info = sdb(target, ["info frame"], debugger)
    assert "stack level 1, frame at 0x" in info and "CFA = rbp+16, return address at CFA-8" in info
    assert re.search(r"rbx at 0x[0-9a-f]+, rbp at 0x[0-9a-f]+, r12 at 0x[0-9a-f]+, r13 at 0x[0-9a-f]+, "
                     r"rip at 0x[0-9a-f]+", info), info
    assert "sensor.sys!interpret+" in sdb(target, ["up"], debugger)
    top = sdb(target, ["up"], debugger)
    assert "sensor.sys!sensor_event_loop+" in top
    assert sdb(target, ["up"], debugger).startswith("error: the outermost frame is selected")
    outermost = sdb(target, ["info frame"], debugger)
    assert "the outermost frame: no caller" in outermost
    assert sdb(target, ["down 3"], debugger).startswith("#0  ")
    assert sdb(target, ["down"], debugger).startswith("error: the innermost frame (0) is selected")
    # a selected frame is where list and disassemble look
    sdb(target, ["frame 2"], debugger)
    assert sdb(target, ["disassemble"], debugger).startswith("dump of assembler code for sensor.sys!interpret")
    assert f"=>{line_of('call match_instance'):>5}\t" in sdb(target, ["list"], debugger)
    assert image.symbols["interpret"] < backtrace(target)[2].address < image.symbols["match_instance"]
    sdb(target, ["frame 0"], debugger)


def test_the_context_view_shows_the_source_pane_above_the_code(at_fault):
    target, debugger = at_fault
    out = sdb(target, ["context"], debugger)
    source = out.index(f"──── source sensor.asm:{FAULT_LINE} ")
    assert source < out.index("──── code ")
    pane = out[source:out.index("──── code ")].splitlines()[1:]
    assert pane[2] == f"=>{FAULT_LINE:>5}\t{SOURCE[FAULT_LINE - 1]}".rstrip()
    assert len(pane) == 6 and pane[0].startswith(f"  {FAULT_LINE - 2:>5}\t")


def test_step_and_next_go_by_source_line(tmp_path):
    target = cf291(tmp_path)
    debugger = Debugger(target, Output(colour=False))
    call_line = line_of("call compare_string")
    sdb(target, [f"break *{sensor_image(target).symbols['match_instance'] + 0x4c}", "continue"], debugger)
    assert target.registers()["rip"] == sensor_image(target).symbols["match_instance"] + 0x4c
    assert f'line {call_line} of "sensor.asm"' in sdb(target, ["info line"], debugger)
    out = sdb(target, ["next"], debugger)
    assert f"sensor.asm:{call_line + 1}\tmov ebx, eax" in out            # the call ran to its return
    sdb(target, ["delete", f"break *{sensor_image(target).symbols['match_instance'] + 0x4c}", "continue"], debugger)
    out = sdb(target, ["step"], debugger)
    assert f"sensor.asm:{line_of('compare_string:') + 1}\tpush rcx" in out  # into the routine
    assert sdb(target, ["step 0"], debugger).startswith("error: step/next need a positive count")


def test_stepi_with_a_count_below_one_is_refused_and_points_the_other_way(tmp_path):
    target = cf291(tmp_path)
    out = sdb(target, ["stepi -1", "nexti 0", "reverse-stepi -2", "si -5"])
    assert out.splitlines() == [
        "error: stepi -1: the count must be positive; to go back, use reverse-stepi 1",
        "error: nexti 0: the count must be positive; to go back, use reverse-stepi 1",
        "error: reverse-stepi -2: the count must be positive; to go forward, use stepi 2",
        "error: stepi -5: the count must be positive; to go back, use reverse-stepi 5"]
    assert target.position == 0


def test_reverse_stepi_off_a_held_fault_says_the_attempt_counted(tmp_path):
    target = cf291(tmp_path)
    out = sdb(target, ["continue", "reverse-stepi", "reverse-stepi"])
    first, second = out.split("[position ")[2:4]
    assert "(back before the faulting attempt of the same instruction: the attempt counted as a position)" in first
    assert "compare_string+0xa" in first and "faulting attempt" not in second
