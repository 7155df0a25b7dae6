"""The ELF64 container: file header, program headers, section headers -- parsed and checked.

An ELF file starts with a 64-byte header (ELF64, little-endian, x86-64 for
us), which says where the program headers are (how to load the file: the
PT_LOAD segments) and where the section headers are (how tools see it:
.text, .symtab, .debug_line ...). parse_elf() reads both and refuses, in
one line, a file that is not ELF, is 32-bit, big-endian or for another CPU,
or is truncated (a table or a segment's bytes run past the end of the file).
Format only: whether the segments fit in user space, W^X and the rest of
the loading policy are the kernel's (kernel/elfload.py).
"""
from __future__ import annotations

import struct

from ..errors import BadInput
from ..record import dataclass

ELF_MAGIC = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB = 1
ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
EM_X86_64 = 62
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR, PT_TLS = 1, 2, 3, 6, 7
PF_X, PF_W, PF_R = 1, 2, 4
SHT_NOBITS = 8
MAX_PROGRAM_HEADERS = 64        # gcc's static executables have 4-10
MAX_SECTIONS = 4096

MACHINE_NAMES = {3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 40: "ARM", 62: "x86-64",
                 183: "AArch64", 243: "RISC-V"}

_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")      # Elf64_Ehdr
_PROGRAM_HEADER = struct.Struct("<IIQQQQQQ")     # Elf64_Phdr
_SECTION_HEADER = struct.Struct("<IIQQQQIIQQ")   # Elf64_Shdr
PROGRAM_HEADER_SIZE = _PROGRAM_HEADER.size


class ElfError(BadInput):
    """The file is not an ELF executable SimpleOS can read; the message says why, in one line."""


@dataclass(frozen=True)
class ProgramHeader:
    """One entry of the program header table: a segment, and how to load it."""
    index: int
    type: int
    flags: int                 # PF_R | PF_W | PF_X
    offset: int                # where its bytes start in the file
    address: int               # p_vaddr: where they go in memory
    file_size: int             # bytes taken from the file
    memory_size: int           # bytes in memory (the rest is zero: .bss)

    @property
    def end(self) -> int:
        """The first address after the segment in memory."""
        return self.address + self.memory_size

    def rights(self) -> str:
        """'R-X', 'RW-', ... as readelf prints them."""
        return "".join(letter if self.flags & bit else "-" for bit, letter in ((PF_R, "R"), (PF_W, "W"), (PF_X, "X")))


@dataclass(frozen=True)
class Section:
    """One section header: a named piece of the file (.text, .symtab, .debug_line, ...)."""
    index: int
    name: str
    type: int
    flags: int
    address: int
    offset: int
    size: int
    link: int
    entry_size: int


@dataclass
class ElfFile:
    """A parsed ELF64 x86-64 file: header fields, segments, sections, and the bytes."""
    name: str
    type: int
    entry: int
    program_header_offset: int
    program_headers: list[ProgramHeader]
    sections: list[Section]
    data: bytes

    def section(self, name: str) -> Section | None:
        """The first section called `name`, if any."""
        return next((s for s in self.sections if s.name == name), None)

    def section_bytes(self, section: Section) -> bytes:
        """The file bytes of a section (empty for .bss-like sections that occupy none)."""
        if section.type == SHT_NOBITS:
            return b""
        return self.data[section.offset:section.offset + section.size]


def is_elf(data: bytes) -> bool:
    """Does `data` start like an ELF file?"""
    return data[:4] == ELF_MAGIC


def parse_elf(data: bytes, name: str) -> ElfFile:
    """Parse and check the ELF file `data` (called `name` in errors)."""
    if not is_elf(data):
        raise ElfError(f"{name}: not an ELF file (no \\x7fELF magic)")
    if len(data) < _HEADER.size:
        raise ElfError(f"{name}: truncated: {len(data)} bytes, less than an ELF header ({_HEADER.size})")
    (ident, file_type, machine, _version, entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     shentsize, shnum, shstrndx) = _HEADER.unpack_from(data)
    if ident[4] == ELFCLASS32:
        raise ElfError(f"{name}: a 32-bit ELF file; SimpleOS runs 64-bit x86-64 executables (ELFCLASS64)")
    if ident[4] != ELFCLASS64:
        raise ElfError(f"{name}: unknown ELF class {ident[4]} (expected 2, 64-bit)")
    if ident[5] != ELFDATA2LSB:
        raise ElfError(f"{name}: a big-endian ELF file; x86-64 is little-endian")
    if machine != EM_X86_64:
        built_for = MACHINE_NAMES.get(machine, f"machine {machine}")
        raise ElfError(f"{name}: built for {built_for} (e_machine {machine}), not x86-64 (62)")
    program_headers = _program_headers(data, name, phoff, phentsize, phnum)
    sections = _sections(data, name, shoff, shentsize, shnum, shstrndx)
    return ElfFile(name, file_type, entry, phoff, program_headers, sections, data)


