"""Helpers for the newcomer tests: hand-made ELF files (good and bad) and building C with gcc.

elf_file() lays out a minimal ELF64 executable -- header, program headers,
each segment's bytes at its own page of the file -- with every field
overridable, so a test can make exactly one thing wrong. gcc() compiles a
freestanding static program, or skips the test when no x86-64 gcc exists.
"""
from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

PT_LOAD, PT_INTERP = 1, 3
PF_X, PF_W, PF_R = 1, 2, 4
RX, RW, R = PF_R | PF_X, PF_R | PF_W, PF_R

FREESTANDING = ["-static", "-nostdlib", "-ffreestanding", "-fno-pie", "-no-pie", "-fno-stack-protector",
                "-mgeneral-regs-only", "-fcf-protection=none", "-O1", "-g"]

# mov edi, 7 ; mov eax, 60 ; syscall   -- exit(7)
EXIT_7 = bytes.fromhex("bf07000000" "b83c000000" "0f05")


def elf_file(segments=((0x401000, RX, EXIT_7, None),), entry=0x401000, *, klass=2, encoding=1, machine=62,
             file_type=2, phentsize=56, extra_headers=(), truncate=None) -> bytes:
    """An ELF64 file: `segments` are (address, flags, bytes, memory size or None) PT_LOADs;
    `extra_headers` more (type, flags, address, size) program headers without bytes."""
    headers = [(PT_LOAD, flags, address, data, memsz) for address, flags, data, memsz in segments]
    count = len(headers) + len(extra_headers)
    ident = b"\x7fELF" + bytes([klass, encoding, 1, 0]) + bytes(8)
    header = struct.pack("<16sHHIQQQIHHHHHH", ident, file_type, machine, 1, entry, 64, 0, 0, 64, phentsize,
                         count, 64, 0, 0)
    table, body = b"", b""
    offset = 0x1000
    for p_type, flags, address, data, memsz in headers:
        table += struct.pack("<IIQQQQQQ", p_type, flags, offset + (address & 0xFFF), address, address,
                             len(data), memsz if memsz is not None else len(data), 0x1000)
        body += bytes(address & 0xFFF) + data
        body += bytes(-len(body) % 0x1000)
        offset += len(bytes(address & 0xFFF) + data) + (-len(bytes(address & 0xFFF) + data) % 0x1000)
    for p_type, flags, address, size in extra_headers:
        table += struct.pack("<IIQQQQQQ", p_type, flags, 0, address, address, size, size, 1)
    head = header + table
    data = head + bytes(0x1000 - len(head)) + body
    return data[:truncate] if truncate is not None else data


def gcc(tmp_path, source: str, name: str, extra=()) -> str:
    """Compile C `source` as a freestanding static x86-64 executable `name`; its path. Skips without gcc."""
    compiler = shutil.which("gcc")
    if compiler is None:
        pytest.skip("no gcc on this machine (CI has it)")
    target = subprocess.run([compiler, "-dumpmachine"], capture_output=True, text=True).stdout
    if not target.startswith("x86_64"):
        pytest.skip(f"gcc targets {target.strip()}, not x86-64")
    c_file = tmp_path / f"{name}.c"
    c_file.write_text(source)
    output = tmp_path / name
    subprocess.run([compiler, *FREESTANDING, *extra, "-o", str(output), str(c_file)], check=True)
    return str(output)
