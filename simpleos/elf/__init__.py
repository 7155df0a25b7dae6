"""Reading ELF files: the format of the executables gcc builds (simpleos cc, or any static x86-64 ELF).

format.py parses the file header, program headers and section headers and
rejects what is malformed; symbols.py reads the symbol table; lines.py the
DWARF line table (source file and line per address). Nothing here decides
where a program may live or maps memory: that policy is the kernel's
(simpleos/kernel/elfload.py).
"""
from .format import ElfError, ElfFile, ProgramHeader, Section, is_elf, parse_elf
from .lines import LineRow, LineTable, read_line_table
from .symbols import ElfSymbol, read_symbols

__all__ = ["ElfError", "ElfFile", "ElfSymbol", "LineRow", "LineTable", "ProgramHeader", "Section", "is_elf",
           "parse_elf", "read_line_table", "read_symbols"]