def _table(data: bytes, name: str, what: str, offset: int, entry_size: int, count: int, expected: int) -> None:
    """Check that a table of `count` entries at `offset` has the right entry size and fits in the file."""
    if entry_size != expected:
        raise ElfError(f"{name}: {what} entries are {entry_size} bytes, not {expected} (a corrupt header)")
    if offset + entry_size * count > len(data):
        raise ElfError(f"{name}: truncated: the {what} table (offset {offset:#x}, {count} entries) "
                       f"runs past the end of the file ({len(data)} bytes)")


def _program_headers(data: bytes, name: str, offset: int, entry_size: int, count: int) -> list[ProgramHeader]:
    """The program header table, each segment's file bytes checked to lie in the file."""
    if count == 0:
        raise ElfError(f"{name}: no program headers: nothing to load (an object file? link it first)")
    if count > MAX_PROGRAM_HEADERS:
        raise ElfError(f"{name}: {count} program headers; at most {MAX_PROGRAM_HEADERS} are accepted")
    _table(data, name, "program header", offset, entry_size, count, _PROGRAM_HEADER.size)
    headers = []
    for index in range(count):
        (p_type, flags, p_offset, vaddr, _paddr, filesz, memsz, _align) = _PROGRAM_HEADER.unpack_from(
            data, offset + index * entry_size)
        header = ProgramHeader(index, p_type, flags, p_offset, vaddr, filesz, memsz)
        if p_type == PT_LOAD and p_offset + filesz > len(data):
            raise ElfError(f"{name}: truncated: segment {index}'s bytes (offset {p_offset:#x}, {filesz} bytes) "
                           f"run past the end of the file ({len(data)} bytes)")
        if p_type == PT_LOAD and filesz > memsz:
            raise ElfError(f"{name}: segment {index} has more bytes in the file ({filesz}) than in memory ({memsz})")
        headers.append(header)
    return headers


def _sections(data: bytes, name: str, offset: int, entry_size: int, count: int, names_index: int) -> list[Section]:
    """The section header table, with names (empty when the file has no section table)."""
    if offset == 0 or count == 0:
        return []
    if count > MAX_SECTIONS:
        raise ElfError(f"{name}: {count} sections; at most {MAX_SECTIONS} are accepted")
    _table(data, name, "section header", offset, entry_size, count, _SECTION_HEADER.size)
    raw = [_SECTION_HEADER.unpack_from(data, offset + index * entry_size) for index in range(count)]
    for index, (_, s_type, _, _, s_offset, size, *_rest) in enumerate(raw):
        if s_type != SHT_NOBITS and s_offset + size > len(data):
            raise ElfError(f"{name}: truncated: section {index} (offset {s_offset:#x}, {size} bytes) "
                           f"runs past the end of the file ({len(data)} bytes)")
    names = b""
    if 0 < names_index < count:
        _, _, _, _, names_offset, names_size, *_ = raw[names_index]
        names = data[names_offset:names_offset + names_size]
    sections = []
    for index, (name_offset, s_type, flags, address, s_offset, size, link, _info, _align, entsize) in enumerate(raw):
        sections.append(Section(index, string_at(names, name_offset), s_type, flags, address, s_offset, size,
                                link, entsize))
    return sections


def string_at(table: bytes, offset: int) -> str:
    """The NUL-terminated string at `offset` of a string table ('' if out of range)."""
    if not 0 <= offset < len(table):
        return ""
    end = table.find(b"\0", offset)
    return table[offset:end if end >= 0 else len(table)].decode("utf-8", "replace")
