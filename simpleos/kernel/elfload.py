"""Loading a static x86-64 ELF executable as a ring-3 program: what may be mapped, and where.

The format is read by simpleos/elf/; this is the policy, as an exec() in a
real kernel applies it. Only static, non-PIE executables (ET_EXEC, no
interpreter) are loaded. Each PT_LOAD segment is mapped on pages of its own
with the rights it asks for -- R-X text, R-- read-only data, RW- data and
.bss (zero-filled), all user pages -- and W^X is enforced: a segment both
writable and executable is refused. Every segment must lie in user space
between the null guard (the first 64 KiB stay unmapped) and the stack, no
two segments may share a page, the entry point must be in an executable
segment, and the whole program must fit MAX_PROGRAM_MEMORY. Each refusal
is one line. The result is an ElfImage, which Kernel.spawn maps like any
Image; the symbol table and the DWARF line table ride along for the kill
report and the debugger. Nothing here touches a page table.
"""
from __future__ import annotations

from functools import cached_property

from ..assembler import Image, nearest_symbol
from ..elf import (ElfError, ElfFile, ElfSymbol, LineRow, LineTable, ProgramHeader, parse_elf, read_line_table,
                  read_symbols)
from ..elf.format import (ET_CORE, ET_DYN, ET_EXEC, ET_REL, PF_W, PF_X, PROGRAM_HEADER_SIZE, PT_DYNAMIC, PT_INTERP,
                          PT_LOAD, PT_PHDR)
from ..elf.symbols import symbol_addresses
from ..machine.layout import DIRECT_MAP_BASE as KERNEL_HALF, PAGE_SIZE, USER_SPACE_END
from ..machine.paging import NO_EXECUTE
from ..record import dataclass, field
from .vm import DATA, TEXT, guard_page_address, page_round_up

MAX_PROGRAM_FILE = 16 << 20          # bytes of an executable file
MAX_PROGRAM_MEMORY = 16 << 20        # bytes of memory its segments may take (of 64 MiB RAM)
LOWEST_USER_ADDRESS = 0x10000        # below: unmapped, so a null pointer faults (Linux's mmap_min_addr)
READ_ONLY = NO_EXECUTE               # R--: neither writable nor executable

_NOT_EXECUTABLES = {ET_REL: "an object file (.o), not an executable: link it",
                    ET_DYN: "position-independent (a PIE or a shared library); build it static and non-PIE "
                            "(gcc -static -no-pie, or simpleos cc)",
                    ET_CORE: "a core dump, not an executable"}


@dataclass(frozen=True)
class Segment:
    """One PT_LOAD segment as it is mapped: whole pages from `address`, `content` from the
    page start (zeros before p_vaddr and for .bss), with `rights` (vm.TEXT, DATA or READ_ONLY)."""
    address: int
    size: int
    rights: int
    content: bytes
    header: ProgramHeader

    @property
    def executable(self) -> bool:
        """Mapped executable (text)?"""
        return not self.rights & NO_EXECUTE


@dataclass
class ElfImage(Image):
    """A loaded ELF executable. `segments` is what Kernel.spawn maps. As an Image, `base`,
    `code` and `data_offset` describe the executable segment holding the entry point (its
    pages, all of them text), and `symbols` is name -> address from .symtab.
    For debuggers: `elf_symbols` (sized, typed symbols), `line_table` (DWARF, read on first
    use), `source_line(address)`, and `elf` (the parsed file)."""
    segments: list[Segment] = field(default_factory=list)
    entry_point: int = 0
    program_header_address: int | None = None      # where the program headers are in memory (AT_PHDR)
    program_header_count: int = 0
    elf: ElfFile | None = None
    elf_symbols: list[ElfSymbol] = field(default_factory=list)

    @property
    def entry(self) -> int:
        """e_entry: where execution starts."""
        return self.entry_point

    def segment_at(self, address: int) -> Segment | None:
        """The segment whose pages hold `address`, if any."""
        return next((s for s in self.segments if s.address <= address < s.address + s.size), None)

    def symbol_at(self, address: int) -> tuple[str, int] | None:
        """The nearest symbol at or before `address` (an address in one of the segments)."""
        if self.segment_at(address) is None:
            return None
        return nearest_symbol(self.symbols, address)

    def in_padding(self, address: int) -> bool:
        """Is `address` after the end of an executable segment, in the int3 padding of its last page?"""
        segment = self.segment_at(address)
        return segment is not None and segment.executable and address >= segment.header.end

    @cached_property
    def line_table(self) -> LineTable:
        """The DWARF line table (empty, with `.problem`, for a program built without -g)."""
        return read_line_table(self.elf) if self.elf is not None else LineTable(problem="not an ELF file")

    def source_line(self, address: int) -> LineRow | None:
        """The source file and line of the code at `address`, if the line table knows it."""
        return self.line_table.line_at(address)


