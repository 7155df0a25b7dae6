"""An ELF file's symbol table (.symtab): every function and variable gcc named, with its size.

This is what `nm` prints and what a debugger needs for `break main`: name,
address, size, kind (function, object, ...) and binding (local, global,
weak). Undefined symbols, section and file symbols are left out. A file
without .symtab (stripped) has no symbols: that is not an error. Reading
only: nothing here loads or maps anything.
"""
from __future__ import annotations

import struct

from ..record import dataclass
from .format import ElfFile, string_at

SHT_SYMTAB = 2
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE = 0, 1, 2, 3, 4
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
SHN_UNDEF, SHN_ABS = 0, 0xFFF1
MAX_SYMBOLS = 100_000

KINDS = {STT_NOTYPE: "notype", STT_OBJECT: "object", STT_FUNC: "function"}
BINDINGS = {STB_LOCAL: "local", STB_GLOBAL: "global", STB_WEAK: "weak"}

_SYMBOL = struct.Struct("<IBBHQQ")   # Elf64_Sym


@dataclass(frozen=True)
class ElfSymbol:
    """One symbol: `main` is a global function at 0x401126 of 42 bytes in section .text."""
    name: str
    address: int
    size: int
    kind: str          # "function" | "object" | "notype"
    binding: str       # "local" | "global" | "weak"
    section: str       # the section it is defined in ('' for absolute symbols)

    def contains(self, address: int) -> bool:
        """Is `address` inside this symbol's bytes (a sized symbol only)?"""
        return self.address <= address < self.address + self.size


def read_symbols(elf: ElfFile) -> list[ElfSymbol]:
    """The defined functions, objects and labels of .symtab, in table order."""
    table = next((s for s in elf.sections if s.type == SHT_SYMTAB), None)
    if table is None or table.entry_size != _SYMBOL.size:
        return []
    strings_section = elf.sections[table.link] if 0 < table.link < len(elf.sections) else None
    strings = elf.section_bytes(strings_section) if strings_section is not None else b""
    raw = elf.section_bytes(table)
    symbols = []
    for offset in range(0, min(len(raw), MAX_SYMBOLS * _SYMBOL.size) - _SYMBOL.size + 1, _SYMBOL.size):
        name_offset, info, _other, section_index, value, size = _SYMBOL.unpack_from(raw, offset)
        kind, binding = info & 0xF, info >> 4
        if kind not in KINDS or binding not in BINDINGS or section_index == SHN_UNDEF:
            continue
        name = string_at(strings, name_offset)
        if not name:
            continue
        section = elf.sections[section_index].name if section_index < len(elf.sections) else ""
        symbols.append(ElfSymbol(name, value, size, KINDS[kind], BINDINGS[binding], section))
    return symbols


def symbol_addresses(symbols: list[ElfSymbol]) -> dict[str, int]:
    """name -> address, as the assembler's label table (Image.symbols) has it. When two local
    symbols share a name (two files' `static` helpers), a global one wins, else the first."""
    addresses: dict[str, int] = {}
    for symbol in sorted(symbols, key=lambda s: s.binding == "local"):
        addresses.setdefault(symbol.name, symbol.address)
    return addresses
