"""An ELF symbol file for gdb: every loaded module's labels at their virtual addresses.

Keystone gives the kernel a label table (Image.symbols) but no object file,
so gdb would see SimpleOS as bare addresses. write_symbol_file() writes a
minimal ELF64 x86-64 executable holding one text section per module (the
real code bytes), one data section (no bytes: the values live in the
machine), a .symtab with each label as a function (text) or an object
(data) sized up to the next label, and the string tables. Where labels share
an address, the name symbols.py would print gets the size and the others
size 0, so gdb names the address the same way. DWARF sections (dwarf.py)
give gdb source lines, routines and unwind rules. gdb loads the file with
`symbol-file`. Only the kernel half and the sensor are described: ring-3
programs all share one base address, so their labels would collide. This
module reads a Kernel; it never changes one.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from ...assembler import nearest_symbol
from .dwarf import debug_sections

EM_X86_64 = 62
ET_EXEC = 2
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS = 1, 2, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4
STB_GLOBAL = 1
STT_OBJECT, STT_FUNC = 1, 2
TEXT_PADDING = b"\xcc"            # the assembler pads text to its page with int3

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")


@dataclass
class _Section:
    name: str
    kind: int
    flags: int
    address: int = 0
    data: bytes = b""
    size: int = 0                   # for NOBITS: the size in memory
    link: int = 0
    info: int = 0
    align: int = 1
    entsize: int = 0
    offset: int = 0
    symbols: list = field(default_factory=list)   # (name, address, size, type) defined here


def write_symbol_file(path: str | Path, kernel, process=None) -> Path:
    """Write the symbol file for `kernel` (plus a ring-3 `process`'s image; by
    default the sensor's, when it runs at ring 3). Returns the path."""
    path = Path(path)
    path.write_bytes(symbol_file_bytes(kernel, process))
    return path


def symbol_file_bytes(kernel, process=None) -> bytes:
    """The ELF file of write_symbol_file, as bytes."""
    images = [module.image for module in kernel.modules]
    if process is None:
        process = _ring3_sensor(kernel)
    if process is not None and process.image is not None and process.image not in images:
        images.append(process.image)
    kapi_user = getattr(process, "kapi", None) or getattr(kernel, "kapi_user", None)
    if process is not None and kapi_user is not None:
        images.append(kapi_user)          # what a ring-3 driver calls into
    sections = _module_sections(images)
    sections += [_Section(name, SHT_PROGBITS, 0, data=data) for name, data in debug_sections(images).items()]
    return _layout(sections, entry=_entry(kernel))


def _ring3_sensor(kernel):
    sensor = getattr(kernel, "sensor", None)
    process = getattr(sensor, "process", None)
    return process if process is not None and getattr(process, "ring", 0) == 3 else None


def _entry(kernel) -> int:
    sensor = getattr(kernel, "sensor", None)
    process = getattr(sensor, "process", None)
    image = getattr(process, "image", None)
    return image.entry if image is not None else 0


def _module_sections(images) -> list[_Section]:
    """A text section (code bytes) and a data section (size only) per image, with their labels."""
    sections, names = [], set()
    for image in images:
        stem = _unique(image.name or "module", names)
        text = _Section(f".text.{stem}", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, image.base,
                        data=bytes(image.code[:image.data_offset]), align=16)
        data = _Section(f".data.{stem}", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, image.base + image.data_offset,
                        size=len(image.code) - image.data_offset, align=8)
        text.symbols = _sized_symbols(image.symbols, text.address, text.address + len(text.data), STT_FUNC,
                                      last_end=text.address + len(text.data.rstrip(TEXT_PADDING)))
        data.symbols = _sized_symbols(image.symbols, data.address, data.address + data.size, STT_OBJECT)
        for section in (text, data):
            if section.data or section.size:
                sections.append(section)
    return sections


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}.{number}"
    taken.add(candidate)
    return candidate