def load_elf(data: bytes, name: str) -> ElfImage:
    """Check the executable `data` (file `name`) and build its image; ElfError says what is wrong."""
    if len(data) > MAX_PROGRAM_FILE:
        raise ElfError(f"{name}: {len(data)} bytes; an executable may have at most {MAX_PROGRAM_FILE >> 20} MiB")
    elf = parse_elf(data, name)
    if elf.type != ET_EXEC:
        raise ElfError(f"{name}: " + _NOT_EXECUTABLES.get(elf.type, f"ELF type {elf.type}, not an executable"))
    if any(h.type in (PT_INTERP, PT_DYNAMIC) for h in elf.program_headers):
        raise ElfError(f"{name}: dynamically linked (it needs an interpreter); build it with -static")
    segments = [_segment(elf, header) for header in elf.program_headers if header.type == PT_LOAD and header.memory_size]
    if not segments:
        raise ElfError(f"{name}: no PT_LOAD segment: nothing to load")
    _check_layout(name, segments)
    text = next((s for s in segments if s.executable and s.header.address <= elf.entry < s.header.end), None)
    if text is None:
        raise ElfError(f"{name}: the entry point {elf.entry:#x} is not inside an executable segment")
    symbols = read_symbols(elf)
    return ElfImage(name, text.address, text.content, len(text.content), symbol_addresses(symbols),
                    segments=segments, entry_point=elf.entry,
                    program_header_address=_program_header_address(elf),
                    program_header_count=len(elf.program_headers), elf=elf, elf_symbols=symbols)


def _segment(elf: ElfFile, header: ProgramHeader) -> Segment:
    """A PT_LOAD header as pages to map: W^X checked, rights chosen, content laid out."""
    where = f"{elf.name}: segment {header.index} ({header.address:#x}-{header.end:#x}, {header.rights()})"
    if header.flags & PF_W and header.flags & PF_X:
        raise ElfError(f"{where} is both writable and executable; SimpleOS enforces W^X")
    if header.end > 1 << 64:
        raise ElfError(f"{where} wraps around the end of the address space")
    rights = TEXT if header.flags & PF_X else DATA if header.flags & PF_W else READ_ONLY
    start = header.address & ~(PAGE_SIZE - 1)
    size = page_round_up(header.end) - start
    if size > MAX_PROGRAM_MEMORY:
        raise ElfError(f"{where} needs {size >> 10} KiB; a program may use at most {MAX_PROGRAM_MEMORY >> 20} MiB")
    file_bytes = elf.data[header.offset:header.offset + header.file_size]
    content = bytes(header.address - start) + file_bytes + bytes(header.memory_size - header.file_size)
    return Segment(start, size, rights, content, header)


def _check_layout(name: str, segments: list[Segment]) -> None:
    """Every segment in user space between the null guard and the stack; no shared pages; a size cap."""
    ceiling = guard_page_address()
    for segment in segments:
        where = f"{name}: segment {segment.header.index} ({segment.header.address:#x}-{segment.header.end:#x})"
        if segment.address >= KERNEL_HALF:
            raise ElfError(f"{where} lies in the kernel half; user programs live below {USER_SPACE_END:#x}")
        if segment.address + segment.size > USER_SPACE_END:
            raise ElfError(f"{where} lies outside user space, which ends at {USER_SPACE_END:#x}")
        if segment.address < LOWEST_USER_ADDRESS:
            raise ElfError(f"{where} lies below {LOWEST_USER_ADDRESS:#x}; the first 64 KiB stay unmapped "
                           f"so that null pointers fault")
        if segment.address + segment.size > ceiling:
            raise ElfError(f"{where} reaches into the user stack (its guard page is at {ceiling:#x})")
    ordered = sorted(segments, key=lambda s: s.address)
    for lower, upper in zip(ordered, ordered[1:]):
        if lower.address + lower.size > upper.address:
            how = "overlap" if lower.header.end > upper.header.address else "share a page"
            raise ElfError(f"{name}: segments {lower.header.index} and {upper.header.index} {how} "
                           f"(at {upper.address:#x}); each segment needs pages of its own")
    total = sum(segment.size for segment in segments)
    if total > MAX_PROGRAM_MEMORY:
        raise ElfError(f"{name}: its segments need {total >> 10} KiB; a program may use at most "
                       f"{MAX_PROGRAM_MEMORY >> 20} MiB")


def _program_header_address(elf: ElfFile) -> int | None:
    """Where the program header table is in memory: PT_PHDR, else the PT_LOAD whose file bytes hold it."""
    for header in elf.program_headers:
        if header.type == PT_PHDR:
            return header.address
    table_end = elf.program_header_offset + PROGRAM_HEADER_SIZE * len(elf.program_headers)
    for header in elf.program_headers:
        if header.type == PT_LOAD and header.offset <= elf.program_header_offset and table_end <= header.offset + header.file_size:
            return header.address + elf.program_header_offset - header.offset
    return None
