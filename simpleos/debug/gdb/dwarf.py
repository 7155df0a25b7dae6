"""DWARF for the gdb symbol file: source lines, routines and unwind rules of the assembled code.

gdb learns three things from these sections, one compile unit per image:

  .debug_line    address -> file:line (DWARF 4 line programs), from the
                 assembler's line table: `list`, `info line`, `step`/`next`
                 by source line, and `file:line` in every frame
  .debug_info    the compile unit (file, directory, code range, language
                 asm) and a DW_TAG_subprogram per routine, so frames are
  .debug_abbrev  named by routine and gdb knows where each one starts
  .debug_frame   the unwind rules of debug/cfi.py (CFA = rsp+N or rbp+16,
                 return address at CFA-8, saved registers): `bt` is right
                 in leaf routines and before a prologue has run

Only encoding: the rules and the line table are worked out elsewhere
(cfi.py, assembler.py); elf.py puts these bytes in the file. Nothing here
reads a machine.
"""
from __future__ import annotations

import os
import struct

from ..cfi import FrameRule, frame_table

DWARF_VERSION = 4
PRODUCER = "SimpleOS assembler (keystone); line table and unwind rules derived from the code"
DW_LANG_MIPS_ASSEMBLER = 0x8001     # gdb reads it as language "asm"
# DWARF register numbers of x86-64 (System V psABI, figure 3.36); 16 is the return address.
REGISTER_NUMBERS = {"rax": 0, "rdx": 1, "rcx": 2, "rbx": 3, "rsi": 4, "rdi": 5, "rbp": 6, "rsp": 7,
                    **{f"r{n}": n for n in range(8, 16)}}
RETURN_ADDRESS = 16
DATA_ALIGNMENT = -8

# Tags, attributes and forms (DWARF 4, section 7.5).
DW_TAG_COMPILE_UNIT, DW_TAG_SUBPROGRAM = 0x11, 0x2e
DW_AT_NAME, DW_AT_STMT_LIST, DW_AT_LOW_PC, DW_AT_HIGH_PC = 0x03, 0x10, 0x11, 0x12
DW_AT_LANGUAGE, DW_AT_COMP_DIR, DW_AT_PRODUCER, DW_AT_EXTERNAL = 0x13, 0x1b, 0x25, 0x3f
DW_AT_DECL_FILE, DW_AT_DECL_LINE = 0x3a, 0x3b
DW_FORM_ADDR, DW_FORM_DATA2, DW_FORM_DATA8, DW_FORM_STRING = 0x01, 0x05, 0x07, 0x08
DW_FORM_UDATA, DW_FORM_SEC_OFFSET, DW_FORM_FLAG_PRESENT = 0x0f, 0x17, 0x19
# Line-program opcodes (section 6.2.5).
DW_LNS_COPY, DW_LNS_ADVANCE_PC, DW_LNS_ADVANCE_LINE, DW_LNS_SET_FILE = 1, 2, 3, 4
DW_LNE_END_SEQUENCE, DW_LNE_SET_ADDRESS = 1, 2
STANDARD_OPCODE_LENGTHS = bytes([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1])
# Call-frame instructions (section 6.4.2).
DW_CFA_ADVANCE_LOC1, DW_CFA_ADVANCE_LOC2, DW_CFA_ADVANCE_LOC4 = 0x02, 0x03, 0x04
DW_CFA_UNDEFINED, DW_CFA_DEF_CFA, DW_CFA_DEF_CFA_OFFSET = 0x07, 0x0c, 0x0e
DW_CFA_ADVANCE_LOC, DW_CFA_OFFSET, DW_CFA_RESTORE = 0x40, 0x80, 0xc0
CIE_RULE = FrameRule("rsp", 8, 8)   # what the CIE's initial instructions say


def uleb(value: int) -> bytes:
    """Unsigned LEB128."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def sleb(value: int) -> bytes:
    """Signed LEB128."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        done = value == 0 and not byte & 0x40 or value == -1 and byte & 0x40
        out.append(byte | (0 if done else 0x80))
        if done:
            return bytes(out)


