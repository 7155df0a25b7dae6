"""The unwind rules debug/cfi.py works out from machine code, on small routines and on the sensor.

Each rule says, before one instruction, where the CFA is (rsp+N or rbp+N),
where each pushed callee-saved register sits, and whether the routine is
the outermost frame. gdb gets the same rules through .debug_frame.
"""
from __future__ import annotations

import pytest

from simpleos.assembler import assemble
from simpleos.debug.cfi import FrameRule, frame_table
from simpleos.kernel.drivers import assemble_driver, read_manifest
from simpleos.machine.decode import disassemble

BASE = 0x400000


def rules(source: str) -> dict[str, FrameRule]:
    """The rule at each `.L`-free label of `source` (labels name the instruction they precede)."""
    image = assemble(source, BASE, "probe.asm")
    table = frame_table(image)
    return {name: table.rule_at(address) for name, address in image.symbols.items()}


def test_a_frame_pointer_routine_is_rbp_based_until_it_pops_rbp():
    found = rules("""
_start:
    call framed
    ud2
framed:
    push rbp
after_push:
    mov rbp, rsp
after_mov:
    push rbx
    sub rsp, 16
body:
    add rsp, 16
    pop rbx
before_pop:
    pop rbp
before_ret:
    ret
""")
    assert found["_start"] == FrameRule("rsp", 8, 8, (), outermost=True)
    assert found["framed"] == FrameRule("rsp", 8, 8)
    assert found["after_push"] == FrameRule("rsp", 16, 16, (("rbp", -16),))
    assert found["after_mov"] == FrameRule("rbp", 16, 16, (("rbp", -16),))
    assert found["body"] == FrameRule("rbp", 16, 40, (("rbx", -24), ("rbp", -16)))
    assert found["before_pop"] == FrameRule("rbp", 16, 16, (("rbp", -16),))
    assert found["before_ret"] == FrameRule("rsp", 8, 8)


def test_a_leaf_with_pushes_and_two_exits_is_rsp_based_on_every_path():
    found = rules("""
leaf:
    push rcx
pushed:
    test eax, eax
    jz other
    pop rcx
first_ret:
    ret
other:
    pop rcx
second_ret:
    ret
""")
    assert found["pushed"] == found["other"] == FrameRule("rsp", 16, 16)      # rcx is not callee-saved
    assert found["first_ret"] == found["second_ret"] == FrameRule("rsp", 8, 8)


def test_leave_and_a_tail_call_keep_the_entry_rule():
    found = rules("""
caller:
    push rbp
    mov rbp, rsp
    leave
after_leave:
    jmp callee
callee:
    ret
""")
    assert found["after_leave"] == FrameRule("rsp", 8, 8) == found["callee"]


def test_a_computed_stack_pointer_gets_no_rule_and_the_code_after_it_neither():
    image = assemble("odd:\n    mov rsp, rax\n.Llost:\n    ret\n", BASE, "odd.asm")
    table = frame_table(image)
    assert table.rule_at(BASE) == FrameRule("rsp", 8, 8)
    assert table.rule_at(BASE + 3) is None               # the ret after it: rsp is unknown there


@pytest.mark.parametrize("build", ["original", "fixed"])
def test_every_instruction_of_the_sensor_has_a_rule_and_the_fault_site_is_rsp_plus_16(build):
    image = assemble_driver(read_manifest("sensor"), build, 0xFFFFFFFF80004000)
    table = frame_table(image)
    for address, *_ in disassemble(image.code[:image.text_end], image.base):
        assert table.rule_at(address) is not None, f"{address - image.base:#x} of the {build} build"
    fault_site = image.symbols["compare_string"] + 0xA        # movzx eax, byte ptr [rdi + rcx]
    assert table.rule_at(fault_site) == FrameRule("rsp", 16, 16)
    inside = table.rule_at(image.symbols["match_instance"] + 0x20)
    assert (inside.cfa_register, inside.cfa_offset) == ("rbp", 16) and inside.saved_at("rbp") == -16
    entry = table.rule_at(image.symbols["sensor_event_loop"])
    assert entry.outermost
    names = [name for name, _, _ in table.routines]
    assert names[0] == "sensor_main" and "_start" not in names      # one name per address


def test_a_routine_that_the_entry_falls_into_after_a_call_to_exit_is_entered_by_its_callers():
    # _start's path runs past `call exit` (the analysis cannot know exit never returns) into
    # peek; peek is still a routine with a caller, not the outermost frame.
    found = rules("""
_start:
    call peek
    call finish
peek:
    movzx eax, byte ptr [rdi]
    ret
finish:
    ud2
""")
    assert found["_start"] == FrameRule("rsp", 8, 8, (), outermost=True)
    assert found["peek"] == FrameRule("rsp", 8, 8)
