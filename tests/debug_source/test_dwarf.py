"""The DWARF of the gdb symbol file, read back by independent readers (pyelftools, readelf).

.debug_line must give back exactly the assembler's line table, .debug_info
one compile unit per image with a subprogram per routine, and .debug_frame
the rules of debug/cfi.py: what gdb sees is what sdb uses.
"""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

from simpleos.debug.cfi import frame_table
from simpleos.debug.gdb.dwarf import REGISTER_NUMBERS, sleb, uleb
from simpleos.debug.gdb.elf import symbol_file_bytes, write_symbol_file

from sourcegdb import cf291, sensor_image

READELF = shutil.which("readelf")


@pytest.fixture(scope="module")
def booted(tmp_path_factory):
    """A CF291 target (ring 0) and its symbol file, parsed by pyelftools."""
    target = cf291(tmp_path_factory.mktemp("dwarf"))
    data = symbol_file_bytes(target.kernel)
    return target, data, ELFFile(io.BytesIO(data))


def test_leb128_encodings():
    assert [uleb(v) for v in (0, 127, 128, 624485)] == [b"\0", b"\x7f", b"\x80\x01", b"\xe5\x8e\x26"]
    assert [sleb(v) for v in (0, -1, 63, -64, -8, 64)] == [b"\0", b"\x7f", b"\x3f", b"\x40", b"\x78", b"\xc0\x00"]


def test_the_line_programs_give_back_the_assemblers_line_tables(booted):
    target, _, elf = booted
    dwarf = elf.get_dwarf_info()
    units = {unit.get_top_DIE().attributes["DW_AT_low_pc"].value: unit for unit in dwarf.iter_CUs()}
    for module in target.kernel.modules:
        image = module.image
        unit = units[image.base]
        program = dwarf.line_program_for_CU(unit)
        names = {number: entry.name.decode() for number, entry in enumerate(program.header["file_entry"], 1)}
        rows = [(e.state.address, names[e.state.file], e.state.line, bool(e.state.end_sequence))
                for e in program.get_entries() if e.state is not None]
        expected = [(row.address, row.file, row.line, row.end_sequence) for row in image.line_table.rows]
        assert [r if not r[3] else (r[0], r[3]) for r in rows] == \
            [r if not r[3] else (r[0], r[3]) for r in expected], module.name
        assert unit.header["version"] == 4


def test_each_routine_is_a_subprogram_of_its_unit(booted):
    target, _, elf = booted
    image = sensor_image(target)
    unit = next(u for u in elf.get_dwarf_info().iter_CUs()
                if u.get_top_DIE().attributes["DW_AT_low_pc"].value == image.base)
    top = unit.get_top_DIE()
    assert top.attributes["DW_AT_name"].value == b"sensor.asm"
    assert top.attributes["DW_AT_language"].value == 0x8001
    routines = {die.attributes["DW_AT_name"].value.decode(): (die.attributes["DW_AT_low_pc"].value,
                                                             die.attributes["DW_AT_high_pc"].value)
                for die in top.iter_children()}
    assert routines == {name: (start, end - start) for name, start, end in frame_table(image).routines}
    assert "sensor_main" in routines and "_start" not in routines


def test_the_frame_entries_hold_the_rules_sdb_uses(booted):
    target, _, elf = booted
    image = sensor_image(target)
    table = frame_table(image)
    names = {number: name for name, number in REGISTER_NUMBERS.items()}
    checked = 0
    for entry in elf.get_dwarf_info().CFI_entries():
        if "initial_location" not in entry.header:
            continue                                                     # the CIE
        decoded = entry.get_decoded()
        for row in decoded.table:
            rule = table.rule_at(row["pc"])
            if rule is None or not image.base <= row["pc"] < image.base + image.text_end:
                continue
            cfa = row["cfa"]
            assert (names[cfa.reg], cfa.offset) == (rule.cfa_register, rule.cfa_offset), hex(row["pc"])
            saved = {names[number]: register.arg for number, register in row.items()
                     if isinstance(number, int) and number in names and register.type == "OFFSET"}
            assert saved == dict(rule.saved), hex(row["pc"])
            checked += 1
    assert checked > 40          # a row per change of rule, in every routine of the sensor


@pytest.mark.skipif(READELF is None, reason="readelf is not installed")
def test_readelf_reads_every_section_without_a_warning(booted, tmp_path):
    target, _, _ = booted
    path = write_symbol_file(tmp_path / "s.elf", target.kernel)
    result = subprocess.run([READELF, "--debug-dump=info,abbrev,rawline,decodedline,frames", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "warning" not in (result.stdout + result.stderr).lower(), result.stderr
    assert "DW_CFA_def_cfa: r6 (rbp) ofs 16" in result.stdout and "DW_CFA_undefined: r16 (rip)" in result.stdout
