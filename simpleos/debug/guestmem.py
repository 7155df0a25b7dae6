"""The debugger's view of guest memory: virtual addresses through the live page tables.

A debugger reads and writes memory as the kernel would (supervisor rights,
ignoring R/W, like ptrace): each page is translated with the current
address space's walk(); an unmapped byte is a MemoryError naming the first
address that could not be reached. Writing into executable pages drops
unicorn's translated code, or the CPU would go on running the old bytes.
It must not change page tables or run code.
"""
from __future__ import annotations

from ..machine.layout import PAGE_SIZE, is_canonical


def _pieces(space, address: int, length: int):
    """(virtual, physical, size, walk) per page touched by [address, address + length)."""
    position, end = address, address + length
    while position < end:
        size = min(end, (position | (PAGE_SIZE - 1)) + 1) - position
        at = position & ((1 << 64) - 1)
        if not is_canonical(at):
            raise MemoryError(f"cannot access memory at {at:#x} (not a canonical address)")
        walk = space.walk(at)
        if not walk.present:
            raise MemoryError(f"cannot access memory at {at:#x} (not mapped)")
        yield position, walk.physical, size, walk
        position += size


def read_virtual(cpu, address: int, length: int) -> bytes:
    """`length` bytes at virtual `address` in the address space CR3 points at."""
    if length <= 0:
        return b""
    space = cpu.address_space()
    return b"".join(cpu.memory.read(physical, size) for _, physical, size, _ in _pieces(space, address, length))


def write_virtual(cpu, address: int, data: bytes) -> None:
    """Write `data` at virtual `address` (even into read-only text, as a debugger may)."""
    space = cpu.address_space()
    pieces = list(_pieces(space, address, len(data)))   # all pages must be mapped before any is written
    offset, code_changed = 0, False
    for _, physical, size, walk in pieces:
        cpu.memory.write(physical, bytes(data[offset:offset + size]))
        offset += size
        code_changed |= walk.executable
    if code_changed:
        cpu.flush_translations()