def _sized_symbols(symbols: dict[str, int], start: int, end: int, kind: int, last_end: int | None = None) -> list:
    """The labels in [start, end), each sized up to the next label at a higher address;
    the last one up to `last_end` (the end of the code before the padding), else `end`.
    Of labels at one address only the one nearest_symbol picks is sized (aliases: 0)."""
    inside = sorted((address, name) for name, address in symbols.items() if start <= address < end)
    addresses = sorted({address for address, _ in inside})
    following = {address: addresses[i + 1] for i, address in enumerate(addresses[:-1])}
    if addresses:
        following[addresses[-1]] = max(last_end if last_end is not None else end, addresses[-1])
    named = {address: nearest_symbol({n: a for n, a in symbols.items() if a == address}, address)[0]
             for address in addresses}
    return [(name, address, following[address] - address if named[address] == name else 0, kind)
            for address, name in inside]


def _layout(sections: list[_Section], entry: int) -> bytes:
    """Header, program headers, section contents, then the section header table."""
    strtab = _Strings()
    symbols = [_SYM.pack(0, 0, 0, 0, 0, 0)]
    for index, section in enumerate(sections, start=1):
        for name, address, size, kind in section.symbols:
            symbols.append(_SYM.pack(strtab.add(name), (STB_GLOBAL << 4) | kind, 0, index, address, size))
    count = len(sections)
    tables = [_Section(".symtab", SHT_SYMTAB, 0, data=b"".join(symbols), link=count + 2, info=1, align=8,
                      entsize=_SYM.size),
              _Section(".strtab", SHT_STRTAB, 0, data=strtab.bytes()),
              _Section(".shstrtab", SHT_STRTAB, 0)]
    every = sections + tables
    shstrtab = _Strings()
    names = [shstrtab.add(section.name) for section in every]
    tables[-1].data = shstrtab.bytes()

    loads = [s for s in sections if s.flags & SHF_ALLOC]
    offset = _EHDR.size + _PHDR.size * len(loads)
    for section in every:
        offset = _align(offset, section.align)
        section.offset = offset
        offset += len(section.data)
    section_headers = _align(offset, 8)

    out = bytearray(section_headers + _SHDR.size * (len(every) + 1))
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    out[:_EHDR.size] = _EHDR.pack(ident, ET_EXEC, EM_X86_64, 1, entry, _EHDR.size if loads else 0,
                                  section_headers, 0, _EHDR.size, _PHDR.size, len(loads), _SHDR.size,
                                  len(every) + 1, len(every))
    for i, section in enumerate(loads):
        flags = PF_R | (PF_X if section.flags & SHF_EXECINSTR else 0) | (PF_W if section.flags & SHF_WRITE else 0)
        memory = len(section.data) if section.kind != SHT_NOBITS else section.size
        filesz = len(section.data)
        at = _EHDR.size + i * _PHDR.size
        out[at:at + _PHDR.size] = _PHDR.pack(PT_LOAD, flags, section.offset, section.address, section.address,
                                             filesz, memory, 1)
    for section in every:
        out[section.offset:section.offset + len(section.data)] = section.data
    for i, (section, name) in enumerate(zip(every, names), start=1):
        size = section.size if section.kind == SHT_NOBITS else len(section.data)
        at = section_headers + i * _SHDR.size
        out[at:at + _SHDR.size] = _SHDR.pack(name, section.kind, section.flags, section.address, section.offset,
                                             size, section.link, section.info, section.align, section.entsize)
    return bytes(out)


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


class _Strings:
    """An ELF string table under construction (offset 0 is the empty string)."""

    def __init__(self) -> None:
        self._data = bytearray(b"\0")
        self._offsets: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        """The offset of `text`, adding it if new."""
        if text not in self._offsets:
            self._offsets[text] = len(self._data)
            self._data += text.encode("utf-8", "replace") + b"\0"
        return self._offsets[text]

    def bytes(self) -> bytes:
        return bytes(self._data)