def debug_sections(images) -> dict[str, bytes]:
    """'.debug_abbrev', '.debug_info', '.debug_line', '.debug_frame' for the assembled `images`."""
    info, lines, frames = bytearray(), bytearray(), bytearray(_cie())
    for image in images:
        table = image.line_table
        if not table.code_rows():
            continue
        paths = table.files()
        frames += _frame_entries(image)
        info += _compile_unit(image, paths, statement_list=len(lines))
        lines += _line_program(table, paths)
    return {".debug_abbrev": _abbreviations(), ".debug_info": bytes(info), ".debug_line": bytes(lines),
            ".debug_frame": bytes(frames)}


def _text_range(image) -> tuple[int, int]:
    end = image.text_end if image.text_end is not None else image.data_offset
    return image.base, image.base + end


# --- .debug_abbrev and .debug_info -------------------------------------------------------

def _abbreviations() -> bytes:
    """Abbreviation 1: the compile unit (with children); 2: a routine."""
    unit = [(DW_AT_PRODUCER, DW_FORM_STRING), (DW_AT_LANGUAGE, DW_FORM_DATA2), (DW_AT_NAME, DW_FORM_STRING),
            (DW_AT_COMP_DIR, DW_FORM_STRING), (DW_AT_STMT_LIST, DW_FORM_SEC_OFFSET),
            (DW_AT_LOW_PC, DW_FORM_ADDR), (DW_AT_HIGH_PC, DW_FORM_DATA8)]
    routine = [(DW_AT_NAME, DW_FORM_STRING), (DW_AT_EXTERNAL, DW_FORM_FLAG_PRESENT),
               (DW_AT_DECL_FILE, DW_FORM_UDATA), (DW_AT_DECL_LINE, DW_FORM_UDATA),
               (DW_AT_LOW_PC, DW_FORM_ADDR), (DW_AT_HIGH_PC, DW_FORM_DATA8)]
    out = bytearray()
    for code, tag, children, attributes in ((1, DW_TAG_COMPILE_UNIT, 1, unit), (2, DW_TAG_SUBPROGRAM, 0, routine)):
        out += uleb(code) + uleb(tag) + bytes([children])
        for attribute, form in attributes:
            out += uleb(attribute) + uleb(form)
        out += b"\0\0"
    return bytes(out + b"\0")


def _string(text: str) -> bytes:
    return text.encode("utf-8", "replace") + b"\0"


def _compile_unit(image, paths: list[str], statement_list: int) -> bytes:
    """One unit: the image's main source file, its code range, and a DIE per routine."""
    low, high = _text_range(image)
    main = paths[0]
    body = bytearray(uleb(1) + _string(PRODUCER) + struct.pack("<H", DW_LANG_MIPS_ASSEMBLER)
                     + _string(os.path.basename(main)) + _string(os.path.dirname(main))
                     + struct.pack("<IQQ", statement_list, low, high - low))
    table = image.line_table
    for name, start, end in frame_table(image).routines:
        row = table.line_at(start)
        file_number = paths.index(row.path) + 1 if row is not None else 1
        body += uleb(2) + _string(name) + uleb(file_number) + uleb(row.line if row else 0)
        body += struct.pack("<QQ", start, end - start)
    body += b"\0"                                   # end of the unit's children
    header = struct.pack("<HIB", DWARF_VERSION, 0, 8)
    return struct.pack("<I", len(header) + len(body)) + header + bytes(body)


# --- .debug_line ---------------------------------------------------------------------------

def _line_program(table, paths: list[str]) -> bytes:
    """A DWARF 4 line program: one sequence over the image's code, a row per source line."""
    directories = list(dict.fromkeys(os.path.dirname(path) for path in paths if os.path.dirname(path)))
    header = bytearray(bytes([1, 1, 1]) + struct.pack("<bBB", -5, 14, len(STANDARD_OPCODE_LENGTHS) + 1)
                       + STANDARD_OPCODE_LENGTHS)
    for directory in directories:
        header += _string(directory)
    header += b"\0"
    for path in paths:
        directory = os.path.dirname(path)
        header += _string(os.path.basename(path)) + uleb(directories.index(directory) + 1 if directory else 0)
        header += uleb(0) + uleb(0)
    header += b"\0"
    program = bytearray()
    address = line = file_number = None
    for row in table.rows:
        if address is None:
            program += b"\0" + uleb(9) + bytes([DW_LNE_SET_ADDRESS]) + struct.pack("<Q", row.address)
            address, line, file_number = row.address, 1, 1
        if row.address > address:
            program += bytes([DW_LNS_ADVANCE_PC]) + uleb(row.address - address)
            address = row.address
        if row.end_sequence:
            program += b"\0" + uleb(1) + bytes([DW_LNE_END_SEQUENCE])
            address = None
            continue
        number = paths.index(row.path) + 1
        if number != file_number:
            program += bytes([DW_LNS_SET_FILE]) + uleb(number)
            file_number = number
        if row.line != line:
            program += bytes([DW_LNS_ADVANCE_LINE]) + sleb(row.line - line)
            line = row.line
        program += bytes([DW_LNS_COPY])
    after_version = struct.pack("<I", len(header)) + bytes(header) + bytes(program)
    body = struct.pack("<H", DWARF_VERSION) + after_version
    return struct.pack("<I", len(body)) + body


