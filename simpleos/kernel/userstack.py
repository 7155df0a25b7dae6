"""A new process's user stack at its first instruction: what it finds there, and in rsp and rdi.

Two layouts. A SimpleOS assembly program gets the course's simple one: the
argument string at the top of the stack, rdi pointing at it, rsp 16 bytes
below (userland/README.md). An ELF executable gets the one Linux's exec()
builds (the System V x86-64 ABI, 3.4.1), so a C runtime's `_start` can read
it -- from rsp upwards:

    argc                      8 bytes
    argv[0] .. argv[argc-1]   pointers to the strings below; argv[0] is the program's name
    0                         end of argv
    0                         end of envp (SimpleOS has no environment)
    auxv                      (type, value) pairs: AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM,
                              AT_ENTRY, AT_RANDOM (16 bytes from the kernel's seeded
                              generator), AT_EXECFN, AT_PLATFORM, ... then AT_NULL
    padding, then the strings and the 16 random bytes, up to the top of the stack

rsp is 16-byte aligned and rdi is 0. Layout only: the kernel writes the bytes.
"""
from __future__ import annotations

from typing import Callable

from ..machine.layout import PAGE_SIZE
from ..record import dataclass

MAX_ARGUMENT = 256          # bytes of the argument string copied onto a new process's stack
MAX_NAME = 255              # bytes of argv[0] (the program's name)
PLATFORM = b"x86_64"

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_CLKTCK, AT_SECURE, AT_RANDOM, AT_EXECFN = \
    11, 12, 13, 14, 15, 17, 23, 25, 31
CLOCK_TICKS = 100           # AT_CLKTCK, as Linux reports it


@dataclass(frozen=True)
class InitialStack:
    """Bytes to write at `address` (their lowest byte) on the stack, and the first rsp and rdi."""
    address: int
    content: bytes
    rsp: int
    rdi: int


def argument_block(argument: bytes) -> bytes:
    """The argument string as it is copied to the top of a new stack: capped, NUL-terminated."""
    return argument[:MAX_ARGUMENT] + b"\0"


def argument_stack(top: int, argument: bytes) -> InitialStack:
    """The assembly programs' convention: the argument string at the top, rdi -> it, rsp 16 below."""
    block = argument_block(argument)
    string = (top - len(block)) & ~0xF
    return InitialStack(string, block, string - 16, string)


def linux_stack(top: int, name: str, argument: bytes, image, random_bytes: Callable[[int], bytes]) -> InitialStack:
    """The System V layout above for ELF `image` (an ElfImage), started as `name` with `argument`."""
    program = name.encode("utf-8", "replace")[:MAX_NAME] + b"\0"
    arguments = [program] + ([argument_block(argument)] if argument else [])
    strings = b"".join(arguments) + PLATFORM + b"\0"
    random_offset = len(strings)
    strings += random_bytes(16)
    strings_address = (top - len(strings)) & ~0xF
    pointers, offset = [], 0
    for text in arguments:
        pointers.append(strings_address + offset)
        offset += len(text)
    platform_address = strings_address + offset
    auxv = [(AT_PAGESZ, PAGE_SIZE), (AT_CLKTCK, CLOCK_TICKS)]
    if image.program_header_address is not None:
        auxv.append((AT_PHDR, image.program_header_address))
    from ..elf.format import PROGRAM_HEADER_SIZE        # (only for an ELF: not on every boot)
    auxv += [(AT_PHENT, PROGRAM_HEADER_SIZE), (AT_PHNUM, image.program_header_count), (AT_BASE, 0), (AT_FLAGS, 0),
             (AT_ENTRY, image.entry), (AT_UID, 0), (AT_EUID, 0), (AT_GID, 0), (AT_EGID, 0), (AT_SECURE, 0),
             (AT_RANDOM, strings_address + random_offset), (AT_EXECFN, pointers[0]),
             (AT_PLATFORM, platform_address), (AT_NULL, 0)]
    words = [len(arguments)] + pointers + [0, 0] + [value for pair in auxv for value in pair]
    table = b"".join(word.to_bytes(8, "little") for word in words)
    rsp = (strings_address - len(table)) & ~0xF
    content = table + bytes(strings_address - rsp - len(table)) + strings   # < 1 KiB: fits the top page
    return InitialStack(rsp, content, rsp, 0)
