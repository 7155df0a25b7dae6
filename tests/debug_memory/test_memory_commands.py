"""sdb's memory commands at the held CF291 fault: telescope, vmmap, info symbol, x/s, the operand line, did-you-mean.

Addresses are looked up by symbol (the sensor's layout may change), never written in; the
expectations are what each command must say about them: the event handle after the
inputs array is an unmapped pointer, the sensor's text is r-x supervisor, a channel file's
value ends at its length prefix.
"""
from __future__ import annotations

import io
import re

import pytest

from simpleos.channel.format import KIND_STRING_EQUALS
from simpleos.debug.commands import Debugger
from simpleos.debug.output import Output


def run(target, *commands: str) -> str:
    """The output of `commands` in a fresh Debugger over `target`."""
    stream = io.StringIO()
    debugger = Debugger(target, Output(stream, colour=False))
    for command in commands:
        debugger.execute(command)
    return stream.getvalue()


def test_telescope_follows_the_inputs_array_into_the_unmapped_event_handle(held_fault):
    out = run(held_fault, "telescope ipc_context+8*19 2")
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("00:0000│") and "<sensor.sys!ipc_context+0x98> [data, rw-, S]" in lines[0]
    handle = held_fault.read_memory(held_fault.lookup("ipc_event_handle"), 8)
    assert f"<sensor.sys!ipc_event_handle> [data, rw-, S]  -> {int.from_bytes(handle, 'little'):#x} [unmapped]" \
        in lines[1]


def test_telescope_defaults_to_rsp_and_names_return_addresses_with_their_instruction(held_fault):
    lines = run(held_fault, "telescope").splitlines()
    assert len(lines) == 8 and lines[0].split("│ ")[1].startswith("rsp ")
    assert all("[stack, rw-, S]" in line for line in lines)
    returns = [line for line in lines if "<sensor.sys!match_instance+" in line]
    assert returns and "[text, r-x, S] (" in returns[0], "a code pointer shows the instruction there"


def test_telescope_follows_a_string_pointer_to_the_string(held_fault):
    first_input = int.from_bytes(held_fault.read_memory(held_fault.lookup("ipc_context"), 8), "little")
    text = held_fault.read_memory(first_input, 16).split(b"\0")[0].decode()
    out = run(held_fault, "telescope ipc_context 1")
    assert f"-> {first_input:#x} <sensor.sys!event_buffer" in out and repr(text) in out


def test_telescope_refuses_a_silly_count(held_fault):
    assert run(held_fault, "telescope $rsp 100000") == "error: telescope shows 1..256 words, not 100000\n"


def test_vmmap_lists_the_sensor_pages_with_their_rights(held_fault):
    out = run(held_fault, "vmmap")
    sensor = next(m.image for m in held_fault.kernel.modules if m.name == "sensor.sys")
    text_end = sensor.base + sensor.data_offset
    assert re.search(rf"^ *{sensor.base:#x} +{text_end:#x} +{sensor.data_offset:#x}  r-x   S   sensor.sys .text$",
                     out, re.M)
    assert re.search(rf"^ *{text_end:#x} +0x[0-9a-f]+ +0x[0-9a-f]+  rw-   S   sensor.sys .data$", out, re.M)
    assert re.search(r"^ *0xffff800000000000 .* rw-   S   direct map$", out, re.M)
    assert "stack of sensor" in out
    assert run(held_fault, "info vmmap $rip").splitlines()[1].endswith("sensor.sys .text")


def test_vmmap_of_the_bad_pointer_says_it_is_not_mapped(held_fault):
    rdi = held_fault.registers()["rdi"]
    assert run(held_fault, "vmmap $rdi") == f"{rdi:#x} is not mapped in this address space (cr3 0x100000)\n"


def test_every_page_vmmap_shows_agrees_with_the_mmu(held_fault):
    space = held_fault.cpu.address_space()
    for region in held_fault.memory_map():
        for address in range(region.start, min(region.end, region.start + 0x4000), 0x1000):
            walk = space.walk(address)
            assert walk.present and (walk.user, walk.writable, walk.executable) == \
                (region.user, region.writable, region.executable)


def test_info_symbol_answers_in_gdbs_words(held_fault):
    rip_offset = held_fault.registers()["rip"] - held_fault.lookup("compare_string")
    assert run(held_fault, "info symbol $rip") == f"compare_string + {rip_offset} in section sensor.sys .text\n"
    assert run(held_fault, "info symbol ipc_context+24") == "ipc_context + 24 in section sensor.sys .data\n"
    assert run(held_fault, "info symbol compare_string") == "compare_string in section sensor.sys .text\n"
    assert run(held_fault, "info symbol $rdi").startswith("No symbol matches 0xffff840500000374: it is not mapped")


@pytest.mark.parametrize("command, typed, meant", [
    ("b compare_strin", "compare_strin", "compare_string"),
    ("print ipc_contxt+8", "ipc_contxt", "ipc_context"),
    ("x/4gx ipc_contex", "ipc_contex", "ipc_context"),
    ("telescope curent_criterion 1", "curent_criterion", "current_criterion"),
    ("b sensor.sys!match_instanc", "sensor.sys!match_instanc", "sensor.sys!match_instance"),
])
def test_a_typo_suggests_the_nearest_symbol(held_fault, command, typed, meant):
    assert run(held_fault, command) == f"error: no symbol '{typed}' (did you mean {meant}?)\n"


def test_a_name_like_nothing_suggests_nothing(held_fault):
    assert run(held_fault, "p nosuchthingatall") == "error: no symbol 'nosuchthingatall'\n"


def test_x_s_on_a_channel_file_value_stops_at_its_length(held_fault):
    from simpleos.debug.contentvalues import loaded_values
    values = loaded_values(held_fault)
    value = next(v for v in values.values() if v.instance == 291003 and v.field == 21)
    assert value.kind == KIND_STRING_EQUALS and held_fault.registers()["rsi"] == value.address
    out = run(held_fault, "x/s $rsi")
    assert f":\t'{value.data.decode()}'  (length-prefixed value, {value.length} bytes: rule 291003, field 21)" in out
    plain = run(held_fault, "x/s $rsi+1")
    assert "length-prefixed" not in plain, "inside a value, x/s is gdb's NUL-terminated string"


def test_the_context_view_dereferences_the_memory_operand(held_fault):
    out = run(held_fault, "context")
    assert "   [rdi + rcx] = 0xffff840500000374: not mapped -- this access faults (#PF)" in out


def test_the_operand_of_the_load_of_inputs_20_names_the_array_element(tmp_path):
    from simpleos.debug.operand import memory_operand
    from simpleos.debug.target import DebugTarget
    from simpleos.system import BootOptions
    from paths import BAD
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True, channels=[BAD]), break_on_fault=True)
    fault = target.cont().position
    while target.position > fault - 40:
        target.reverse_stepi()
        found = target.instruction_at(target.registers()["rip"])
        if found[2] == "mov" and "r14 + rcx*8" in found[3]:
            break
    handle = int.from_bytes(target.read_memory(target.lookup("ipc_event_handle"), 8), "little")
    assert memory_operand(target, target.registers()["rip"]) == \
        f"[r14 + rcx*8] = ipc_context[20] -> sensor.sys!ipc_event_handle = {handle:#x}"


def test_help_lists_the_new_commands(held_fault):
    out = run(held_fault, "help")
    for command in ("telescope [ADDR [N]]", "vmmap [ADDR] | info vmmap", "info symbol ADDR", "analyze"):
        assert command in out