# --- .debug_frame --------------------------------------------------------------------------

def _padded(entry: bytes) -> bytes:
    """An entry (after its length field) padded with DW_CFA_nop to a multiple of 8, with its length."""
    entry += b"\0" * (-(len(entry) + 4) % 8)
    return struct.pack("<I", len(entry)) + entry


def _cie() -> bytes:
    """The one CIE: version 1, code alignment 1, data alignment -8, return address in column 16;
    at a routine's first instruction CFA = rsp+8 and the return address is at CFA-8."""
    body = struct.pack("<IB", 0xFFFFFFFF, 1) + b"\0" + uleb(1) + sleb(DATA_ALIGNMENT) + bytes([RETURN_ADDRESS])
    body += bytes([DW_CFA_DEF_CFA]) + uleb(REGISTER_NUMBERS["rsp"]) + uleb(8)
    body += bytes([DW_CFA_OFFSET | RETURN_ADDRESS]) + uleb(1)
    return _padded(body)


def _frame_entries(image) -> bytes:
    """An FDE per run of analysed instructions of each routine."""
    table = frame_table(image)
    out = bytearray()
    for _, start, end in table.routines:
        run: list[tuple[int, FrameRule]] = []
        for address, rule in table.rows(start, end) + [(None, None)]:
            if run and (address is None or table.ends[run[-1][0]] != address):
                out += _fde(run, table.ends[run[-1][0]])
                run = []
            if address is not None:
                run.append((address, rule))
    return bytes(out)


def _fde(run: list[tuple[int, FrameRule]], end: int) -> bytes:
    """One FDE: from the CIE's rule to the first instruction's, then each change."""
    start = run[0][0]
    instructions = bytearray()
    previous, at = CIE_RULE, start
    for address, rule in run:
        if rule == previous:
            continue
        if address > at:
            instructions += _advance(address - at)
            at = address
        instructions += _rule_change(previous, rule)
        previous = rule
    return _padded(struct.pack("<IQQ", 0, start, end - start) + bytes(instructions))


def _advance(delta: int) -> bytes:
    """DW_CFA_advance_loc in its smallest form."""
    if delta < 0x40:
        return bytes([DW_CFA_ADVANCE_LOC | delta])
    if delta < 0x100:
        return bytes([DW_CFA_ADVANCE_LOC1, delta])
    if delta < 0x10000:
        return bytes([DW_CFA_ADVANCE_LOC2]) + struct.pack("<H", delta)
    return bytes([DW_CFA_ADVANCE_LOC4]) + struct.pack("<I", delta)


def _rule_change(old: FrameRule, new: FrameRule) -> bytes:
    """The call-frame instructions that turn rule `old` into rule `new`."""
    out = bytearray()
    if new.cfa_register != old.cfa_register:
        out += bytes([DW_CFA_DEF_CFA]) + uleb(REGISTER_NUMBERS[new.cfa_register]) + uleb(new.cfa_offset)
    elif new.cfa_offset != old.cfa_offset:
        out += bytes([DW_CFA_DEF_CFA_OFFSET]) + uleb(new.cfa_offset)
    before, after = dict(old.saved), dict(new.saved)
    for register, offset in after.items():
        if before.get(register) != offset:
            out += bytes([DW_CFA_OFFSET | REGISTER_NUMBERS[register]]) + uleb(offset // DATA_ALIGNMENT)
    for register in before:
        if register not in after:
            out += bytes([DW_CFA_RESTORE | REGISTER_NUMBERS[register]])
    if new.outermost and not old.outermost:
        out += bytes([DW_CFA_UNDEFINED]) + uleb(RETURN_ADDRESS)
    return bytes(out)
